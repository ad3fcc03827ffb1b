"""The names of the scoring query's intermediate columns, hidden from the results."""

from __future__ import annotations

from healthcore.ruleset import Indicator


HIDDEN = "__hc_"
"""The prefix of every intermediate column."""
RANKED = f"{HIDDEN}ranked"
"""Whether percentile tiers rank the account (churned ones are not ranked)."""


def arg_column(indicator: Indicator, param: str) -> str:
    """An input of a per-account metric, prepared."""
    return f"{HIDDEN}arg_{indicator.id}_{param}"


def result_column(indicator: Indicator) -> str:
    """What the indicator's metric gave."""
    return f"{HIDDEN}result_{indicator.id}"


def raw_column(indicator: Indicator) -> str:
    """The indicator's value: its metric's result where valid."""
    return f"{HIDDEN}raw_{indicator.id}"


def points_column(indicator: Indicator) -> str:
    """The points the indicator's normalizer gives its value."""
    return f"{HIDDEN}pts_{indicator.id}"
