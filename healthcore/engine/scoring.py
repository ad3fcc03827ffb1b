"""The columnar engine: one lazy polars query scores a whole table of accounts.

:func:`score` checks the accounts, builds the query (:mod:`healthcore.engine.query`), runs it
once, and when it fails finds the plugins' metrics that made it fail and runs it again without
them. Per-account metrics are the one exception to the single query: they are mapped over the
prepared inputs before the query runs (:mod:`healthcore.engine.metrics`).
"""

from __future__ import annotations

from typing import Any, Collection, Iterable, Mapping

import polars as pl

from healthcore.engine.accounts import (checked_ids, missing_fields, reject_shadowed_parameters,
                                        with_looked_back)
from healthcore.engine.faults import failed_on_batch
from healthcore.engine.query import Query, build_query
from healthcore.engine.results import MetricFailure, Results, Tally
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
    With ``lazy``, the run only counts what it must tell (the accounts of each tier and
    status, the metrics' failures) and keeps no column: ``Results.lazy`` then computes the
    columns a writer asks for as it streams them (``scores`` and ``frame`` when first read).
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
    query = build_query(ruleset, frame, {}, strict)
    try:
        outcome = _run(ruleset, query, explain, lazy, frame.height)
    except MetricError:
        raise
    except Exception:  # polars' errors, and those of a metric's own Python code in the query
        failed = _failing_metrics(ruleset, frame)
        if not failed:
            raise
        query = build_query(ruleset, frame, failed, strict)  # strict: stops at the first
        outcome = _run(ruleset, query, explain, lazy, frame.height)
    computed, failures = outcome
    order = [indicator.id for indicator in ruleset.indicators]
    failures.sort(key=lambda failure: order.index(failure.indicator))
    warnings += [str(failure) for failure in failures]
    if isinstance(computed, Tally):
        warnings += few_to_rank(ruleset, computed.accounts, computed.accounts - computed.unscored,
                                computed.distinct or 0)
        return Results(ruleset, query.scores, query.everything, warnings, failures=failures,
                       select=query.select, tally=computed, ids=frame[ruleset.account_id])
    scored = computed["score"].drop_nulls()
    warnings += few_to_rank(ruleset, computed.height, scored.len(), scored.n_unique())
    if explain:
        return Results(ruleset, computed.select(query.names()), lambda: computed, warnings,
                       failures=failures)
    return Results(ruleset, computed, query.everything, warnings, failures=failures,
                   select=query.select)


def _run(ruleset: Ruleset, query: Query, explain: bool, lazy: bool, total: int
         ) -> tuple[pl.DataFrame | Tally, list[MetricFailure]]:
    """Run ``query``: every column asked for, or with ``lazy`` only the counts."""
    if lazy:
        return query.tally([tier.name for tier in ruleset.tiers],
                           ruleset.tier_mode == "percentile")
    return query.collect(explain, total)


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
