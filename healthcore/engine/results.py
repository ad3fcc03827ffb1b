"""Scoring results: one row per input account, in input order."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, Protocol, Sequence

import polars as pl

from healthcore.engine.outputs import EXPLANATION, OVERRIDE_FIELDS, TREND_FIELDS, output_columns

if TYPE_CHECKING:
    from healthcore.ruleset import Ruleset


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


@dataclass(frozen=True)
class Tally:
    """What a run counted while scoring, without keeping each account's columns: the
    accounts, those without a score, the accounts of each tier (None: no tier), and the
    distinct scores (counted for percentile tiers only)."""

    accounts: int
    unscored: int
    tiers: dict[str | None, int]
    distinct: int | None = None


@dataclass(frozen=True)
class Counted:
    """What a lazy run tells once counted: its tally, the metrics that failed for some
    accounts, and every warning."""

    tally: Tally
    failures: list[MetricFailure]
    warnings: list[str]


class LazyRun(Protocol):
    """The query of a lazy run, counted when first asked (see
    :class:`healthcore.engine.scoring.LazyRun`)."""

    def counted(self) -> Counted: ...

    def select(self, columns: list[str]) -> pl.LazyFrame: ...

    def stream(self, plan: Callable[[], pl.LazyFrame]) -> None: ...


class Results:
    """What :func:`healthcore.score` returns: one row per input account, in input order.

    ``scores`` is a flat polars DataFrame: ``account_id``, ``status`` (``ok`` or ``error``),
    ``score``, ``tier``, ``color``, ``segment`` (if the ruleset has segments), then
    ``<indicator>.value``, ``.points``, ``.weight`` and ``.contribution`` for each indicator,
    then ``<group>.points``, ``.weight`` and ``.contribution`` for each group if the ruleset has
    groups. ``frame`` adds the explanation columns ``actions`` (ids of the actions that fired),
    ``reasons`` and ``errors`` (lists of text); they are computed the first time ``frame`` is
    read. :meth:`lazy` gives any of these columns as a lazy frame, which computes only them and
    can be streamed to a file. ``warnings`` are problems of the whole batch; ``failures`` lists
    the metrics that failed for some accounts (each is also one of the ``warnings``).

    Results of a run recorded in a history also have, after ``color`` (and ``segment``),
    ``override``, ``computed_score`` and ``computed_tier``
    (:func:`healthcore.history.overrides.with_overrides`: a manual override in force, and what
    the data gave), then ``previous_score``, ``score_delta`` and
    ``previous_tier`` (:meth:`with_trend`: the change since the previous run of the same
    ruleset, null for an account new to the history).
    """

    def __init__(self, ruleset: "Ruleset", scores: pl.DataFrame | Callable[[], pl.DataFrame],
                 everything: Callable[[], pl.DataFrame], warnings: list[str] | None = None,
                 *, trend: bool = False, overridden: bool = False,
                 failures: Sequence[MetricFailure] = (),
                 select: Callable[[list[str]], pl.LazyFrame] | None = None,
                 run: LazyRun | None = None, ids: pl.Series | None = None):
        self.ruleset = ruleset
        if isinstance(scores, pl.DataFrame):
            self.__dict__["scores"] = scores
        else:
            self._scores = scores
        self._everything = everything
        self._run = run
        self._select = run.select if run is not None else select
        self._ids = ids
        self._warnings = None if run is not None else list(warnings or [])
        self._failures = None if run is not None else list(failures)
        self.trend = trend
        """Whether the results carry the trend columns (:data:`TREND_FIELDS`)."""
        self.overridden = overridden
        """Whether the results carry the override columns (:data:`OVERRIDE_FIELDS`)."""
        self.alerts: list[dict[str, Any]] = []
        """The alerts this run raised, when it was recorded in a history."""

    @property
    def warnings(self) -> list[str]:
        """Problems of the whole batch (a lazy run counts them when first read)."""
        if self._warnings is None:
            self._warnings = list(self._run.counted().warnings)
        return self._warnings

    @warnings.setter
    def warnings(self, warnings: list[str]) -> None:
        self._warnings = warnings

    @property
    def failures(self) -> list[MetricFailure]:
        """The metrics that failed for some accounts, in the order of their indicators."""
        if self._failures is None:
            self._failures = list(self._run.counted().failures)
        return self._failures

    def stream(self, plan: Callable[[], pl.LazyFrame]) -> None:
        """Run ``plan``: a writer's sink of columns of :meth:`lazy` into a file it replaces,
        as a lazy frame (built anew if it must run again). A lazy run counts what it must tell
        in the same pass."""
        if self._run is not None:
            self._run.stream(plan)
        else:
            plan().collect()

    def count(self) -> None:
        """Count now what a lazy run must tell, in a pass of its own (before writing where a
        failed write cannot be started again, such as standard output)."""
        if self._run is not None:
            self._run.counted()

    def _tally(self) -> Tally | None:
        """The lazy run's counts, unless the scores are at hand."""
        if self._run is None or "scores" in self.__dict__:
            return None
        return self._run.counted().tally

    @cached_property
    def scores(self) -> pl.DataFrame:
        """The score columns (everything but the explanation)."""
        return self._scores()

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

    def lazy(self, columns: Sequence[str] | None = None) -> pl.LazyFrame:
        """The flat ``columns`` (default: every column of ``frame``), in that order, as a lazy
        frame that computes only what they need (score columns alone skip the explanation) and
        can be streamed to a file. The names are those of ``frame``, as
        :func:`healthcore.engine.outputs.choose_columns` gives them. A run recorded in a
        history without any override in force has no override columns: chosen, they read as
        no override (``computed_score`` is the score). On a lazy run, call :meth:`count`
        first (the writers of :mod:`healthcore.io.writers` do): it leaves out a plugin's
        metric that fails on the batch, which would otherwise fail the lazy frame."""
        columns = list(columns) if columns is not None else self.columns()
        explained = bool(set(EXPLANATION) & set(columns))
        held = self.__dict__.get("frame")
        if held is None and not explained:
            held = self.__dict__.get("scores")
        if held is None and self._select is not None:
            return self._select(columns)
        if held is None:
            held = self.frame if explained else self.scores
        missing = {name: value for name, value in _NO_OVERRIDE.items()
                   if name in columns and name not in held.columns}
        return held.lazy().with_columns(value.alias(name) for name, value in
                                        missing.items()).select(columns)

    def columns(self) -> list[str]:
        """The names of the columns of ``frame``, known without computing it."""
        if "frame" in self.__dict__:
            return self.frame.columns
        columns = output_columns(self.ruleset)
        where = columns.index("segment" if self.ruleset.segments else "color") + 1
        added = (list(OVERRIDE_FIELDS) if self.overridden else []) + (
            list(TREND_FIELDS) if self.trend else [])
        return columns[:where] + added + columns[where:]

    def __len__(self) -> int:
        tally = self._tally()
        return tally.accounts if tally is not None else self.scores.height

    @property
    def unscorable(self) -> int:
        """How many accounts could not be scored (``status: error``)."""
        tally = self._tally()
        if tally is not None:
            return tally.unscored
        return self.scores.filter(pl.col("status") == "error").height

    def repeated_ids(self) -> list[str]:
        """The account ids found on more than one row, as text, in order of first appearance
        (each such row is scored on its own)."""
        ids = (self._ids if self._ids is not None else self.scores["account_id"]
               ).cast(pl.String).drop_nulls()
        if _all_different(ids):
            return []
        ids = ids.filter(ids.str.strip_chars() != "")  # a blank id is no id (status error)
        if ids.n_unique() == ids.len():
            return []
        return ids.filter(ids.is_duplicated()).unique(maintain_order=True).to_list()

    def tier_counts(self) -> dict[str, int]:
        """Accounts per tier, best tier first, then ``unscored`` if any."""
        tally = self._tally()
        if tally is not None:
            counts = tally.tiers
        else:
            counts = dict(self.scores.group_by("tier").len().iter_rows())
        result = {tier.name: counts.get(tier.name, 0) for tier in self.ruleset.tiers}
        if counts.get(None):
            result["unscored"] = counts[None]
        return result

    def nested(self, columns: Sequence[str] | None = None) -> pl.DataFrame:
        """The results with ``indicators`` as one struct column keyed by indicator id (and
        ``groups`` likewise); ``columns`` as for :meth:`lazy`."""
        return self.nested_lazy(columns).collect()

    def nested_lazy(self, columns: Sequence[str] | None = None) -> pl.LazyFrame:
        """:meth:`nested` as a lazy frame, for writers that stream it to a file."""
        columns = list(columns) if columns is not None else self.columns()
        return self.lazy(columns).select(nested_columns(self.ruleset, columns))

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per account, shaped like the JSON output."""
        return json.loads(self.nested().write_json()) if len(self) else []


def _all_different(ids: pl.Series) -> bool:
    """Whether no text of ``ids`` is there twice: in sorted ids (as exports often are), no
    neighbours are equal, which is found without hashing every id."""
    if ids.len() > 1 and ids.is_sorted():
        return not (ids.slice(1) == ids.slice(0, ids.len() - 1)).any()
    return ids.n_unique() == ids.len()


_NO_OVERRIDE = {"override": pl.lit(None, pl.Float64), "computed_score": pl.col("score"),
                "computed_tier": pl.col("tier")}


def nested_columns(ruleset: "Ruleset", columns: Sequence[str]) -> list[pl.Expr]:
    """The flat ``columns`` as the nested formats have them: the indicators' (and groups')
    columns as one struct of structs, placed where the first of them is."""
    members = {ind.id: "indicators" for ind in ruleset.indicators}
    members.update({group.id: "groups" for group in ruleset.groups})
    nests: dict[str, dict[str, list[str]]] = {}
    order: list[str] = []
    for column in columns:
        member, _, field = column.partition(".")
        nest = members.get(member) if field else None
        if nest is None:
            order.append(column)
            continue
        if nest not in nests:
            nests[nest] = {}
            order.append(nest)
        nests[nest].setdefault(member, []).append(field)
    expressions = []
    for name in order:
        if name not in nests:
            expressions.append(pl.col(name))
            continue
        expressions.append(pl.struct([
            pl.struct([pl.col(f"{member}.{field}").alias(field) for field in fields])
            .alias(member) for member, fields in nests[name].items()]).alias(name))
    return expressions


def listed(ids: list[str], limit: int = 10) -> str:
    """``ids`` joined for a message, the first ``limit`` of them."""
    return ", ".join(ids[:limit]) + (", ..." if len(ids) > limit else "")
