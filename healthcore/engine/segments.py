"""Values that vary by segment: weights, parameters, tier thresholds and reason texts.

Each is a plain constant when no segment changes it (the common case, and the fast one), else a
column chosen by the account's segment.
"""

from __future__ import annotations

from typing import Any, Callable

import polars as pl

from healthcore.plugin.functions import Kind
from healthcore.ruleset import DEFAULT_SEGMENT, Action, Ruleset, Tier

SEGMENT_COLUMN = "__hc_segment"


class BySegment:
    """Resolves a ruleset's values for each account's segment."""

    def __init__(self, ruleset: Ruleset):
        self.ruleset = ruleset
        self.segment = pl.col(SEGMENT_COLUMN)

    def column(self, field: Callable[[str, Kind], pl.Expr]) -> pl.Expr:
        """The id of each account's segment: the first whose condition is true, else
        ``default``."""
        chain: Any = pl
        for segment in self.ruleset.segments:
            chain = chain.when(segment.condition.to_polars(field)).then(pl.lit(segment.id))
        return chain.otherwise(pl.lit(DEFAULT_SEGMENT)).alias(SEGMENT_COLUMN)

    def _choose(self, base: Any, overrides: list[tuple[str, Any]]) -> Any:
        if not overrides:
            return base
        chain: Any = pl
        for segment_id, value in overrides:
            chain = chain.when(self.segment == segment_id).then(pl.lit(value))
        return chain.otherwise(pl.lit(base))

    def parameter(self, name: str) -> pl.Expr | None:
        """A parameter's value for each account, or None when no segment changes it."""
        overrides = [(s.id, _number(s.parameters[name])) for s in self.ruleset.segments
                     if name in s.parameters]
        if not overrides:
            return None
        return self._choose(_number(self.ruleset.parameters[name]), overrides)

    def weight(self, ident: str, base: float) -> float | pl.Expr:
        """An indicator's or group's weight: a number, or a column when segments change it."""
        return self._choose(base, [(s.id, s.weights[ident]) for s in self.ruleset.segments
                                   if ident in s.weights])

    def threshold(self, tier: Tier) -> float | pl.Expr:
        return self._choose(tier.threshold, [(s.id, s.thresholds[tier.name])
                                             for s in self.ruleset.segments
                                             if tier.name in s.thresholds])

    def reason(self, action: Action) -> str | pl.Expr:
        """An action's reason text, which may read parameters a segment changes."""
        text = f"{action.reason} ({action.points:+g} points)"
        return self._choose(text, [(s.id, f"{s.reasons[action.id]} ({action.points:+g} points)")
                                   for s in self.ruleset.segments if action.id in s.reasons])


def _number(value: Any) -> Any:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
        else value
