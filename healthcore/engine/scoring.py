"""The columnar engine: one lazy polars query scores a whole table of accounts.

:func:`score` checks the accounts, builds the query (:mod:`healthcore.engine.query`), runs it
once, and when it fails finds the plugins' metrics that made it fail and runs it again without
them. Per-account metrics are the one exception to the single query: they are mapped over the
prepared inputs before the query runs (:mod:`healthcore.engine.metrics`).
"""

from __future__ import annotations

from typing import Any, Callable, Collection, Iterable, Mapping, TypeVar

import polars as pl

from healthcore.engine.accounts import (checked_ids, missing_fields, reject_shadowed_parameters,
                                        with_looked_back)
from healthcore.engine.faults import failed_on_batch
from healthcore.engine.query import Query, build_query
from healthcore.engine.results import Counted, MetricFailure, Results
from healthcore.engine.tiers import few_to_rank, with_ranked
from healthcore.errors import InputError, MetricError
from healthcore.ruleset import Ruleset


def as_frame(accounts: Any) -> pl.DataFrame:
    """Accept a polars DataFrame/LazyFrame, or an iterable of mappings (one per account);
    anything else is an :class:`InputError` saying what was given."""
    if isinstance(accounts, pl.LazyFrame):
        try:
            return accounts.collect()
        except pl.exceptions.PolarsError as exc:
            reason = str(exc).strip().splitlines()[0]
            raise InputError(f"the accounts' query failed: {type(exc).__name__}: {reason}"
                             ) from None
    if isinstance(accounts, pl.DataFrame):
        return accounts
    expected = "accounts must be a table or a list of mappings (one per account)"
    if isinstance(accounts, Mapping):
        raise InputError(f"{expected}; for one account, give a list of one: [account]")
    if isinstance(accounts, (str, bytes)) or not isinstance(accounts, Iterable):
        raise InputError(f"{expected}, not {type(accounts).__name__}")
    rows = list(accounts)
    if not rows:
        return pl.DataFrame()
    for number, row in enumerate(rows, 1):
        if not isinstance(row, Mapping):
            raise InputError(f"{expected}: account {number} is {type(row).__name__}")
        named = [key for key in row if not isinstance(key, str)]
        if named:
            raise InputError(f"account {number}: the field name {named[0]!r} is not text")
    return pl.DataFrame(rows, infer_schema_length=None, strict=False)


def score(ruleset: Ruleset, accounts: Any, *, explain: bool = False, lazy: bool = False,
          looked_back: pl.DataFrame | None = None, unranked: Collection[str] = (),
          strict: bool = False) -> Results:
    """Score every account of ``accounts`` with ``ruleset``; see :class:`~healthcore.Results`.

    With ``explain``, the explanation columns are computed in the same pass as the scores.
    With ``lazy``, nothing is computed yet: a writer streaming ``Results.lazy`` columns
    computes them and counts what the run must tell (the accounts of each tier and status, the
    metrics' failures, the warnings) in the same pass; read first, the counts take a pass of
    their own, and ``scores`` and ``frame`` are computed when first read.
    With ``strict``, a metric's fault (it raises, or does not give one finite number or null
    per account) raises :class:`~healthcore.errors.MetricError` instead of leaving its
    indicator out.
    ``looked_back`` holds the values that ``previous(...)`` reads (``account_id`` and one
    column per reference, as :meth:`healthcore.history.HistoryStore.look_back` gives them);
    accounts whose id is in ``unranked`` are left out of percentile tiers (churned ones).
    """
    if explain and lazy:
        raise ValueError("explain computes the explanation now and lazy computes nothing yet: "
                         "give one of them")
    frame = checked_ids(ruleset, as_frame(accounts))
    reject_shadowed_parameters(ruleset, frame.columns)
    warnings = missing_fields(ruleset, frame.columns)
    frame, warned = with_looked_back(ruleset, frame, looked_back)
    warnings += warned
    frame = with_ranked(frame, ruleset.account_id, unranked)
    if lazy:
        run = LazyRun(ruleset, frame, strict, warnings)
        return Results(ruleset, run.scores, run.everything, run=run,
                       ids=frame[ruleset.account_id])
    query, (computed, failures) = _ran(ruleset, frame, strict,
                                       lambda query: query.collect(explain, frame.height))
    warnings += _told(ruleset, failures)
    scored = computed["score"].drop_nulls()
    warnings += few_to_rank(ruleset, computed.height, scored.len(), scored.n_unique())
    if explain:
        return Results(ruleset, computed.select(query.names()), lambda: computed, warnings,
                       failures=failures)
    return Results(ruleset, computed, query.everything, warnings, failures=failures,
                   select=query.select)


T = TypeVar("T")


def _ran(ruleset: Ruleset, frame: pl.DataFrame, strict: bool, run: Callable[[Query], T],
         query: Query | None = None) -> tuple[Query, T]:
    """``run`` on the scoring ``query`` of ``frame`` (built if not given); when it fails,
    the plugins' metrics that made it fail are found and left out, and it runs again on the
    query without them. Returns the query that ran and what ``run`` gave."""
    query = query or build_query(ruleset, frame, {}, strict)
    try:
        return query, run(query)
    except MetricError:
        raise
    except Exception:  # polars' errors, and those of a metric's own Python code in the query
        failed = _failing_metrics(ruleset, frame)
        if not failed:
            raise
        query = build_query(ruleset, frame, failed, strict)  # strict: stops at the first
        return query, run(query)


def _told(ruleset: Ruleset, failures: list[MetricFailure]) -> list[str]:
    """The warnings of the metrics' ``failures``, sorted (in place) in indicator order."""
    order = [indicator.id for indicator in ruleset.indicators]
    failures.sort(key=lambda failure: order.index(failure.indicator))
    return [str(failure) for failure in failures]


class LazyRun:
    """The query of a lazy run (``score(..., lazy=True)``), which counts what the run must tell
    when first asked, or in the same pass as a writer's (:meth:`stream`)."""

    def __init__(self, ruleset: Ruleset, frame: pl.DataFrame, strict: bool,
                 warnings: list[str]):
        self.ruleset, self.frame, self.strict = ruleset, frame, strict
        self.query = build_query(ruleset, frame, {}, strict)
        self._warnings = warnings
        self._tiers = [tier.name for tier in ruleset.tiers]
        self._counted: Counted | None = None

    def counted(self) -> "Counted":
        """The tally, the metrics' failures and every warning of the run."""
        if self._counted is None:
            self.query, row = _ran(self.ruleset, self.frame, self.strict,
                                   lambda query: self._tally(query).collect(), self.query)
            self._count(row)
        return self._counted

    def stream(self, plan: Callable[[], pl.LazyFrame]) -> None:
        """Run ``plan`` (a writer's sink of this run's columns, as a lazy frame), counting in
        the same pass. When it fails, the counting alone finds the metrics to leave out (see
        :func:`score`), and ``plan`` runs again on the query without them."""
        if self._counted is not None:
            plan().collect()
            return
        try:
            _, row = pl.collect_all([plan(), self._tally(self.query)])
        except MetricError:
            raise
        except Exception:
            self.counted()  # raises again if no metric is to blame
            plan().collect()
            return
        self._count(row)

    def select(self, columns: list[str]) -> pl.LazyFrame:
        return self.query.select(columns)

    def scores(self) -> pl.DataFrame:
        self.counted()
        return self.query.scores()

    def everything(self) -> pl.DataFrame:
        self.counted()
        return self.query.everything()

    def _tally(self, query: Query) -> pl.LazyFrame:
        return query.tally(self._tiers, self.ruleset.tier_mode == "percentile")

    def _count(self, row: pl.DataFrame) -> None:
        tally, failures = self.query.counted(row, self._tiers)
        warnings = self._warnings + _told(self.ruleset, failures)
        warnings += few_to_rank(self.ruleset, tally.accounts, tally.accounts - tally.unscored,
                                tally.distinct or 0)
        self._counted = Counted(tally, failures, warnings)


def _failing_metrics(ruleset: Ruleset, frame: pl.DataFrame) -> dict[str, str]:
    """The vectorized metrics whose query fails on this batch, each with what happened; found
    by running each one alone (only after the whole query failed)."""
    vectorized = [ind for ind in ruleset.indicators if not ind.metric.per_account]
    failed = {}
    for indicator in vectorized:
        others = {ind.id: "" for ind in vectorized if ind is not indicator}
        try:
            build_query(ruleset, frame, others).scores()
        except Exception as exc:
            failed[indicator.id] = failed_on_batch(exc)
    return failed
