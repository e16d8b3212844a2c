"""The search space in Hydra's sweep grammar, as hydra-optuna-sweeper reads it: each sweep
override becomes an Optuna distribution, each plain override a value every trial gets.

    interval(a, b)           FloatDistribution(a, b)
    tag(log, interval(a, b)) FloatDistribution(a, b, log=True)
    tag(int, interval(a, b)) IntDistribution(a, b)   (Hydra makes every interval bound a float)
    range(a, b, step)        IntDistribution(a, b - step, step) (a float step: a float one)
    choice(a, b) or a,b      CategoricalDistribution([a, b])

Hydra's own parser reads it, so values come out typed and quoting follows Hydra's rules; a
sampled value is written back as override text that parses to the same value (format_value).
"""

from __future__ import annotations

import re
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

TAGS = {"log", "int"}


class SearchSpace:
    """Distributions by key, the override key of each (with its + prefix), and the plain
    overrides every trial gets. A sweep of `replicate_key` is neither: the sweeper trains each
    of its values per trial."""

    def __init__(self, lines: list[str], replicate_key: str | None = None) -> None:
        self.distributions: dict[str, BaseDistribution] = {}
        self.keys: dict[str, str] = {}
        self.lines: dict[str, str] = {}  # each distribution's text, for messages
        fixed: dict[str, str] = {}
        for o in OverridesParser.create().parse_overrides(lines):
            name = o.key_or_group  # a later line for the same key wins, as in Hydra
            self.distributions.pop(name, None)
            fixed.pop(name, None)
            if o.is_sweep_override():
                if name != replicate_key:
                    self.distributions[name] = distribution(o)
                    self.keys[name] = o.get_key_element()
                    self.lines[name] = o.input_line
            else:
                fixed[name] = o.input_line
        self.fixed = list(fixed.values())

    def overrides(self, params: dict[str, Any]) -> list[str]:
        """A trial's overrides: the plain ones, then its sampled values."""
        return self.fixed + [f"{self.keys[k]}={format_value(params[k])}"
                             for k in self.distributions]

    def corners(self) -> dict[str, list[Any]]:
        """The values that bound each distribution: its ends, or each of its choices."""
        return {k: list(d.choices) if isinstance(d, CategoricalDistribution) else [d.low, d.high]
                for k, d in self.distributions.items()}

    def describe(self) -> dict[str, str]:
        return {k: repr(d) for k, d in self.distributions.items()}


def distribution(o: Override) -> BaseDistribution:
    """The Optuna distribution of one sweep override; ValueError names what is wrong."""
    value = o.value()
    tags = set(getattr(value, "tags", None) or ())
    if tags - TAGS:
        raise ValueError(f"{o.input_line}: unknown tag {sorted(tags - TAGS)[0]!r} (known: log, "
                         "int)")
    log, integer = "log" in tags, "int" in tags
    if o.is_choice_sweep():
        if tags:
            raise ValueError(f"{o.input_line}: a choice takes no tags")
        return CategoricalDistribution(list(o.sweep_iterator()))
    if o.is_range_sweep():
        if value.shuffle:
            raise ValueError(f"{o.input_line}: shuffle has no meaning in a search")
        values = list(o.sweep_iterator())
        if not values:
            raise ValueError(f"{o.input_line}: an empty range")
        low, high, step = min(values), max(values), abs(value.step)
        if integer or all(isinstance(v, int) for v in (value.start, value.stop, value.step)):
            return IntDistribution(int(low), int(high), log=log, step=int(step))
        return FloatDistribution(float(low), float(high), log=log, step=float(step))
    low, high = value.start, value.end  # an interval
    if integer:
        if low != int(low) or high != int(high):
            raise ValueError(f"{o.input_line}: tag(int, ...) needs whole bounds")
        return IntDistribution(int(low), int(high), log=log)
    return FloatDistribution(float(low), float(high), log=log)


_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_\-./]*")


def format_value(value: Any) -> str:
    """A sampled value as Hydra override text that parses back to the same value and type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return repr(value)  # the shortest exact form: 0.1, 1e-05
    if _PLAIN.fullmatch(value) and value.lower() not in {"null", "true", "false", "nan", "inf"}:
        return value
    # Hydra's quoted strings: \' is a quote, and only backslashes before a quote (or the closing
    # one) are escapes, so exactly those runs are doubled
    escaped = re.sub(r"(\\+)(?='|$)", lambda m: m.group(1) * 2, value)
    return "'" + escaped.replace("'", "\\'") + "'"
