"""The Hydra apps: configuration in, run directories out (docs/run-directory.md).

    train       python -m experiments.train: one job, or a sweep with -m
    preflight   every job of a launch composed and validated before anything runs
    schema      every knob declared once; validate checks its rules
    build       config -> the engine's objects (reptile/)
    trainer     one job's loop: train, curve, checkpoints, evaluation
    writer      one job's run.json and checkpoint; outputs: its other files
    sweep       summary.csv, failure records, unique folder names; callbacks: Hydra's hooks
    tracking    logger=tensorboard|mlflow: each job's hyperparameters, curve, metrics, figure
    sharpness   python -m experiments.sharpness RUN_DIR: a diagnostic of finished runs
"""

from pathlib import Path

CONF = Path(__file__).resolve().parents[1] / "conf"  # the config tree Hydra composes
