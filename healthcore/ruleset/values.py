"""Plain values in a ruleset or an account: which kind they are, whether a number is usable."""

from __future__ import annotations

import math
from typing import Any

from healthcore.plugin.functions import Kind


def finite_number(value: int | float) -> bool:
    """Whether a number is finite and within the range of floats (so usable in a score)."""
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond floats
        return False


def value_kind(value: Any) -> Kind | None:
    """The kind of a Python value (number, text, boolean), or None for anything else."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "text"
    return None
