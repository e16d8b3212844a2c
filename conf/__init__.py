"""The Hydra configs, installed as the package `reptile_sine_conf` (setup.py, pyproject.toml).

Hydra finds them as config_path="pkg://reptile_sine_conf", from a wheel and from an editable
checkout alike. This file only makes the folder an importable package.
"""
