"""A timeline: one account's runs in a history, with the indicators that moved most."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MOVERS = 3
"""Indicators listed per run of a timeline: those whose points moved most."""


@dataclass
class Entry:
    """One run of an account's timeline."""

    as_of: str
    ruleset: str
    content_hash: str
    status: str
    score: float | None
    tier: str | None
    segment: str | None
    delta: float | None
    """The change of the score since the previous run of the ruleset (None: not in it)."""
    points: dict[str, float | None] = field(default_factory=dict)
    override: str | None = None
    """The manual override in force in that run, if any."""
    movers: list[dict[str, Any]] = field(default_factory=list)
    """The indicators whose points moved most since the previous run, biggest move first:
    ``{"indicator", "previous", "points", "change"}``."""

    def to_dict(self) -> dict[str, Any]:
        return {"as_of": self.as_of, "ruleset": self.ruleset, "content_hash": self.content_hash,
                "status": self.status, "score": self.score, "tier": self.tier,
                "segment": self.segment, "delta": self.delta, "override": self.override,
                "points": self.points,
                "movers": self.movers}


def delta(score: float | None, previous: float | None) -> float | None:
    return None if score is None or previous is None else score - previous


def movers(was: dict[str, float | None], now: dict[str, float | None]) -> list[dict[str, Any]]:
    moved = []
    for indicator, points in now.items():
        before = was.get(indicator)
        if points is None or before is None or points == before:
            continue
        moved.append({"indicator": indicator, "previous": before, "points": points,
                      "change": points - before})
    moved.sort(key=lambda m: (-abs(m["change"]), m["indicator"]))
    return moved[:MOVERS]


SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(scores: list[float | None]) -> str:
    """The scores (0 to 100) as unicode blocks, one per run; a space for no score."""
    top = len(SPARKS) - 1
    return "".join(" " if s is None else SPARKS[min(top, max(0, int(s / 100 * len(SPARKS))))]
                   for s in scores)


