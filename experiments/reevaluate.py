"""python -m experiments.reevaluate RUNS... --out DIR eval.KEY=VALUE...: finished runs evaluated
again with other evaluation settings, without training them again.

Every finished run (run.json says done) under RUNS goes to DIR/<its path below the folder
given> as the run directory the training app writes for the run's own command line plus the
eval.* overrides: the config is composed from the run's .hydra/overrides.yaml and the overrides,
as `python -m experiments.train` composes it; the meta-weights and the meta-optimiser's state come
from the run's final checkpoint.pt; the trainer's own final evaluation writes the files. Training
is a pure function of the config, so on the CPU the files are those a retraining with the
overrides writes (tested byte for byte), except curve.csv and snapshots.csv, which keep the
source run's learning curve (measured during its training, with its evaluation settings), and
run.json's wall_seconds (the source's training plus this evaluation). Only eval.* keys may be
overridden: every other key changes the training.

Runs that differ only in member keys are evaluated together as one population. A run already
re-evaluated into DIR is left as it is. Exit status 2 with one line for a bad path or override,
or a run whose command line no longer composes to the config it was trained with.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

import rundir

from .config import conf_tree
from .preflight import Composer
from .validate import ConfigError, validate

EVAL = "eval."  # the keys an evaluation may change


def finished_runs(paths: list[str]) -> list[tuple[Path, Path]]:
    """(run directory, its path below the folder given) of every done run under `paths`."""
    found = []
    for given in map(Path, paths):
        if not given.is_dir():
            raise ConfigError(f"{given}: no such directory (give a run or a folder of runs)")
        if (given / rundir.RUN_JSON).is_file():
            runs = [(given, Path())]
        else:
            runs = [(p.parent, p.parent.relative_to(given))
                    for p in sorted(given.rglob(rundir.RUN_JSON))]
        for run, below in runs:
            info = rundir.read_run_json(run)
            if info and info["status"] == "done":
                found.append((run, below))
            else:
                print(f"warning: {run}: not finished, left out", file=sys.stderr)
    if not found:
        raise ConfigError(f"{', '.join(paths)}: no finished run in it")
    return found


def eval_overrides(overrides: list[str]) -> list[str]:
    """The overrides, each checked to set an eval.* key."""
    parser = OverridesParser.create()
    for text in overrides:
        try:
            key = parser.parse_override(text).key_or_group
        except HydraException as exc:
            raise ConfigError(f"{text}: not an override ({str(exc).splitlines()[0]})") from None
        if not key.startswith(EVAL):
            raise ConfigError(f"{text} is not allowed: only eval.* keys can change without "
                              "training again (use python -m experiments.train)")
    return overrides


def compose_for(run: Path, overrides: list[str], compose: Composer) -> tuple[DictConfig, dict]:
    """The run's config with the overrides, and the run's final checkpoint with that config."""
    previous = rundir.read_yaml(run / rundir.OVERRIDES, list)
    cfg = compose([*previous, *overrides])
    validate(cfg)
    state = rundir.load_torch(run / rundir.CHECKPOINT)
    config = OmegaConf.to_container(cfg, resolve=True)
    old, new = rundir.flatten(state["config"]), rundir.flatten(config)
    # a key the run's config lacks is a knob added since: composed from the run's own
    # overrides it holds its default, as the run trained
    moved = sorted(k for k in old if old[k] != new.get(k) and not k.startswith(EVAL))
    if moved:
        raise ConfigError(f"{run}: its command line now composes another training config "
                          f"(differs in {', '.join(moved)}); retrain it instead")
    return cfg, {**state, "config": config}


def prepare_run(out: Path, cfg: DictConfig, overrides: list[str], state: dict) -> None:
    """OUT/.hydra/ as Hydra writes it, and the checkpoint the trainer resumes from (at the last
    iteration, so it only evaluates)."""
    rundir.write_text(out / rundir.CONFIG, OmegaConf.to_yaml(cfg))
    rundir.write_text(out / rundir.OVERRIDES, OmegaConf.to_yaml(OmegaConf.create(overrides)))
    rundir.save_torch(out / rundir.CHECKPOINT, state)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m experiments.reevaluate",
                                description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__)
    p.add_argument("items", nargs="+", metavar="RUN_OR_OVERRIDE",
                   help="finished run directories (or folders of them) and eval.KEY=VALUE "
                        "overrides")
    p.add_argument("--out", required=True, type=Path, help="where the new run directories go")
    args = p.parse_intermixed_args(argv)
    overrides = [a for a in args.items if "=" in a]
    paths = [a for a in args.items if "=" not in a]
    try:
        overrides = eval_overrides(overrides)
        jobs = []
        with conf_tree():
            compose = Composer()
            for run, below in finished_runs(paths):
                out = args.out / below
                cfg, state = compose_for(run, overrides, compose)
                if not (out / rundir.RUN_JSON).exists():
                    previous = rundir.read_yaml(run / rundir.OVERRIDES, list)
                    prepare_run(out, cfg, [*previous, *overrides], state)
                jobs.append((cfg, out))
    except (ConfigError, rundir.ContractError, HydraException, OmegaConfBaseException) as exc:
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    from .train import finish_line, prepare
    from .trainer import train
    from .writer import RunDirError

    prepare(jobs[0][0])
    try:
        infos = train([cfg for cfg, _ in jobs], [out for _, out in jobs])
    except RunDirError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for info, (_, out) in zip(infos, jobs, strict=True):
        finish_line(info, out)
    return 0 if all(info["status"] == "done" for info in infos) else 1


if __name__ == "__main__":
    sys.exit(main())
