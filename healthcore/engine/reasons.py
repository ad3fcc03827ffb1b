"""The explanation columns of results: fired actions, reasons and errors, as lists of text.

They are built column-wise without per-row sorting or list concatenation, which are slow on
millions of rows: each list is joined with a separator and split where the account has at
least one item (known from cheap conditions, not from the texts themselves).

The reasons need no comparison of every pair of candidates: the costliest indicators are found
with one horizontal maximum per reason shown, and the actions (whose costs are the ruleset's
constants) are in their order before any account is read. A picked indicator's text is looked
up in a table of every text it can have (its label and a cost of 0.0 to 100.0 points in tenths)
rather than formatted from a float on every account. Each problem of the errors comes with the
condition under which it applies, so the accounts with none are found without formatting a
message. Memory and time grow linearly with the number of indicators and actions.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby

import polars as pl

SEPARATOR = "\x1f"
"""Joins list items before splitting; removed from every text that goes into a list."""

MIN_COST = 0.05
"""An indicator that costs less (0.0 once rounded to one decimal) is not a reason."""

_PREFIX = "__hc_reason_"
_CHUNK = 16
"""Columns combined at a time in a horizontal operation over many, so that only this many
are held at once besides the partial results."""


def clean(text: str) -> str:
    """A literal text made safe to join."""
    return text.replace(SEPARATOR, " ")


def clean_column(text: pl.Expr) -> pl.Expr:
    """A text column made safe to join (cheap on a mostly null column)."""
    return text.str.replace_all(SEPARATOR, " ", literal=True)


def text_list(items: list[pl.Expr], present: pl.Expr | None = None) -> pl.Expr:
    """The items that are not null, as a list column (an empty list where there are none, or
    where ``present`` is false). Items are never empty texts.

    ``present`` may say cheaply where at least one item is not null. Without it, many items
    are each read once (held for a second look, they would all be in memory at once).
    """
    if not items:
        return pl.lit([], pl.List(pl.String))
    joined = _joined(items)
    if present is None and len(items) > _CHUNK:
        return joined.str.extract_all(_ITEM).fill_null(pl.lit([], pl.List(pl.String)))
    if present is None:
        present = pl.any_horizontal([item.is_not_null() for item in items])
    return (pl.when(present).then(joined).str.split(SEPARATOR)
            .fill_null(pl.lit([], pl.List(pl.String))))


_ITEM = f"[^{SEPARATOR}]+"


@dataclass(frozen=True)
class Problem:
    """A problem message per account (null where there is none), and where it is not null:
    a condition cheaper than the message, as most accounts have no problem."""

    text: pl.Expr
    where: pl.Expr

    @classmethod
    def when(cls, where: pl.Expr, text: pl.Expr) -> Problem:
        """``text`` (never null) where ``where`` holds."""
        return cls(pl.when(where).then(text), where)

    @classmethod
    def column(cls, text: pl.Expr) -> Problem:
        """A column of messages, null where there is none."""
        return cls(text, text.is_not_null())

    def unless(self, reported: pl.Expr) -> Problem:
        """This problem where ``reported`` does not hold."""
        return Problem(pl.when(reported.not_()).then(self.text), self.where & reported.not_())


def problem_list(problems: list[Problem]) -> pl.Expr:
    """The messages of ``problems`` that apply to each account, in order, as a list column."""
    if not problems:
        return text_list([])
    present = _chunked(pl.any_horizontal, [problem.where for problem in problems])
    return text_list([problem.text for problem in problems], present)


def _joined(items: list[pl.Expr]) -> pl.Expr:
    """The items that are not null joined with the separator, a few columns at a time."""
    if len(items) <= _CHUNK:
        return pl.concat_str(items, separator=SEPARATOR, ignore_nulls=True)
    # a part with no item is an empty text: the separators around it are made one
    parts = [_joined(items[start:start + _CHUNK]) for start in range(0, len(items), _CHUNK)]
    return (pl.concat_str(parts, separator=SEPARATOR)
            .str.replace_all(f"{SEPARATOR}{SEPARATOR}+", SEPARATOR)
            .str.strip_chars(SEPARATOR))


def _chunked(combine, columns: list[pl.Expr]) -> pl.Expr:
    """``combine`` (a horizontal operation whose result over parts is its result over the
    whole: max, any, first not null) over many columns, a few at a time."""
    if len(columns) <= _CHUNK:
        return combine(columns)
    return combine([_chunked(combine, columns[start:start + _CHUNK])
                    for start in range(0, len(columns), _CHUNK)])


@dataclass(frozen=True)
class IndicatorCost:
    """What an indicator cost an account, in points (null when it does not apply); its
    reason reads ``<text><cost rounded to 0.1> points``."""

    cost: pl.Expr
    text: str


@dataclass(frozen=True)
class ActionReason:
    """An action that takes ``-points`` points off where ``fired``; its reason is ``text`` (a
    column when it varies by account)."""

    fired: pl.Expr
    points: float
    text: str | pl.Expr


def ranked_reasons(lazy: pl.LazyFrame, indicators: list[IndicatorCost],
                   actions: list[ActionReason], top: int,
                   scored: pl.Expr) -> tuple[pl.LazyFrame, pl.Expr]:
    """The ``top`` costliest indicators and every negative action that applies, costliest first
    (ties keep the ruleset's order, indicators before actions), for scored accounts.

    Returns ``lazy`` with the ranking staged in hidden columns, and the reasons column.
    """
    lazy, picks = _costliest(lazy, [i.cost for i in indicators], top)
    table = reason_table(indicators) if picks else pl.Series([], dtype=pl.String)
    lazy = lazy.with_columns(_pick_text(table, indicators, cost, which).alias(f"{_PREFIX}text{rank}")
                             for rank, (cost, which) in enumerate(picks))
    texts = [pl.col(f"{_PREFIX}text{rank}") for rank in range(len(picks))]
    costs = [cost for cost, _ in picks]
    worthy = [a for a in actions if -a.points > MIN_COST]
    ordered = sorted(worthy, key=lambda a: a.points)  # costliest first, stable
    items: list[pl.Expr] = []
    above = None  # the cost of the actions placed before (none yet)
    for points, group in groupby(ordered, key=lambda a: a.points):
        items += _picks_between(texts, costs, -points, above)
        items += [pl.when(a.fired).then(_text(a.text)) for a in group]
        above = -points
    items += _picks_between(texts, costs, None, above)
    any_reason = [pl.col(costs[0]) > MIN_COST] if picks else []
    any_reason += [a.fired for a in worthy]
    if not any_reason:
        return lazy, text_list([])
    present = scored & _chunked(pl.any_horizontal, any_reason)
    return lazy, text_list(items, present)


def _costliest(lazy: pl.LazyFrame, costs: list[pl.Expr], top: int
               ) -> tuple[pl.LazyFrame, list[tuple[str, str]]]:
    """``lazy`` with the ``top`` highest costs of each account staged in hidden columns, each
    with the position of its indicator (the first when several are equal): the names of
    (cost, position) for each rank, in descending order (a stable sort)."""
    if not costs or top <= 0:
        return lazy, []
    names = [f"{_PREFIX}cost{k}" for k in range(len(costs))]
    lazy = lazy.with_columns(cost.alias(name) for cost, name in zip(costs, names))
    columns = [pl.col(name) for name in names]
    picks: list[tuple[str, str]] = []
    for rank in range(min(top, len(costs))):
        if picks:  # after the previous pick in the sort: lower, or equal and later
            cost, which = (pl.col(name) for name in picks[-1])
            left = [pl.when((c < cost) | ((c == cost) & (pl.lit(k, pl.UInt16) > which)))
                    .then(c) for k, c in enumerate(columns)]
        else:
            left = columns
        highest = f"{_PREFIX}top{rank}"
        lazy = lazy.with_columns(_chunked(pl.max_horizontal, left).alias(highest))
        first = [pl.when(c == pl.col(highest)).then(pl.lit(k, pl.UInt16))
                 for k, c in enumerate(left)]
        position = f"{_PREFIX}which{rank}"
        lazy = lazy.with_columns(_chunked(pl.coalesce, first).alias(position))
        picks.append((highest, position))
    return lazy, picks


def _pick_text(table: pl.Series, indicators: list[IndicatorCost], cost: str,
               which: str) -> pl.Expr:
    """The reason of the indicator picked at one rank (null when it costs too little): looked
    up in ``table`` (see :func:`reason_table`) by its position and its cost in tenths, or
    formatted where the cost is beyond the table."""
    cost_column = pl.col(cost)
    worthy = cost_column > MIN_COST
    tenths = (cost_column.round(1) * 10).round(0)
    listed = worthy & (tenths <= MAX_TENTHS)
    code = (pl.col(which).cast(pl.Int64) * (MAX_TENTHS + 1)
            + pl.when(listed).then(tenths).cast(pl.Int64))
    beyond = worthy & listed.not_()
    words = pl.lit(pl.Series([clean(i.text) for i in indicators], dtype=pl.String)).gather(
        pl.when(beyond).then(pl.col(which)))
    amount = pl.when(beyond).then(cost_column).round(1).cast(pl.String)
    return pl.coalesce(pl.lit(table).gather(code), pl.concat_str(words, amount, pl.lit(" points")))


MAX_TENTHS = 1000
"""The highest cost in :func:`reason_table`, in tenths of a point (100 points: an indicator
costs at most its whole share of the score)."""


def reason_table(indicators: list[IndicatorCost]) -> pl.Series:
    """Every reason an indicator can give with a cost of 0.0 to 100.0 points: the text of
    indicator ``i`` costing ``t`` tenths of a point is at ``i * (MAX_TENTHS + 1) + t``. The
    amounts are polars' own texts of the rounded costs, as formatting them would give."""
    amounts = pl.Series([tenths / 10 for tenths in range(MAX_TENTHS + 1)]).cast(pl.String)
    return pl.Series([f"{clean(indicator.text)}{amount} points"
                      for indicator in indicators for amount in amounts], dtype=pl.String)


def _picks_between(texts: list[pl.Expr], costs: list[str], low: float | None,
                   high: float | None) -> list[pl.Expr]:
    """The picked indicators' reasons where their cost is at least ``low`` and below ``high``
    (None: no bound); an indicator goes before actions of the same cost."""
    items = []
    for text, cost in zip(texts, costs):
        tests = ([pl.col(cost) >= low] if low is not None else []) + (
            [pl.col(cost) < high] if high is not None else [])
        items.append(pl.when(pl.all_horizontal(tests)).then(text) if tests else text)
    return items


def _text(text: str | pl.Expr) -> pl.Expr:
    return pl.lit(clean(text)) if isinstance(text, str) else clean_column(text)
