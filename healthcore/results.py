"""Scoring results: one row per input account, in input order."""

from __future__ import annotations

import json
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable

import polars as pl

if TYPE_CHECKING:
    from .ruleset import Ruleset

INDICATOR_FIELDS = ("value", "points", "weight", "contribution")
GROUP_FIELDS = ("points", "weight", "contribution")


class Results:
    """What :meth:`Ruleset.score` returns: one row per input account, in input order.

    ``scores`` is a flat polars DataFrame: ``account_id``, ``status`` (``ok`` or ``error``),
    ``score``, ``tier``, ``color``, ``segment`` (if the ruleset has segments), then
    ``<indicator>.value``, ``.points``, ``.weight`` and
    ``.contribution`` for each indicator, then ``<group>.points``, ``.weight`` and
    ``.contribution`` for each group if the ruleset has groups. ``frame`` adds the explanation columns ``actions``
    (ids of the actions that fired), ``reasons`` and ``errors`` (lists of text); they are
    computed the first time ``frame`` is read. ``warnings`` are problems of the whole batch.
    """

    def __init__(self, ruleset: "Ruleset", scores: pl.DataFrame,
                 everything: Callable[[], pl.DataFrame], warnings: list[str]):
        self.ruleset = ruleset
        self.scores = scores
        self._everything = everything
        self.warnings = warnings

    @cached_property
    def frame(self) -> pl.DataFrame:
        """The scores with the explanation columns ``actions``, ``reasons`` and ``errors``."""
        return self._everything()

    def __len__(self) -> int:
        return self.scores.height

    @property
    def unscorable(self) -> int:
        """How many accounts could not be scored (``status: error``)."""
        return self.scores.filter(pl.col("status") == "error").height

    def tier_counts(self) -> dict[str, int]:
        """Accounts per tier, best tier first, then ``unscored`` if any."""
        counts = dict(self.scores.group_by("tier").len().iter_rows())
        result = {tier.name: counts.get(tier.name, 0) for tier in self.ruleset.tiers}
        if counts.get(None):
            result["unscored"] = counts[None]
        return result

    def nested(self) -> pl.DataFrame:
        """The results with ``indicators`` as one struct column keyed by indicator id."""
        return self.nested_lazy().collect()

    def nested_lazy(self) -> pl.LazyFrame:
        """:meth:`nested` as a lazy frame, for writers that stream it to a file."""
        indicators = pl.struct([
            pl.struct([pl.col(f"{ind.id}.{part}").alias(part) for part in INDICATOR_FIELDS])
            .alias(ind.id) for ind in self.ruleset.indicators]).alias("indicators")
        groups = [pl.struct([
            pl.struct([pl.col(f"{group.id}.{part}").alias(part) for part in GROUP_FIELDS])
            .alias(group.id) for group in self.ruleset.groups]).alias("groups")
        ] if self.ruleset.groups else []
        segment = ["segment"] if self.ruleset.segments else []
        return self.frame.lazy().select("account_id", "status", "score", "tier", "color",
                                        *segment, indicators, *groups, "actions", "reasons",
                                        "errors")

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per account, shaped like the JSON output."""
        return json.loads(self.nested().write_json()) if len(self) else []
