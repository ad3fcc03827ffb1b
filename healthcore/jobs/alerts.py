"""The alerts open in a score history, grouped by account: what ``healthcore alerts`` lists."""

from __future__ import annotations

import polars as pl

from healthcore.history import open as open_history
from healthcore.history.alerts import SEVERITY_ORDER

ACCOUNT = ("ruleset", "account_id")
"""The columns naming one account's alerts (an account may be in several rulesets)."""


def open_alerts(history: str, ruleset: str | None = None, *,
                new_only: bool = False) -> pl.DataFrame:
    """The alerts open in the latest run of each ruleset of ``history`` (of ``ruleset`` only,
    if given; with ``new_only``, only those the latest run raised), ordered by
    :func:`by_account`."""
    with open_history(history, read_only=True) as store:
        found = store.open_alerts(ruleset)
    if new_only:
        found = found.filter(found["raised"])
    return by_account(found)


def by_account(found: pl.DataFrame) -> pl.DataFrame:
    """``found`` with each account's alerts together: the accounts whose most severe alert is
    the most severe first, then the lowest score first; within an account, most severe
    first."""
    rank = pl.col("severity").replace_strict(SEVERITY_ORDER, default=len(SEVERITY_ORDER))
    return (found.with_columns(_rank=rank)
            .with_columns(_worst=pl.col("_rank").min().over(ACCOUNT))
            .sort(["_worst", "score", *ACCOUNT, "_rank", "since", "alert"], nulls_last=True)
            .drop("_rank", "_worst"))


def first_accounts(found: pl.DataFrame, limit: int) -> pl.DataFrame:
    """The alerts of the first ``limit`` accounts of ``found`` (0: all), as
    :func:`by_account` orders them."""
    if not limit:
        return found
    starts = pl.any_horizontal(pl.col(c).ne_missing(pl.col(c).shift()) for c in ACCOUNT)
    return found.filter(starts.cum_sum() <= limit)


def accounts_in(found: pl.DataFrame) -> int:
    """How many accounts the alerts ``found`` are about."""
    return found.select(ACCOUNT).n_unique() if found.height else 0
