"""Scoring results: one row per input account, in input order."""

from __future__ import annotations

import json
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable

import polars as pl

if TYPE_CHECKING:
    from .ruleset import Ruleset

INDICATOR_FIELDS = ("value", "points", "weight", "contribution")
TREND_FIELDS = ("previous_score", "score_delta", "previous_tier")
"""The columns a run recorded in a history adds (after ``color`` and ``segment``)."""
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

    Results of a run recorded in a history (:meth:`with_trend`) also have ``previous_score``,
    ``score_delta`` and ``previous_tier`` after ``color`` (and ``segment``): the change since
    the previous run of the same ruleset, null for an account new to the history.
    """

    def __init__(self, ruleset: "Ruleset", scores: pl.DataFrame,
                 everything: Callable[[], pl.DataFrame], warnings: list[str],
                 *, trend: bool = False):
        self.ruleset = ruleset
        self.scores = scores
        self._everything = everything
        self.warnings = warnings
        self.trend = trend
        """Whether the results carry the trend columns (:data:`TREND_FIELDS`)."""

    def with_trend(self, previous: pl.DataFrame) -> "Results":
        """These results with the trend columns against ``previous``, the accounts of the
        previous run (``account_id``, ``score``, ``tier``, as
        :meth:`healthcore.history.HistoryStore.previous` returns them); account ids are
        matched as text."""
        earlier = previous.select(
            pl.col("account_id").cast(pl.String).alias("__hc_key"),
            pl.col("score").cast(pl.Float64).alias("previous_score"),
            pl.col("tier").cast(pl.String).alias("previous_tier"),
        ).unique("__hc_key", keep="first")
        base = self.scores.columns
        where = base.index("segment" if "segment" in base else "color") + 1

        def add(frame: pl.DataFrame) -> pl.DataFrame:
            columns = frame.columns
            joined = (frame.with_row_index("__hc_row")
                      .with_columns(pl.col("account_id").cast(pl.String).alias("__hc_key"))
                      .join(earlier, on="__hc_key", how="left").sort("__hc_row")
                      .with_columns((pl.col("score") - pl.col("previous_score"))
                                    .alias("score_delta")))
            return joined.select(*columns[:where], *TREND_FIELDS, *columns[where:])

        computed = self.__dict__.get("frame")
        everything = (lambda: add(computed)) if computed is not None else \
            (lambda: add(self.frame))
        return Results(self.ruleset, add(self.scores), everything, self.warnings, trend=True)

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
        trend = list(TREND_FIELDS) if self.trend else []
        return self.frame.lazy().select("account_id", "status", "score", "tier", "color",
                                        *segment, *trend, indicators, *groups, "actions", "reasons",
                                        "errors")

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per account, shaped like the JSON output."""
        return json.loads(self.nested().write_json()) if len(self) else []
