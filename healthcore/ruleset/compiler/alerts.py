"""The ``alerts`` section: what raises an alert when a run is recorded in a history."""

from __future__ import annotations

from typing import Any

from healthcore.errors import DocPath, did_you_mean
from healthcore.ruleset.compiler.context import Compilation, UniqueIds, float_or_none
from healthcore.ruleset.model import AlertRule, Indicator, Tier

ALERT_COMMON_KEYS = {"id", "kind", "label", "severity", "cooldown_days"}
"""The keys every kind of alert takes."""
ALERT_KEYS = {"tier_worsened": set(), "score_drop": {"points", "within_days"},
              "indicator": {"indicator", "of", "below", "above"},
              "stays_in_tier": {"tier", "runs"}}
"""The keys each kind of alert takes besides the common ones."""


def compile_alerts(compilation: Compilation, items: list[tuple[int, dict[str, Any]]],
                   indicators: list[Indicator], tiers: list[Tier]) -> list[AlertRule]:
    """The alerts without problems; each names known indicators and tiers, and has only the
    keys of its kind."""
    compiled = []
    ids = UniqueIds(compilation, "alerts")
    indicator_ids = [indicator.id for indicator in indicators]
    tier_names = [tier.name for tier in tiers]
    for index, item in items:
        path: DocPath = ("alerts", index)
        ident, kind = item.get("id"), item.get("kind")
        if not isinstance(ident, str) or not isinstance(kind, str) or kind not in ALERT_KEYS:
            continue  # the schema has reported it
        ids.add(index, ident)
        problems = len(compilation.problems)
        for key in sorted(set(item) - ALERT_COMMON_KEYS - ALERT_KEYS[kind]):
            allowed = ", ".join(sorted(ALERT_COMMON_KEYS | ALERT_KEYS[kind]))
            compilation.problem(path + (key,), f"'{key}' does not apply to a {kind} alert "
                                               f"(allowed: {allowed})",
                                key=True, code="unused")
        indicator = item.get("indicator")
        if kind == "indicator" and indicator not in indicator_ids:
            hint = did_you_mean(str(indicator), indicator_ids)
            compilation.problem(path + ("indicator",), f"unknown indicator '{indicator}'{hint}",
                                code="unknown-name")
        watched = item.get("tier", [])
        watched = [watched] if isinstance(watched, str) else (
            watched if isinstance(watched, list) else [])  # else the schema has reported it
        for name in watched:
            if name not in tier_names:
                compilation.problem(path + ("tier",), f"unknown tier '{name}'"
                                                      f"{did_you_mean(str(name), tier_names)}; "
                                                      f"the tiers are {', '.join(tier_names)}",
                                    code="unknown-name")
        if len(compilation.problems) > problems or compilation.reported(path):
            continue
        compiled.append(AlertRule(
            id=ident, label=str(item.get("label") or ident), kind=kind,
            severity=item.get("severity", "warning"),
            cooldown_days=int(item.get("cooldown_days", 0)),
            points=float_or_none(item.get("points")),
            within_days=item.get("within_days"), indicator=indicator,
            of=item.get("of", "points"), below=float_or_none(item.get("below")),
            above=float_or_none(item.get("above")), tiers=tuple(watched),
            runs=item.get("runs")))
    return compiled
