"""Arithmetic on single numbers as the column-wise path computes it: IEEE rules, and a result
that is not finite becomes null."""

from __future__ import annotations

import ast
import math
from typing import Any, Callable


def finite(value: Any) -> Any:
    """``value``, or None if it is an infinite, NaN or complex number."""
    if isinstance(value, complex) or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return value


def power(base: float, exponent: float) -> float:
    """IEEE ``pow``, as the batch path computes it (infinity and NaN instead of exceptions)."""
    base, exponent = float(base), float(exponent)
    odd = exponent.is_integer() and int(exponent) % 2 == 1
    try:
        return math.pow(base, exponent)
    except OverflowError:
        return -math.inf if base < 0 and odd else math.inf
    except ValueError:  # zero to a negative power, or a negative base to a fraction
        if base == 0:
            return -math.inf if math.copysign(1.0, base) < 0 and odd else math.inf
        return math.nan


ARITHMETIC: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: float(a) + float(b),
    ast.Sub: lambda a, b: float(a) - float(b),
    ast.Mult: lambda a, b: float(a) * float(b),
    ast.Div: lambda a, b: float(a) / float(b),
    ast.Pow: lambda a, b: finite(power(a, b)),  # checked at once, as in the batch path
}
"""Each arithmetic operator on two numbers; division by zero raises ZeroDivisionError."""
