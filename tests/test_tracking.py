"""logger=tensorboard and logger=mlflow: real tiny sweeps (joblib and the population launcher)
and a single run, read back with each library's own reader: every job's hyperparameters,
learning curve, final metrics, fit.png and end status, as its run directory has them."""

from __future__ import annotations

import pandas as pd
import pytest
from tensorboard.plugins.hparams import api_pb2

import rundir
from experiments.tracking import NullTracker, _Guarded, hyperparameters
from tests.helpers.app import TINY, run_app
from tests.helpers.config import compose_config
from tests.helpers.sweeps import check_done_job, launch, run_json
from tests.helpers.tracking import mlflow_runs, read_tensorboard

FINAL = ["final/mse_mean", "final/mse_median", "final/mse_k0_mean"]
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")


def curve(job, k: int) -> list[tuple[int, float]]:
    frame = pd.read_csv(job / rundir.CURVE)
    rows = frame[frame["k"] == k]
    return list(zip(rows["iteration"], rows["mse_mean"]))


@pytest.mark.slow
def test_tensorboard_sweep_a_run_per_job_and_the_hparams_experiment(tmp_path):
    sweep = tmp_path / "sweep"
    proc = launch(tmp_path, "inner_lr=0.02,1000.0", "logger=tensorboard",
                  f"hydra.sweep.dir={sweep}")
    assert proc.returncode == 0, proc.stdout
    top = read_tensorboard(sweep)
    assert top["experiment"] == {"hparams": ["inner_lr"], "metrics": FINAL}
    done, diverged = read_tensorboard(sweep / "0"), read_tensorboard(sweep / "1")
    info = check_done_job(sweep / "0")
    assert done["hparams"]["inner_lr"] == 0.02 and done["hparams"]["model.width"] == 16.0
    assert done["hparams"]["logger.name"] == "tensorboard"
    assert (done["group"], diverged["group"]) == ("0", "1")  # a row per job in HParams
    for tag, k in (("curve/mse_k0", 0), ("curve/mse_k8", 8)):
        got = done["scalars"][tag]
        assert [s for s, _ in got] == [s for s, _ in curve(sweep / "0", k)]
        assert [v for _, v in got] == pytest.approx([v for _, v in curve(sweep / "0", k)],
                                                    rel=1e-6)  # float32 in event files
    for name in ("mse_mean", "mse_median", "mse_k0_mean"):
        assert done["scalars"][f"final/{name}"] == [(40, pytest.approx(info["metrics"][name],
                                                                       rel=1e-6))]
    assert done["images"]["fit"] == [(sweep / "0" / "fit.png").read_bytes()]
    assert done["status"] == api_pb2.STATUS_SUCCESS
    assert run_json(sweep / "1")["status"] == "diverged"
    assert diverged["status"] == api_pb2.STATUS_FAILURE and not diverged["images"]
    assert not any(tag.startswith("final/") for tag in diverged["scalars"])


@pytest.mark.slow
def test_mlflow_population_sweep_a_run_per_job_in_the_sweeps_experiment(tmp_path):
    sweep = tmp_path / "sweep"
    proc = launch(tmp_path, "seed=0,1", "logger=mlflow", "hydra/launcher=population",
                  f"hydra.sweep.dir={sweep}")
    assert proc.returncode == 0, proc.stdout
    runs, client = mlflow_runs(sweep, sweep.name)
    runs = runs.set_index("tags.mlflow.runName").sort_index()
    assert list(runs.index) == ["0", "1"] and set(runs["status"]) == {"FINISHED"}
    for job in ("0", "1"):
        info = check_done_job(sweep / job)
        run = runs.loc[job]
        assert run["params.seed"] == job and run["params.eval.steps"] == "8"
        assert run["tags.run_dir"] == str((sweep / job).resolve())
        for name in ("mse_mean", "mse_median", "mse_k0_mean"):
            assert run[f"metrics.final/{name}"] == pytest.approx(info["metrics"][name])
        history = client.get_metric_history(run["run_id"], "curve/mse_k8")
        expected = curve(sweep / job, 8)
        assert [m.step for m in history] == [step for step, _ in expected]
        assert [m.value for m in history] == pytest.approx([v for _, v in expected])
        (artifact,) = client.list_artifacts(run["run_id"])
        assert (artifact.path, artifact.file_size) == ("fit.png",
                                                       (sweep / job / "fit.png").stat().st_size)


@pytest.mark.slow
def test_a_single_run_logs_into_the_store_of_its_folder(tmp_path):
    out = tmp_path / "runs" / "one"
    proc = run_app(*TINY, "logger=mlflow", f"hydra.run.dir={out}")
    assert proc.returncode == 0, proc.stderr
    runs, _ = mlflow_runs(out.parent, "runs")
    assert list(runs["tags.mlflow.runName"]) == ["one"]
    assert runs["metrics.final/mse_mean"].iloc[0] == pytest.approx(
        run_json(out)["metrics"]["mse_mean"])


def test_hyperparameters_are_the_resolved_config_as_flat_scalars():
    params = hyperparameters(compose_config("logger=mlflow"))
    assert params["eval.lr"] == params["inner_lr"] == 0.02  # resolved
    assert params["eval.curve_ks"] == "[0, 1, 8, 32]" and params["logger.name"] == "mlflow"
    assert all(isinstance(v, (bool, int, float, str)) for v in params.values())


def test_a_failing_tracker_warns_once_and_goes_quiet(capsys):
    class Broken(NullTracker):
        calls = 0

        def curve(self, iteration, values):
            Broken.calls += 1
            raise OSError("database is locked")

    tracker = _Guarded(Broken(), "mlflow")
    tracker.curve(0, {"curve/mse_k0": 1.0})
    tracker.curve(1, {"curve/mse_k0": 1.0})
    tracker.end("done", None, None)
    assert Broken.calls == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "logger=mlflow stopped tracking this job (OSError: " \
        "database is locked)" in err
