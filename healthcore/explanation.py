"""The explanation columns of results: fired actions, reasons and errors, as lists of text.

They are built column-wise without per-row sorting or list concatenation, which are slow on
millions of rows: each list is joined with a separator and split, and the reasons are ranked by
element-wise comparisons of their costs (a stable sort, costliest first).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

SEPARATOR = "\x1f"
"""Joins list items before splitting; removed from every text that goes into a list."""

MIN_COST = 0.05
"""An indicator that costs less (0.0 once rounded to one decimal) is not a reason."""

_PREFIX = "__hc_reason_"


def clean(text: str) -> str:
    """A literal text made safe to join."""
    return text.replace(SEPARATOR, " ")


def clean_column(text: pl.Expr) -> pl.Expr:
    """A text column made safe to join (cheap on a mostly null column)."""
    return text.str.replace_all(SEPARATOR, " ", literal=True)


def text_list(items: list[pl.Expr], present: pl.Expr | None = None) -> pl.Expr:
    """The items that are not null, as a list column (an empty list where there are none).

    ``present`` may say cheaply where at least one item is not null.
    """
    if not items:
        return pl.lit([], pl.List(pl.String))
    if present is None:
        present = pl.any_horizontal([item.is_not_null() for item in items])
    joined = pl.concat_str(items, separator=SEPARATOR, ignore_nulls=True)
    return (pl.when(present).then(joined).str.split(SEPARATOR)
            .fill_null(pl.lit([], pl.List(pl.String))))


@dataclass(frozen=True)
class Candidate:
    """A possible reason: its cost in points (null when it does not apply) and its words.

    An indicator's reason reads ``<text><cost rounded to 0.1> points``; an action's is ``text``
    (a column when it varies by account).
    """

    cost: pl.Expr
    text: str | pl.Expr
    is_indicator: bool


def ranked_reasons(lazy: pl.LazyFrame, candidates: list[Candidate], top: int,
                   scored: pl.Expr) -> tuple[pl.LazyFrame, pl.Expr]:
    """The ``top`` costliest indicators and every negative action that applies, costliest first
    (ties keep the ruleset's order, indicators before actions), for scored accounts.

    Returns ``lazy`` with the ranking staged in hidden columns, and the reasons column.
    """
    everyone = list(range(len(candidates)))
    indicator_positions = [k for k in everyone if candidates[k].is_indicator]
    cost = [pl.col(f"{_PREFIX}cost{k}") for k in everyone]
    chosen = [pl.col(f"{_PREFIX}chosen{k}") for k in everyone]
    place = [pl.col(f"{_PREFIX}place{k}") for k in everyone]
    worthy = []
    for k in everyone:
        test = cost[k] > MIN_COST
        if candidates[k].is_indicator:
            test = test & (_ahead(cost, k, indicator_positions) < top)
        worthy.append(test.fill_null(False).alias(f"{_PREFIX}chosen{k}"))
    lazy = (lazy.with_columns(c.cost.alias(f"{_PREFIX}cost{k}") for k, c in enumerate(candidates))
            .with_columns(worthy)
            .with_columns(_ahead(cost, k, everyone, chosen).alias(f"{_PREFIX}place{k}")
                          for k in everyone))
    slots = top + sum(1 for c in candidates if not c.is_indicator)
    which = [pl.coalesce([pl.when(chosen[k] & (place[k] == slot)).then(pl.lit(k, pl.UInt16))
                          for k in everyone]).alias(f"{_PREFIX}slot{slot}")
             for slot in range(slots)]
    lazy = lazy.with_columns(which)
    texts = [_slot_text(candidates, pl.col(f"{_PREFIX}slot{slot}"), cost)
             for slot in range(slots)]
    return lazy, text_list(texts, scored & pl.any_horizontal(chosen))


def _slot_text(candidates: list[Candidate], which: pl.Expr, cost: list[pl.Expr]) -> pl.Expr:
    """The words of the candidate at one place of the reasons (null when the place is empty)."""
    positions = list(range(len(candidates)))
    words = which.replace_strict(positions, [clean(c.text) if isinstance(c.text, str) else ""
                                             for c in candidates], return_dtype=pl.String)
    for k, candidate in enumerate(candidates):
        if not isinstance(candidate.text, str):
            words = pl.when(which == k).then(clean_column(candidate.text)).otherwise(words)
    indicator_cost = pl.coalesce([pl.when(which == k).then(cost[k])
                                  for k, c in enumerate(candidates) if c.is_indicator]
                                 or [pl.lit(None, pl.Float64)])
    amount = pl.concat_str(indicator_cost.round(1).cast(pl.String), pl.lit(" points"))
    return pl.concat_str(words, amount.fill_null(pl.lit("")))


def _ahead(costs: list[pl.Expr], k: int, others: list[int],
           chosen: list[pl.Expr] | None = None) -> pl.Expr:
    """How many of ``others`` come before candidate ``k`` in a stable descending sort."""
    tests = []
    for j in others:
        if j == k:
            continue
        test = (costs[j] >= costs[k]) if j < k else (costs[j] > costs[k])
        tests.append(test if chosen is None else test & chosen[j])
    return pl.sum_horizontal(tests) if tests else pl.lit(0)
