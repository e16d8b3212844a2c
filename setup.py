"""The package list (everything else is in pyproject.toml).

conf/ stays at the top of the repository and is installed as the package `reptile_sine_conf`
(pyproject's package-dir), where the app finds it as config_path="pkg://reptile_sine_conf" from
any folder; an editable install maps the name to ./conf, so edits show at once. `hydra_plugins`
is listed itself, not only its subpackages: it is a namespace package (no __init__.py, shared
with hydra-joblib-launcher and hydra-submitit-launcher) and an editable install puts
./hydra_plugins on its __path__ only when it is named, else Hydra never discovers the plugins.
Every subpackage (hydra_plugins/* included) is found by pattern: a new one needs no edit here.
"""

from setuptools import find_namespace_packages, setup

TOP = ["reptile", "experiments", "analysis", "rundir", "hydra_plugins"]
CONFIG_PACKAGE = "reptile_sine_conf"  # = conf/, pyproject.toml's package-dir


def packages(where: str = ".") -> list[str]:
    found = find_namespace_packages(where, include=[*TOP, *(f"{p}.*" for p in TOP)],
                                    exclude=["*.__pycache__", "*.__pycache__.*"])
    return [*found, CONFIG_PACKAGE]


if __name__ == "__main__":  # setuptools runs this file as __main__
    setup(packages=packages())
