"""Every knob, declared once: its type, default, allowed values and one-line doc.

The schema is registered with Hydra's ConfigStore (as SCHEMA_NAME) and listed first in
conf/config.yaml's defaults, so a wrong type (inner_steps=abc) or an unknown key (inner_step=4)
is refused while composing. validate.py checks each knob's rules; README's key table is
generated from here (`python -m experiments.schema`), and tests prove that conf/ holds the same
defaults and comments. A rule's text says what is allowed and is formatted with the config as
`c`, so a cross-key rule can show the other key's value: "an integer in [1, task.n_points]
([1, 50])".

A default that a cross-key rule bounds is derived from the key that bounds it (rundir/derived.py:
eval.curve_tasks is min(100, eval.n_tasks)), so a config refused by such a rule holds a value the
user (or a preset) set: only a conflict between set values is refused.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore

from reptile.names import (
    ACTIVATIONS,
    ALGORITHMS,
    COMBINES,
    DEVICES,
    INITS,
    MEASURES,
    OPTIMIZERS,
    SUPPORTS,
    TAILS,
)
from rundir.derived import QUERY_APART, register_resolvers

from .tracking import LOGGERS


@dataclass(frozen=True)
class Rule:
    ok: Callable[[Any, Any], bool]  # (value, the whole config) -> allowed?
    allowed: str  # "must be ..." text, formatted with the config as c
    across: bool = False  # reads other keys: checked once every key's own rules hold


def across(ok: Callable[[Any, Any], bool], allowed: str) -> Rule:
    """A rule that reads other keys of the config too."""
    return Rule(ok, allowed, across=True)


def knob(default, doc: str, *rules: Rule, shown: str | None = None, member: bool = False):
    """A schema field: its default, its doc (conf/'s comment, README's table) and its rules.
    `shown` is how README writes the default where the value itself reads badly (2 pi).
    `member`: the key changes no shape of the computation, so jobs that differ only in such keys
    train together as one population (hydra/launcher=population)."""
    meta = {"doc": doc, "rules": rules, "shown": shown, "member": member}
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=meta)
    return field(default=default, metadata=meta)


def at_least(lo: int, note: str = "") -> Rule:
    return Rule(lambda v, c: v >= lo, f"an integer >= {lo}" + (f" ({note})" if note else ""))


def positive() -> Rule:
    return Rule(lambda v, c: v > 0 and math.isfinite(v), "a number > 0")


def one_of(choices: tuple[str, ...]) -> Rule:
    return Rule(lambda v, c: v in choices, "one of " + ", ".join(choices))


def interval(what: str, ok: Callable[[float, float], bool] = lambda lo, hi: lo <= hi) -> Rule:
    """[lo, hi], finite, with `ok(lo, hi)`."""
    return Rule(lambda v, c: len(v) == 2 and all(map(math.isfinite, v)) and ok(*v), what)


def ks_within_steps() -> Rule:
    return across(lambda v, c: len(v) > 0 and all(0 <= k <= c.eval.steps for k in v),
                "a non-empty list of k in [0, eval.steps] ([0, {c.eval.steps}])")


def held_out_tasks(lo: int) -> Rule:
    """An integer in [lo, eval.n_tasks]: a number of the held-out tasks."""
    return across(lambda v, c: lo <= v <= c.eval.n_tasks,
                  f"an integer in [{lo}, eval.n_tasks] ([{lo}, {{c.eval.n_tasks}}])")


def fits_grid(what: str) -> Rule:
    """At most task.n_points where the support points are distinct points of a grid family's
    grid (eval.support=family)."""
    return across(lambda v, c: all(
        k >= 1 and (not c.task.grid or c.eval.support == "uniform" or k <= c.task.n_points)
        for k in (v if isinstance(v, list) else [v])),
        f"{what}, each <= task.n_points ({{c.task.n_points}}) on a grid task family with "
        "eval.support=family")


@dataclass
class TaskSchema:
    name: str = knob("reptile", "the family's name, set by the group choice "
                     "`task=reptile` or `task=maml`")
    amplitude: list[float] = knob([0.1, 5.0], "a ~ U[lo, hi]",
                                  interval("[lo, hi] with 0 <= lo <= hi",
                                           lambda lo, hi: 0 <= lo <= hi))
    phase: list[float] = knob([0.0, 2 * math.pi], "b ~ U[lo, hi], radians: [0, 2 pi]",
                              interval("[lo, hi] with lo <= hi"), shown="[0, 2 pi]")
    x_range: list[float] = knob([-5.0, 5.0], "inputs lie in [lo, hi]",
                                interval("[lo, hi] with lo < hi", lambda lo, hi: lo < hi))
    n_points: int = knob(50, "points per training task", at_least(1))
    grid: bool = knob(True, "true: x on linspace(lo, hi, n_points); false: x ~ U[lo, hi] per "
                      "task")


@dataclass
class ModelSchema:
    width: int = knob(64, "units per hidden layer", at_least(1))
    depth: int = knob(2, "hidden layers", at_least(1))
    activation: str = knob("tanh", "tanh / relu / sigmoid (the Reptile demo notes tanh beats "
                           "relu slightly)", one_of(ACTIVATIONS))
    init: str = knob("uniform", "uniform: PyTorch's nn.Linear default / normal: w ~ N(0, "
                     "init_std^2) truncated at 2 std, zero biases (the MAML reference code's)",
                     one_of(INITS))
    init_std: float = knob(0.01, "standard deviation of init=normal", positive(),
                           member=True)


@dataclass
class AlgoSchema:
    name: str = knob("reptile", "the algorithm, set by the group choice "
                     "`algo=reptile|fomaml|maml|pretrain|combo`", one_of(ALGORITHMS))
    meta_optimizer: str = knob("sgd", "sgd: the update above / adam: (phi - mean W) as Adam's "
                               "gradient, meta_step its learning rate", one_of(OPTIMIZERS))
    tail: str = knob(
        "separate", "maml, fomaml, combo: the query minibatch (combo: that of the last "
        "gradient); separate: held apart from the support (on a grid family the last "
        "inner_batch of each task's shuffled points) / shared: the next minibatch of the inner "
        "loop's own cycle", one_of(TAILS),
        # the support must fill a minibatch once the query's points are held apart
        across(lambda v, c: v == "shared" or not c.task.grid or c.algo.name not in QUERY_APART
               or c.task.n_points - c.inner_batch >= c.inner_batch,
            "shared when a grid task's points minus the query's (task.n_points - inner_batch "
            "= {c.task.n_points} - {c.inner_batch}) cannot fill an inner minibatch"))
    terms: int = knob(
        "${inner_steps}", "combo: i, the inner minibatches whose gradients g_1..g_i make the "
        "meta-gradient (the i-th from algo.tail); the default: all inner_steps",
        across(lambda v, c: 1 <= v <= c.inner_steps,
               "an integer in [1, inner_steps] ([1, {c.inner_steps}])"))
    combine: str = knob(
        "sum", "combo: the meta-gradient; sum: g_1 + ... + g_i (with SGD inner steps and a "
        "shared tail, Reptile truncated after i steps) / last: g_i alone (first-order MAML "
        "with i - 1 inner steps); the outer step is meta_step * inner_lr along it",
        one_of(COMBINES))


@dataclass
class EvalSchema:
    n_tasks: int = knob(1000, "held-out tasks (fixed for the run, drawn from their own seed "
                        "stream)", at_least(1))
    seed: int = knob(0, "held-out seed; independent of the training seed, so every job of a "
                     "sweep sees the same tasks", at_least(0), member=True)
    shots: int = knob("${reptile_sine.cap_on_grid:10,${task.n_points},${task.grid}}",
                      "K, support points per held-out task (the Reptile figure uses 10; "
                      "unless set, at most task.n_points on a grid family)",
                      fits_grid("an integer >= 1"),
                      shown="min(10, task.n_points) on a grid")
    steps: int = knob(32, "adaptation steps; MSE is recorded after every k = 0..steps",
                      at_least(1))
    lr: float = knob("${inner_lr}", "adaptation step size (defaults to the inner step size)",
                     positive(), member=True)
    optimizer: str = knob("${inner_optimizer}", "sgd / adam", one_of(OPTIMIZERS))
    support: str = knob("family", "where a held-out task's K support points lie; family: as "
                        "the task family draws them (distinct grid points on a grid family, "
                        "uniform draws otherwise) / uniform: K uniform draws over task.x_range "
                        "(the Reptile paper's section 4)", one_of(SUPPORTS))
    measure: str = knob("grid", "where the held-out MSE is measured; grid: eval.grid_points "
                        "evenly spaced points over task.x_range / query: K fresh uniform points "
                        "per task from the held-out stream (the MAML reference code's test loss)",
                        one_of(MEASURES))
    grid_points: int = knob(50, "points of the dense grid over task.x_range on which the MSE "
                            "is measured (eval.measure=grid)", at_least(2))
    curve_tasks: int = knob("${reptile_sine.min:100,${eval.n_tasks}}",
                            "held-out tasks (the first ones) used for the learning curve "
                            "(unless set, 100 or eval.n_tasks if fewer)", held_out_tasks(1),
                            shown="min(100, eval.n_tasks)")
    curve_ks: list[int] = knob("${reptile_sine.upto:[0,1,8,32],${eval.steps}}",
                               "k values recorded in the learning curve (each <= steps; unless "
                               "set, those of the default that are)", ks_within_steps(),
                               shown="[0, 1, 8, 32] up to steps")
    predict_tasks: int = knob("${reptile_sine.min:4,${eval.n_tasks}}",
                              "held-out tasks whose fits are saved (predictions.csv) and drawn "
                              "(unless set, 4 or eval.n_tasks if fewer)", held_out_tasks(0),
                              shown="min(4, eval.n_tasks)")
    predict_ks: list[int] = knob("${reptile_sine.upto:[0,8,16,24,32],${eval.steps}}",
                                 "k values saved in predictions.csv and drawn (each <= steps; "
                                 "unless set, those of the default that are)", ks_within_steps(),
                                 shown="[0, 8, 16, 24, 32] up to steps")
    predict_points: int = knob(200, "x points of the dense grid the saved fits are drawn on",
                               at_least(2))
    snapshot_every: int = knob(0, "outer iterations between snapshots of held-out task 0's fit "
                               "at predict_ks (snapshots.csv); 0 = none",
                               at_least(0, "0 = no snapshots.csv"))
    extra_shots: list[int] = knob([], "further K values evaluated on the same held-out tasks at "
                                  "the end: eval_K{K}.csv, eval_tasks_K{K}.csv",
                                  fits_grid("a list of integers >= 1"))
    validation_tasks: int = knob(0, "validation tasks, drawn from eval.seed's own validation "
                                 "stream (never test tasks) and evaluated as the held-out ones "
                                 "at the end: eval_val.csv, val_mse_* in run.json; a search "
                                 "optimises their MSE; 0 = none", at_least(0, "0 = none"))


@dataclass
class LoggerSchema:
    name: str = knob("none", "experiment tracker, set by the group choice "
                     "`logger=none|tensorboard|mlflow` (README: Tracking)", one_of(LOGGERS))


@dataclass
class Schema:
    task: TaskSchema = field(default_factory=TaskSchema)
    model: ModelSchema = field(default_factory=ModelSchema)
    algo: AlgoSchema = field(default_factory=AlgoSchema)
    eval: EvalSchema = field(default_factory=EvalSchema)
    logger: LoggerSchema = field(default_factory=LoggerSchema)
    seed: int = knob(0, "training seed: initial weights and the training task stream",
                     at_least(0), member=True)
    device: str = knob("auto", "cpu / cuda / auto (cuda when available)", one_of(DEVICES))
    threads: int = knob(1, "torch CPU threads; 1 is fastest for these tiny matmuls and gives "
                        "sweeps one core per job; 0 = torch's default",
                        at_least(0, "0 = torch's default"))
    compile: bool = knob(False, "torch.compile the inner loop: a one-off compile (cached on "
                         "disk), then several times faster at small meta_batch")
    meta_step: float = knob(0.1, "eps, the meta step size at iteration 0: phi moves this "
                            "fraction of the way to mean(W)",
                            Rule(lambda v, c: 0 < v <= 1, "a number in (0, 1]"), member=True)
    meta_step_final: float = knob(0.0, "eps at the last iteration; annealed linearly from "
                                  "meta_step (the paper anneals to 0)",
                                  across(lambda v, c: 0 <= v <= c.meta_step,
                                       "a number in [0, meta_step] ({c.meta_step})"),
                                  member=True)
    meta_batch: int = knob(5, "n, tasks per outer iteration (1 = serial Reptile)", at_least(1))
    meta_iters: int = knob(10000, "outer iterations", at_least(1))
    inner_steps: int = knob(5, "k, inner SGD steps per task per outer iteration", at_least(1))
    inner_batch: int = knob("${reptile_sine.batch_fit:10,${task.n_points},${task.grid},"
                            "${algo.name},${algo.tail}}",
                            "m, points per inner minibatch (<= task.n_points; unless set, 10 or "
                            "what fits: task.n_points, half of them beside a held-apart query "
                            "on a grid, algo.tail=separate)",
                            across(lambda v, c: 1 <= v <= c.task.n_points,
                                 "an integer in [1, task.n_points] ([1, {c.task.n_points}])"),
                            shown="min(10, what fits)")
    inner_lr: float = knob(0.02, "alpha, inner step size", positive(), member=True)
    inner_optimizer: str = knob(
        "sgd", "sgd / adam (Adam with beta1 = 0, fresh state per task)", one_of(OPTIMIZERS),
        # second-order MAML differentiates through plain SGD inner steps only
        across(lambda v, c: v == "sgd" or c.algo.name != "maml", "sgd when algo.name is maml"))
    log_every: int = knob(500, "outer iterations between learning-curve points (held-out MSE "
                          "on eval.curve_tasks tasks)", at_least(1))
    checkpoint_every: int = knob(2000, "outer iterations between resumable checkpoints (0 = "
                                 "only at the end)", at_least(0, "0 = only at the end"))


def knobs(schema: type = Schema, prefix: str = "") -> list[tuple[str, dataclasses.Field]]:
    """(dotted key, field) of every knob, in README's order: top-level keys, then each group."""
    top, groups = [], []
    for f in dataclasses.fields(schema):
        if dataclasses.is_dataclass(f.default_factory):  # a group: task, model, algo, eval
            groups += knobs(f.default_factory, f"{prefix}{f.name}.")
        else:
            top.append((prefix + f.name, f))
    return top + groups


MEMBER_KEYS = tuple(key for key, f in knobs() if f.metadata["member"])


def default_text(f: dataclasses.Field) -> str:
    if f.metadata["shown"] is not None:
        return f.metadata["shown"]
    value = f.default_factory() if f.default is dataclasses.MISSING else f.default
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def markdown_table() -> str:
    """README's key table."""
    lines = ["| key | default | meaning |", "| --- | --- | --- |"]
    for key, f in knobs():
        doc = f.metadata["doc"].replace("|", "\\|")
        lines.append(f"| `{key}` | `{default_text(f)}` | {doc} |")
    return "\n".join(lines) + "\n"


# conf/config.yaml's first default. A name of this project's own: ConfigStore is one registry
# per process, shared with whatever else the process composes (a notebook's own configs).
SCHEMA_NAME = "reptile_sine_schema"


def register() -> None:
    """Stores the schema in Hydra's ConfigStore (again: the same node, so it is idempotent).
    Called by whatever composes (the app's cli(), the compose API of experiments.config), never
    at import. The resolvers of derived defaults (rundir/derived.py) come with it: conf/ uses
    them."""
    register_resolvers()
    ConfigStore.instance().store(name=SCHEMA_NAME, node=Schema)


if __name__ == "__main__":
    print(markdown_table(), end="")
