"""MLflow without a server: a SQLite store (rundir.MLFLOW_STORE) in the folder that holds the run
directories, an experiment named after that folder (a sweep's), a run per job.

    mlflow ui --backend-store-uri sqlite:///SWEEP_DIR/mlflow.db

MlflowClient with explicit run ids, not the fluent mlflow.start_run: no process-global active
run, so joblib's reused worker processes and the population launcher's members cannot mix up
their runs. MLflow 3 refuses its old file store by default, hence SQLite; the sweep's store is
created before the jobs start (tracking.prepare_sweep), because parallel jobs that each create
the tables of a new store break it.
"""

from __future__ import annotations

import time
from pathlib import Path

from mlflow import MlflowClient
from mlflow.entities import Metric, Param

import rundir

PARAMS_PER_CALL = 100  # log_batch's limit


def store(root: Path) -> MlflowClient:
    return MlflowClient(tracking_uri=f"sqlite:///{root / rundir.MLFLOW_STORE}")


def experiment_id(client: MlflowClient, name: str, root: Path) -> str:
    """The experiment's id, created if new with its artifacts beside the store (else they go to
    ./mlruns of whichever working directory a job has)."""
    from mlflow.exceptions import MlflowException

    found = client.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    try:
        return client.create_experiment(
            name, artifact_location=(root / rundir.MLFLOW_ARTIFACTS / name).as_uri())
    except MlflowException:  # another process created it between the two calls
        return client.get_experiment_by_name(name).experiment_id


class MlflowRun:
    """One job's run. A resumed job (its run directory's path is the run's tag) logs into its
    earlier run, from its checkpoint's iteration on."""

    def __init__(self, root: Path, experiment: str, name: str, out: Path, params: dict):
        self.client = store(root)
        exp = experiment_id(self.client, experiment, root)
        where = str(out.resolve())
        earlier = self.client.search_runs([exp], f"tags.run_dir = '{where}'", max_results=1)
        if earlier:
            self.id = earlier[0].info.run_id
            self.client.update_run(self.id, status="RUNNING")
        else:
            self.id = self.client.create_run(exp, run_name=name,
                                             tags={"run_dir": where}).info.run_id
            items = [Param(key, str(value)) for key, value in params.items()]
            for i in range(0, len(items), PARAMS_PER_CALL):
                self.client.log_batch(self.id, params=items[i:i + PARAMS_PER_CALL])
        self.step = 0

    def _log(self, values: dict[str, float], step: int) -> None:
        now = int(time.time() * 1000)
        self.client.log_batch(self.id, metrics=[Metric(key, value, now, step)
                                                for key, value in values.items()])

    def curve(self, iteration: int, values: dict[str, float]) -> None:
        self.step = iteration
        self._log(values, iteration)

    def end(self, status: str, metrics: dict | None, figure: Path | None) -> None:
        from . import final_metrics

        if metrics:
            self._log(final_metrics(metrics), self.step)
        if figure is not None and figure.is_file():
            self.client.log_artifact(self.id, str(figure))
        self.client.set_tag(self.id, "status", status)
        self.client.set_terminated(self.id, "FINISHED" if status == "done" else "FAILED")
