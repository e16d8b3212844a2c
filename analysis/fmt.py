"""How numbers and setting values are printed, the same in tables, figures and the report."""

from __future__ import annotations

import math
import numbers

DASH = "–"  # a missing value, e.g. the interval of a single seed


def number(value: object, digits: int = 3) -> str:
    """Three significant digits; "–" for missing, "inf" for a blow-up."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return DASH
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.{digits}g}"


def value_text(value: object) -> str:
    """A hyperparameter value: floats to four significant digits, the rest as they print."""
    return number(value, 4) if isinstance(value, float) else str(value)


def setting_text(keys: list[str], values: tuple) -> str:
    """"inner_steps=4, inner_lr=0.02"."""
    return ", ".join(f"{key}={value_text(value)}" for key, value in zip(keys, values, strict=True))


def plus_minus(mean: float, halfwidth: float) -> str:
    """"0.0791 ± 0.0034": the half-width to two significant digits, the mean to the same
    decimal place (three significant digits, and "± –", without an interval)."""
    if not math.isfinite(mean) or not math.isfinite(halfwidth) or halfwidth <= 0:
        return f"{number(mean)} ± {number(halfwidth, 2)}"
    decimals = max(0, 1 - math.floor(math.log10(halfwidth)))
    return f"{mean:.{decimals}f} ± {halfwidth:.{decimals}f}"


def bracket(mean: float, lo: float, hi: float) -> str:
    """"0.0791 [0.0702, 0.0893]": an asymmetric interval, its ends to two significant digits of
    the nearer one's distance from the mean, the mean to the same decimal place ("[–]" without an
    interval)."""
    gaps = [abs(end - mean) for end in (lo, hi)]
    if not all(math.isfinite(v) for v in (mean, lo, hi)) or max(gaps) <= 0:
        return f"{number(mean)} [{DASH}]"
    decimals = max(0, 1 - math.floor(math.log10(min(g for g in gaps if g > 0))))
    return f"{mean:.{decimals}f} [{lo:.{decimals}f}, {hi:.{decimals}f}]"


def interval_text(interval: str, mean: float, lo: float, hi: float,
                  halfwidth: float | None = None) -> str:
    """A mean with its 95% interval as the interval scheme writes it: "mean ± half-width" for
    the symmetric t-interval (`halfwidth`, or half of hi - lo), "mean [lo, hi]" otherwise."""
    if interval == "t":
        return plus_minus(mean, (hi - lo) / 2 if halfwidth is None else halfwidth)
    return bracket(mean, lo, hi)


def ordered(values) -> list:
    """The distinct non-missing values, numbers by size, anything else by its text."""
    distinct = list(dict.fromkeys(v for v in values if v is not None and v == v))
    if all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in distinct):
        return sorted(distinct)
    return sorted(distinct, key=str)
