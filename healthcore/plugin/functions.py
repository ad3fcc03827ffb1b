"""What a plugin registers to extend the expression language: :class:`ExpressionFunction`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Literal

if TYPE_CHECKING:
    import polars as pl

Kind = Literal["number", "text", "boolean", "any"]
"""The kind of a value in an expression: what a function takes and returns."""


@dataclass(frozen=True)
class ExpressionFunction:
    """A function callable from expressions, with a batch (polars) and a scalar implementation.

    ``vector`` receives polars expressions and returns one; ``scalar`` receives Python values
    (float, str, bool or None) and returns one. Both must treat null the same way.
    """

    name: str
    vector: Callable[..., "pl.Expr"]
    scalar: Callable[..., Any]
    min_args: int = 1
    max_args: int | None = 1
    arg_kind: Kind = "number"
    returns: Kind = "number"
    summary: str = ""
    plugin: str = ""
    literal_from: int | None = None
    """Arguments from this position on must be numbers written in the expression (or numeric
    parameters); both implementations receive them as Python floats."""


def divisor_column(divisor: float) -> "pl.Expr":
    """``divisor`` as a column as long as the table, so that dividing by it is exact, as
    Python's ``/`` is (polars divides a column by a scalar through the scalar's reciprocal,
    which can differ in the last bit). It does not repeat the dividend: an expression that
    repeats a part of itself grows exponentially with nesting."""
    import polars as pl

    return pl.int_range(pl.len()).cast(pl.Float64) * 0.0 + divisor
