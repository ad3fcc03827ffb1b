"""The ``segments`` section: accounts scored with other weights, parameters and tier
thresholds, each segment's overrides checked as if the ruleset had them."""

from __future__ import annotations

from typing import Any

from healthcore.errors import DocPath, did_you_mean, format_path
from healthcore.ruleset.compiler.actions import MAX_REASON, filled_reason
from healthcore.ruleset.compiler.context import Compilation, UniqueIds, is_number
from healthcore.ruleset.expressions import ExpressionError, parse
from healthcore.ruleset.model import DEFAULT_SEGMENT, Group, Indicator, Segment, Tier


def compile_segments(compilation: Compilation, items: list[tuple[int, dict[str, Any]]],
                     indicators: list[Indicator], groups: list[Group], tiers: list[Tier]
                     ) -> list[Segment]:
    """The segments; each one's overrides are checked as if the ruleset had them."""
    compiled = []
    ids = UniqueIds(compilation, "segments")
    weighted = {i.id: i.weight for i in (groups or indicators)}
    others = {i.id for i in indicators} | {g.id for g in groups}
    for index, item in items:
        path: DocPath = ("segments", index)
        if compilation.reported(path):
            continue
        ident = item.get("id")
        if ident == DEFAULT_SEGMENT:
            compilation.problem(path + ("id",), f"'{DEFAULT_SEGMENT}' is the segment of "
                                                "accounts no segment matches; give this one "
                                                "another id", code="duplicate-id")
        elif isinstance(ident, str):
            ids.add(index, ident)
        condition = compilation.parse(path + ("when",), item.get("when"), "boolean")
        weights = item.get("weights") or {}
        for key in weights:
            if key not in others:
                compilation.problem(path + ("weights", key), f"'{key}' is neither an indicator "
                                                             "nor a group"
                                                             f"{did_you_mean(key, others)}",
                                    key=True, code="unknown-name")
        parameters = _parameters(compilation, path, item.get("parameters") or {})
        thresholds = _thresholds(compilation, path, item.get("tiers") or {}, tiers)
        top = {k: v for k, v in weights.items() if k in weighted}
        if weighted and all({**weighted, **top}[k] == 0 for k in weighted):
            compilation.problem(path + ("weights",), "with these weights every "
                                                     f"{'group' if groups else 'indicator'} "
                                                     "has weight 0, so no account of the "
                                                     "segment can be scored",
                                code="zero-weights")
        if condition is None or not isinstance(ident, str) or parameters is None:
            continue
        compiled.append(Segment(ident, str(item.get("label") or ident), condition,
                                {k: float(v) for k, v in weights.items() if k in others},
                                parameters, thresholds, _reasons(compilation, path, parameters)))
    return compiled


def _parameters(compilation: Compilation, path: DocPath, overrides: dict[str, Any]
                ) -> dict[str, Any] | None:
    """The parameters a segment changes, checked by re-checking every expression."""
    parameters = compilation.parameters
    for name, value in overrides.items():
        if name not in parameters:
            compilation.problem(path + ("parameters", name), f"unknown parameter '{name}'"
                                                             f"{did_you_mean(name, parameters)}",
                                key=True, code="unknown-name")
            return None
        if type(value) is not type(parameters[name]) and not (
                is_number(value) and is_number(parameters[name])):
            compilation.problem(path + ("parameters", name), f"{value!r} is not of the same "
                                                             "kind as the ruleset's value "
                                                             f"{parameters[name]!r}",
                                code="type")
            return None
    merged = {**parameters, **overrides}
    for site, text, want, bound in compilation.expression_sites:
        try:
            parse(text, compilation.registry.functions, merged, want=want, extra_names=bound)
        except ExpressionError as error:
            compilation.problem(site, f"with the parameters of {format_path(path)}: {error}",
                                code="expression")
    return dict(overrides)


def _thresholds(compilation: Compilation, path: DocPath, overrides: dict[str, Any],
                tiers: list[Tier]) -> dict[str, float]:
    """The tier thresholds a segment changes (tier name -> threshold)."""
    names = [t.name for t in tiers]
    for name in overrides:
        if name not in names:
            compilation.problem(path + ("tiers", name), f"unknown tier '{name}'"
                                                        f"{did_you_mean(name, names)}",
                                key=True, code="unknown-name")
    thresholds = [float(overrides.get(t.name, t.threshold)) for t in tiers]
    if any(a <= b for a, b in zip(thresholds, thresholds[1:])) or (
            thresholds and thresholds[-1] > 0):
        compilation.problem(path + ("tiers",), "with these thresholds the tiers are not from "
                                               "the best down to 0: each tier needs a lower "
                                               "threshold than the one before, and the last 0",
                            code="tier-order")
    return {k: float(v) for k, v in overrides.items() if k in names}


def _reasons(compilation: Compilation, path: DocPath, overrides: dict[str, Any]
             ) -> dict[str, str]:
    """The action reasons that read a parameter the segment changes, filled in."""
    merged = {**compilation.parameters, **overrides}
    reasons = {}
    for action, (index, pieces) in compilation.reason_pieces.items():
        if not any(name in overrides for _, name in pieces):
            continue
        text = filled_reason(pieces, merged)
        if text is None:
            compilation.problem(path + ("parameters",), "with these parameters the reason of "
                                                        f"actions[{index}] is longer than "
                                                        f"{MAX_REASON:,} characters; shorten "
                                                        "them", code="placeholder")
            continue
        reasons[action] = text
    return reasons
