"""Scoring results: one row per input account, in input order."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, Sequence

import polars as pl

if TYPE_CHECKING:
    from healthcore.ruleset import Ruleset

INDICATOR_FIELDS = ("value", "points", "weight", "contribution")
TREND_FIELDS = ("previous_score", "score_delta", "previous_tier")
"""The columns a run recorded in a history adds (after ``color`` and ``segment``)."""
OVERRIDE_FIELDS = ("override", "computed_score", "computed_tier")
"""The columns a run with manual overrides in force adds (after the trend's)."""
GROUP_FIELDS = ("points", "weight", "contribution")


@dataclass(frozen=True)
class MetricFailure:
    """A metric that failed for some accounts of a run (it raised, or did not give one finite
    number or null per account): those accounts have no value for its indicator, and the
    reason in their ``errors``. ``str()`` gives the warning."""

    indicator: str
    label: str
    """The metric, its plugin and the indicator, as messages name them."""
    accounts: int
    """How many accounts it failed for."""
    total: int
    """How many accounts the run scored."""
    first: str
    """What went wrong for the first of them (after the label)."""

    def __str__(self) -> str:
        return (f"{self.label} failed for {self.accounts:,} of {self.total:,} "
                f"account{'s' if self.total != 1 else ''}; the indicator is left out for "
                f"{'them' if self.accounts != 1 else 'it'} (see the errors column); first "
                f"error: it {self.first}")


class Results:
    """What :func:`healthcore.score` returns: one row per input account, in input order.

    ``scores`` is a flat polars DataFrame: ``account_id``, ``status`` (``ok`` or ``error``),
    ``score``, ``tier``, ``color``, ``segment`` (if the ruleset has segments), then
    ``<indicator>.value``, ``.points``, ``.weight`` and ``.contribution`` for each indicator,
    then ``<group>.points``, ``.weight`` and ``.contribution`` for each group if the ruleset has
    groups. ``frame`` adds the explanation columns ``actions`` (ids of the actions that fired),
    ``reasons`` and ``errors`` (lists of text); they are computed the first time ``frame`` is
    read. ``warnings`` are problems of the whole batch; ``failures`` lists the metrics that
    failed for some accounts (each is also one of the ``warnings``).

    Results of a run recorded in a history also have, after ``color`` (and ``segment``),
    ``override``, ``computed_score`` and ``computed_tier``
    (:func:`healthcore.history.overrides.with_overrides`: a manual override in force, and what
    the data gave), then ``previous_score``, ``score_delta`` and
    ``previous_tier`` (:meth:`with_trend`: the change since the previous run of the same
    ruleset, null for an account new to the history).
    """

    def __init__(self, ruleset: "Ruleset", scores: pl.DataFrame,
                 everything: Callable[[], pl.DataFrame], warnings: list[str],
                 *, trend: bool = False, overridden: bool = False,
                 failures: Sequence[MetricFailure] = ()):
        self.ruleset = ruleset
        self.scores = scores
        self._everything = everything
        self.warnings = warnings
        self.failures = list(failures)
        """The metrics that failed for some accounts, in the order of their indicators."""
        self.trend = trend
        """Whether the results carry the trend columns (:data:`TREND_FIELDS`)."""
        self.overridden = overridden
        """Whether the results carry the override columns (:data:`OVERRIDE_FIELDS`)."""
        self.alerts: list[dict[str, Any]] = []
        """The alerts this run raised, when it was recorded in a history."""

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

        def add(frame: pl.DataFrame) -> pl.DataFrame:
            return (frame.with_columns(pl.col("account_id").cast(pl.String).alias("__hc_key"))
                    .join(earlier, on="__hc_key", how="left", maintain_order="left")
                    .with_columns((pl.col("score") - pl.col("previous_score"))
                                  .alias("score_delta")).drop("__hc_key"))

        return self.extended(add, TREND_FIELDS, trend=True)

    def extended(self, add: Callable[[pl.DataFrame], pl.DataFrame], names: tuple[str, ...],
                 **flags: bool) -> "Results":
        """Results whose frames went through ``add``, which appends the columns ``names``;
        they are placed after the core columns and any added before. ``flags`` say which
        added columns the results now carry (``trend``, ``overridden``)."""
        def placed(frame: pl.DataFrame) -> pl.DataFrame:
            columns = frame.columns
            where = self._core_width(columns)
            extended = add(frame)
            return extended.select(*columns[:where], *names, *columns[where:])

        computed = self.__dict__.get("frame")
        everything = (lambda: placed(computed)) if computed is not None else \
            (lambda: placed(self.frame))
        settings = {"trend": self.trend, "overridden": self.overridden, **flags}
        extended = Results(self.ruleset, placed(self.scores), everything, self.warnings,
                           failures=self.failures, **settings)
        extended.alerts = self.alerts
        return extended

    def _core_width(self, columns: list[str]) -> int:
        """How many leading columns are the core ones and those added by history."""
        where = columns.index("segment" if "segment" in columns else "color") + 1
        added = (TREND_FIELDS if self.trend else ()) + (OVERRIDE_FIELDS if self.overridden
                                                        else ())
        return where + len(added)

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

    def repeated_ids(self) -> list[str]:
        """The account ids found on more than one row, as text, in order of first appearance
        (each such row is scored on its own)."""
        ids = self.scores["account_id"].cast(pl.String).drop_nulls()
        if ids.n_unique() == ids.len():
            return []
        ids = ids.filter(ids.str.strip_chars() != "")  # a blank id is no id (status error)
        if ids.n_unique() == ids.len():
            return []
        return ids.filter(ids.is_duplicated()).unique(maintain_order=True).to_list()

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
        added = (list(OVERRIDE_FIELDS) if self.overridden else []) + (
            list(TREND_FIELDS) if self.trend else [])
        return self.frame.lazy().select("account_id", "status", "score", "tier", "color",
                                        *segment, *added, indicators, *groups, "actions", "reasons",
                                        "errors")

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per account, shaped like the JSON output."""
        return json.loads(self.nested().write_json()) if len(self) else []


def listed(ids: list[str], limit: int = 10) -> str:
    """``ids`` joined for a message, the first ``limit`` of them."""
    return ", ".join(ids[:limit]) + (", ..." if len(ids) > limit else "")
