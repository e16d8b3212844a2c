"""The Hydra apps: configuration in, run directories out (docs/run-directory.md).

    train       python -m experiments.train (reptile-train): one job, or a sweep with -m
    api         train(overrides) -> run directory: one job from Python, as the command line
    preflight   every job of a launch composed and validated before anything runs
    schema      every knob declared once; validate checks its rules
    build       config -> the engine's objects (reptile/)
    trainer     one job's loop: train, curve, checkpoints, evaluation
    writer      one job's run.json and checkpoint; outputs: its other files
    sweep       summary.csv, failure records, unique folder names; callbacks: Hydra's hooks
    tracking    logger=tensorboard|mlflow: each job's hyperparameters, curve, metrics, figure
    sharpness   python -m experiments.sharpness RUN_DIR: a diagnostic of finished runs
"""

from importlib.util import find_spec
from pathlib import Path

# The config tree Hydra composes: the repository's conf/, installed as the package
# reptile_sine_conf (setup.py), so the app finds it from any folder, from a wheel and from an
# editable checkout alike. A checkout that was never installed (PYTHONPATH=.) uses the folder.
CONFIG_MODULE = "reptile_sine_conf"
CONFIG_NAME = "config"
JOB_NAME = "train"  # hydra.job.name (and the log file's name), however the app is started
_spec = find_spec(CONFIG_MODULE)  # finds without importing
if _spec is not None and _spec.submodule_search_locations:
    CONF = Path(next(iter(_spec.submodule_search_locations)))
    CONFIG_PATH = f"pkg://{CONFIG_MODULE}"  # @hydra.main's config_path
else:
    CONF = Path(__file__).resolve().parents[1] / "conf"
    CONFIG_PATH = str(CONF)
del _spec
