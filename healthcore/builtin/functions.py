"""Built-in expression functions: min, max, abs, round, coalesce, is_null."""

from __future__ import annotations

import math
from typing import Any, Callable

from ..expressions import ExpressionFunction, exact_divisor
from ..hookspecs import hookimpl


def _any_null(values: tuple[Any, ...]) -> bool:
    return any(v is None for v in values)


def _vector_min(*args):
    import polars as pl
    return pl.when(pl.any_horizontal(*(a.is_null() for a in args)).not_()).then(
        pl.min_horizontal(*args))


def _vector_max(*args):
    import polars as pl
    return pl.when(pl.any_horizontal(*(a.is_null() for a in args)).not_()).then(
        pl.max_horizontal(*args))


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
    scaled = value * scale
    rounded = pl.when(scaled.is_finite()).then(scaled.round(0))
    return rounded / exact_divisor(rounded, scale)


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
