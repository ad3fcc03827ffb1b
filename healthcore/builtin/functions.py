"""Built-in expression functions: min, max, abs, round, coalesce, is_null."""

from __future__ import annotations

import math
from typing import Any, Callable

from healthcore.plugin import ExpressionFunction, divisor_column, hookimpl


def _any_null(values: tuple[Any, ...]) -> bool:
    return any(v is None for v in values)


def _vector_extreme(args: tuple, smallest: bool):
    """The smallest or largest of ``args``, null if any is null. Each argument is used once:
    an expression repeating a part of itself grows exponentially when nested (min(min(...)))."""
    import polars as pl
    element = pl.element()
    extreme = element.min() if smallest else element.max()
    values = pl.concat_list([arg.cast(pl.Float64) for arg in args])
    return values.list.eval(pl.when(element.null_count() == 0).then(extreme)).list.first()


def _vector_min(*args):
    return _vector_extreme(args, smallest=True)


def _vector_max(*args):
    return _vector_extreme(args, smallest=False)


def _scalar_round(value: float | None, digits: float | None = 0.0) -> float | None:
    if value is None or digits is None or digits != int(digits) or abs(digits) > 15:
        return None
    scaled = value * 10.0 ** int(digits)
    if not math.isfinite(scaled):
        return None
    return round(scaled) / 10.0 ** int(digits)


def _vector_round(value, digits: float = 0.0):
    import polars as pl
    if digits != int(digits) or abs(digits) > 15:
        return pl.lit(None, pl.Float64)
    scale = 10.0 ** int(digits)
    rounded = (value * scale).round(0).replace([math.inf, -math.inf, math.nan], None)
    return rounded / divisor_column(scale)


def _vector_coalesce(*args):
    import polars as pl
    return pl.coalesce(*args)


def _scalar(function: Callable[..., Any]) -> Callable[..., Any]:
    def apply(*args: Any) -> Any:
        return None if _any_null(args) else function(*args)
    return apply


BUILTIN_FUNCTIONS = (
    ExpressionFunction("min", _vector_min, _scalar(min), 1, None,
                       summary="smallest of the values (null if any is null)"),
    ExpressionFunction("max", _vector_max, _scalar(max), 1, None,
                       summary="largest of the values (null if any is null)"),
    ExpressionFunction("abs", lambda x: x.abs(), _scalar(abs), summary="absolute value"),
    ExpressionFunction("round", _vector_round, _scalar_round, 1, 2, literal_from=1,
                       summary="round(x) or round(x, digits) with digits written as a "
                               "number; halves to even"),
    ExpressionFunction("coalesce", _vector_coalesce,
                       lambda *args: next((a for a in args if a is not None), None), 1, None,
                       arg_kind="any", returns="any",
                       summary="the first of its arguments that is not null"),
    ExpressionFunction("is_null", lambda x: x.is_null(), lambda x: x is None,
                       arg_kind="any", returns="boolean",
                       summary="true when the value is missing"),
)


@hookimpl
def healthcore_register_functions(register):
    for function in BUILTIN_FUNCTIONS:
        register(function)
