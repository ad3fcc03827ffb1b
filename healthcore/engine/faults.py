"""Judging what a plugin's metric gave: the faults that leave its indicator out (or, in strict
mode, stop the run), each said as what it did after the metric's label."""

from __future__ import annotations

import math
import numbers
import reprlib
from typing import Any, Callable

import polars as pl

from healthcore.errors import MetricError
from healthcore.plugin.metric import Computed
from healthcore.ruleset import Indicator


WRONG_LENGTH = "it gave a column whose length is not the number of accounts"
NONFINITE = ("NaN", "inf", "-inf")
"""What :func:`nonfinite_code` codes stand for."""


def failed_on_batch(exc: Exception) -> str:
    """What a metric whose column could not be computed did, after its label."""
    text = str(exc).strip()
    if isinstance(exc, pl.exceptions.ShapeError):
        text = WRONG_LENGTH
    return f"failed on this batch: {type(exc).__name__}: {text.splitlines()[0] if text else '-'}"


def nonfinite_code(result: pl.Expr) -> pl.Expr:
    """Where a metric's result is NaN or infinite, which (an index of :data:`NONFINITE`)."""
    return (pl.when(result.is_nan()).then(pl.lit(0, pl.UInt8))
            .when(result == math.inf).then(pl.lit(1, pl.UInt8))
            .when(result == -math.inf).then(pl.lit(2, pl.UInt8)))


def not_an_expression(result: Computed) -> str | None:
    """What is wrong with the parts of a metric's result, shown briefly, if anything."""
    for part, allowed in ((result.value, (pl.Expr,)), (result.invalid, (pl.Expr, type(None))),
                          (result.problem, (pl.Expr, str, type(None)))):
        if not isinstance(part, allowed):
            return reprlib.repr(part)
    return None


def not_plain(result: Computed) -> str | None:
    """What is wrong with a per-account metric's :class:`Computed`, whose parts are Python
    values, if anything."""
    for part, value, allowed, wanted in (
            ("value", result.value, numbers.Real, "a number or None"),
            ("invalid", result.invalid, bool, "True, False or None"),
            ("problem", result.problem, str, "a text or None")):
        if value is not None and (not isinstance(value, allowed)
                                  or (part == "value" and isinstance(value, bool))):
            shown = "a polars expression" if isinstance(value, pl.Expr) else reprlib.repr(value)
            return f"returned a Computed whose {part} is {shown}, not {wanted}"
    return None


def one_number(value: Any) -> tuple[float | None, str | None]:
    """A per-account metric's value as a float, or what is wrong with it."""
    if value is None:
        return None, None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None, f"returned {value!r:.60}, not a number"
    try:
        number = float(value)
    except OverflowError:  # an int beyond the range of floats
        number = math.inf
    if not math.isfinite(number):
        return None, f"gave {number}"
    return number, None


def finite_or_stop(label: str) -> Callable[[pl.Series], pl.Series]:
    """A check of a strict run's metric column: it stops the run at a NaN or infinity."""
    def check(values: pl.Series) -> pl.Series:
        wrong = values.filter(values.is_not_null() & values.is_finite().not_())
        if len(wrong):
            raise stopped(f"{label} gave {wrong[0]} for {len(wrong):,} account"
                           f"{'s' if len(wrong) > 1 else ''}")
        return values
    return check


def stopped(message: str) -> MetricError:
    """The error that stops a strict run at a metric's fault."""
    return MetricError(f"{message}; the run stopped (strict mode)")


def metric_label(indicator: Indicator) -> str:
    """The metric, its plugin and its indicator, as messages name them."""
    metric = indicator.metric
    return f"metric '{metric.name}' (plugin {metric.plugin}) of indicator '{indicator.id}'"
