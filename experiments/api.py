"""The Python API: one training job from overrides, as the command line runs it.

    from experiments.api import train
    run = train(["inner_steps=8", "meta_iters=500"])   # -> Path("outputs/runs/<time>_..._<suffix>")

`train(overrides)` is `reptile-train OVERRIDES` (= `python -m experiments.train OVERRIDES`) in
this process: the same preflight check, the same composition (Hydra's compose API on the app's
own search path, pkg://reptile_sine_conf), and the job run by hydra.core.utils.run_job, the
function behind every Hydra run. So the run directory is named from hydra.run.dir as on the
command line, holds the same files (.hydra/config.yaml, overrides.yaml and hydra.yaml byte for
byte), HydraConfig.get() works inside the job, and the configured callbacks are called.

Unlike the command line it changes nothing global that outlives the call: it leaves Python's
logging configuration alone (the job's train.log is written by a handler added for the job
alone), restores torch's thread count and leaves Hydra's global state as it found it. Nothing
calls sys.exit: a refused config raises ConfigError (one line, no folder made), a folder holding
another config's run raises RunDirError, a job that failed raises JobFailed. A diverged job is
a result: its folder is returned, and its run.json says diverged.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path

from . import CONFIG_NAME


class JobFailed(RuntimeError):
    """The job ran and failed (the command line's exit status 1); .run_dir is its folder, whose
    run.json holds the error."""

    def __init__(self, run_dir: Path, error: str):
        self.run_dir = run_dir
        super().__init__(f"{run_dir}: {error}")


def train(overrides: Sequence[str] = (), *, log_file: bool = True) -> Path:
    """Runs one job as `reptile-train *overrides` would; returns its run directory (absolute).

    `overrides`: Hydra overrides exactly as on the command line, e.g. "inner_steps=8",
    "experiment=seed_post", "hydra.run.dir=runs/a". One call is one job: a sweep (seed=0,1) is
    refused; call it once per setting, or launch `reptile-train -m`. `log_file=False` skips the
    job's log file (the app logs nothing itself, so the command line's is empty too).
    """
    import torch
    from hydra import compose
    from hydra._internal.callbacks import Callbacks
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.hydra_config import HydraConfig
    from hydra.core.utils import run_job
    from hydra.types import HydraContext

    from .config import initialize
    from .preflight import check
    from .train import finish_line, prepare

    overrides = list(overrides)
    check(overrides)  # the command line's check: ConfigError (one line) before any folder

    def task(cfg):  # run_job has made the folder and written .hydra/ by now
        from .trainer import train as train_jobs

        hydra_cfg = HydraConfig.get()
        out = Path(hydra_cfg.runtime.output_dir)
        with _job_log(hydra_cfg, enabled=log_file):
            prepare(cfg)  # the app's task function without its sys.exit
            (info,) = train_jobs([cfg], [out])
            finish_line(info, out)
        if info["status"] == "failed":
            raise JobFailed(out, info["error"])

    threads = torch.get_num_threads()  # prepare() sets the job's; the caller's come back
    with initialize():
        # Hydra's command line appends hydra.mode=RUN (hydra/_internal/utils._run_app); so does
        # this, and hydra.yaml's overrides read the same
        cfg = compose(CONFIG_NAME, overrides=[*overrides, "hydra.mode=RUN"],
                      return_hydra_config=True)
        callbacks = Callbacks(cfg)
        context = HydraContext(config_loader=GlobalHydra.instance().config_loader(),
                               callbacks=callbacks)
        callbacks.on_run_start(config=cfg, config_name=CONFIG_NAME)
        try:
            ret = run_job(task_function=task, config=cfg, job_dir_key="hydra.run.dir",
                          job_subdir_key=None, hydra_context=context, configure_logging=False)
        finally:
            torch.set_num_threads(threads)
        callbacks.on_run_end(config=cfg, config_name=CONFIG_NAME, job_return=ret)
    ret.return_value  # noqa: B018 -- re-raises the job's exception, as Hydra.run does
    return Path(ret.hydra_cfg.hydra.runtime.output_dir)


@contextlib.contextmanager
def _job_log(hydra_cfg, enabled: bool) -> Iterator[None]:
    """The file the command line's job logging writes (hydra/job_logging/default: the root
    logger at INFO into <output_dir>/<job name>.log), for this job only: one handler added to
    the root logger and removed after; nothing else of logging's set-up is touched."""
    if not enabled:
        yield
        return
    path = Path(hydra_cfg.runtime.output_dir) / f"{hydra_cfg.job.name}.log"
    handler = logging.FileHandler(path, mode="a", encoding="utf-8")
    handler.setFormatter(logging.Formatter(hydra_cfg.job_logging.formatters.simple.format))
    handler.setLevel(logging.INFO)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    if level == logging.NOTSET or level > logging.INFO:
        root.setLevel(logging.INFO)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        handler.close()
