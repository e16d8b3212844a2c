"""A Hydra sweeper on Optuna's ask-and-tell API: hydra/sweeper=optuna (docs/sweeps.md, Search).

    config.py   its config, registered at every Hydra start: imports nothing heavy
    sweeper.py  the plugin class Hydra instantiates: a shell that imports _study.py
    _space.py   Hydra's sweep grammar (interval, tag(log, ...), range, choice) -> distributions
    _study.py   the study in the sweep folder, the ask -> launch -> tell loop, resume

Modules whose names start with _ are skipped by Hydra's plugin scan, so optuna is imported only
when a search starts.
"""
