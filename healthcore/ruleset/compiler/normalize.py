"""An indicator's ``normalize``: how its raw value becomes points."""

from __future__ import annotations

import math
from typing import Any

from healthcore.errors import DocPath
from healthcore.ruleset.compiler.context import Compilation, is_number
from healthcore.ruleset.normalizers import (Band, Bands, ExpressionNormalizer, Linear, Normalizer,
                                            Target)


def compile_normalizer(compilation: Compilation, path: DocPath, spec: Any) -> Normalizer | None:
    """The normalizer ``spec`` describes, or None if it has a problem (reported)."""
    if not isinstance(spec, dict) or len(spec) != 1:
        return None
    kind, body = next(iter(spec.items()))
    if kind == "linear" and isinstance(body, dict):
        return _linear(compilation, path + ("linear",), body)
    if kind == "bands" and isinstance(body, list):
        return _bands(compilation, path + ("bands",), body)
    if kind == "target" and isinstance(body, dict):
        return _target(compilation, path + ("target",), body)
    if kind == "expression":
        return _expression(compilation, path + ("expression",), body)
    return None


def _linear(compilation: Compilation, path: DocPath, body: dict[str, Any]) -> Linear | None:
    worst, best = body.get("worst"), body.get("best")
    if not (is_number(worst) and is_number(best)):
        return None
    if worst == best:
        compilation.problem(path, f"worst and best are both {worst}: give two different values",
                            code="linear-range")
        return None
    if not math.isfinite(float(best) - float(worst)):
        compilation.problem(path, f"worst {worst} and best {best} are too far apart to compute "
                                  "with: bring them closer", code="linear-range")
        return None
    return Linear(float(worst), float(best))


def _bands(compilation: Compilation, path: DocPath, items: list[Any]) -> Bands | None:
    bands = []
    previous: tuple[int, float | None] | None = None
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not is_number(item.get("points")):
            return None
        low = item.get("min")
        if low is not None and not is_number(low):
            return None
        if previous is not None:
            prev_index, prev_min = previous
            if prev_min is None or (low is not None and low >= prev_min):
                taken = ("every value" if prev_min is None else
                         f"every value >= {prev_min:g}")
                compilation.problem(path + (index,), f"this band can never match: band "
                                                     f"{prev_index} already takes {taken}; list "
                                                     "bands from the highest min down",
                                    code="band-order")
        previous = (index, low)
        bands.append(Band(float(item["points"]), None if low is None else float(low),
                          item.get("label")))
    return Bands(tuple(bands))


def _target(compilation: Compilation, path: DocPath, body: dict[str, Any]) -> Target | None:
    value, zero_at = body.get("value"), body.get("zero_at")
    tolerance = body.get("tolerance", 0)
    if not all(is_number(v) for v in (value, zero_at, tolerance)):
        return None
    if zero_at <= tolerance:
        compilation.problem(path + ("zero_at",), f"zero_at ({zero_at:g}) must be larger than "
                                                 f"tolerance ({tolerance:g})",
                            code="target-range")
        return None
    return Target(float(value), float(zero_at), float(tolerance))


def _expression(compilation: Compilation, path: DocPath, body: Any
                ) -> ExpressionNormalizer | None:
    expression = compilation.parse(path, body, "number", {"value": "number"},
                                   reads_fields=False)
    if expression is None:
        return None
    others = [n for n in expression.fields if n != "value"]
    if others:
        compilation.problem(path, f"a normalizer can use only 'value' and parameters, not "
                                  f"'{others[0]}'", code="unknown-name")
        return None
    return ExpressionNormalizer(expression)
