"""The first-rows probe: a plugin's vectorized metric is tried on a few rows of the batch before
the query runs, where polars would otherwise copy a single value to every account, or cast
true/false or text to numbers, without a word."""

from __future__ import annotations

from typing import Callable

import polars as pl

from healthcore.engine.faults import WRONG_LENGTH, failed_on_batch, not_an_expression
from healthcore.engine.inputs import missing_field, prepare
from healthcore.engine.segments import BySegment
from healthcore.plugin.metric import Computed
from healthcore.plugin.registry import BUILTIN_PLUGINS
from healthcore.ruleset import Indicator, Ruleset


ROWS = 2
"""How many rows of the batch a metric is tried on."""


def rows(ruleset: Ruleset, frame: pl.DataFrame, by_segment: BySegment) -> pl.LazyFrame | None:
    """The first rows of the batch (null rows where it has fewer), with the segment column
    that inputs may read: where the plugins' vectorized metrics are tried (see :func:`fault`);
    None when the ruleset has none."""
    if not any(probed(indicator) for indicator in ruleset.indicators):
        return None
    first = pl.concat([frame.head(ROWS), frame.clear(ROWS)]).head(ROWS).lazy()
    if ruleset.segments:
        def value(field: str, kind: str) -> pl.Expr:
            read = prepare(field, kind, frame.schema[field]) if field in frame.schema \
                else missing_field(field, kind)
            return read[0]
        first = first.with_columns(by_segment.column(value))
    return first


def probed(indicator: Indicator) -> bool:
    """Whether the indicator's metric is tried on a few rows before the batch: the vectorized
    metrics of plugins (the built-in ones are checked by the test suite)."""
    metric = indicator.metric
    return not metric.per_account and metric.plugin not in BUILTIN_PLUGINS


def result_to_try(indicator: Indicator, inputs: dict[str, pl.Expr], result: Computed
                  ) -> Computed:
    """The metric's result to try on the probe: where some inputs are constants (a field
    missing from the input, an expression reading no field), computed again with them as
    the columns they stand for, so that a metric that keeps one value per account passes. (The
    query itself keeps the constants, which polars computes far faster.)"""
    if all(column.meta.root_names() for column in inputs.values()):
        return result
    columns = {param: _one_per_account(column) for param, column in inputs.items()}
    try:
        again = indicator.metric.compute(columns, dict(indicator.params))
    except Exception:  # it did not raise with the constants: judge what it gave then
        return result
    again = again if isinstance(again, Computed) else Computed(again)
    return result if not_an_expression(again) is not None else again


def fault(result: Computed, first: pl.LazyFrame) -> str | None:
    """What is wrong with the columns a metric gives, found by computing them on the
    ``first`` rows (see :func:`rows`): polars would copy a single value (an aggregate such as
    ``sum()``, or a constant) to every account, and cast true/false or text of digits to
    numbers, without a word."""
    found = _column_fault(result.value, first, _wrong_type)
    if found is None and isinstance(result.invalid, pl.Expr):
        found = _column_fault(result.invalid, first, _not_flags)
        return None if found is None else f"returned a Computed whose invalid {found}"
    return found


def _column_fault(column: pl.Expr, first: pl.LazyFrame,
                  wrong_type: Callable[[pl.DataType], str | None]) -> str | None:
    """What is wrong with ``column`` computed on the ``first`` rows: its type (``wrong_type``
    says), or a length other than theirs."""
    try:
        tried = first.select(column).collect()
    except Exception as exc:  # polars' errors, and those of a metric's own Python code
        return failed_on_batch(exc)
    if tried.width != 1:
        return f"gave {tried.width} columns, not one"
    wrong = wrong_type(tried.to_series().dtype)
    if wrong is not None:
        return wrong
    if tried.height == 1:
        return ("gave one value for all the accounts (an aggregate such as sum() or mean(), "
                "or a constant), not one per account")
    if tried.height != ROWS:
        return WRONG_LENGTH.removeprefix("it ")
    return None


def _not_flags(dtype: pl.DataType) -> str | None:
    """Why a :class:`Computed`'s ``invalid`` of ``dtype`` is not true/false, if it is not."""
    return None if dtype in (pl.Boolean, pl.Null) else f"gave {dtype}, not true/false"


def _wrong_type(dtype: pl.DataType) -> str | None:
    """Why a metric's column of ``dtype`` is not numbers, if it is not."""
    if dtype.is_numeric() or dtype == pl.Null:
        return None
    if dtype == pl.Boolean:
        return ("gave true/false values (Boolean), not numbers; a metric that means 1 and 0 "
                "says so with .cast(pl.Float64)")
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
        return f"gave text ({dtype}), not numbers; text is never read as a number"
    return f"gave values of type {dtype}, not numbers"


def _one_per_account(value: pl.Expr) -> pl.Expr:
    """An input as a column of one value per account: a constant (a field missing from the
    input, an expression reading no field) repeated."""
    return value if value.meta.root_names() else pl.repeat(value, pl.len())
