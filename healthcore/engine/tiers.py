"""Tier assignment: by score thresholds, or by percentile rank within the run."""

from __future__ import annotations

from typing import Any, Collection

import polars as pl

from healthcore.engine.columns import RANKED
from healthcore.engine.segments import BySegment
from healthcore.ruleset import Ruleset


def with_ranked(frame: pl.DataFrame, account_id: str, unranked: Collection[str]) -> pl.DataFrame:
    """``frame`` with the column saying which accounts percentile tiers rank: all but those
    whose id (as text) is in ``unranked``."""
    ranked = pl.col(account_id).cast(pl.String).is_in(list(unranked)).not_() if unranked \
        else pl.lit(True)
    return frame.with_columns(ranked.alias(RANKED))


def tier_columns(ruleset: Ruleset, score: pl.Expr, by_segment: BySegment
                 ) -> tuple[pl.Expr, pl.Expr]:
    """Each account's tier and its color: the first tier whose threshold its score reaches
    (percentile tiers: whose share of ranked accounts scoring lower it reaches)."""
    if ruleset.tier_mode == "percentile":
        ranked = pl.when(pl.col(RANKED)).then(score)  # churned accounts are not ranked
        lower = ranked.rank("min") - 1  # ranked accounts with a strictly lower score
        scored = ranked.count()
        tests = [lower.cast(pl.Float64) * 100.0
                 >= by_segment.threshold(tier) * scored.cast(pl.Float64)
                 for tier in ruleset.tiers]
    else:
        tests = [score >= by_segment.threshold(tier) for tier in ruleset.tiers]
    tier_chain: Any = pl
    color_chain: Any = pl
    for tier, test in zip(ruleset.tiers, tests):
        tier_chain = tier_chain.when(test).then(pl.lit(tier.name))
        color_chain = color_chain.when(test).then(pl.lit(tier.color, pl.String))
    return tier_chain.otherwise(None), color_chain.otherwise(None)


def few_to_rank(ruleset: Ruleset, accounts: int, scored: int, distinct: int) -> list[str]:
    """A warning when percentile tiers rank fewer ``distinct`` scores (of the ``scored``
    among ``accounts``) than there are tiers: the tiers then follow the rank alone (one
    account scoring 95 is in the lowest tier)."""
    if ruleset.tier_mode != "percentile" or accounts == 0 or distinct >= len(ruleset.tiers):
        return []
    return [f"percentile tiers rank the accounts of a run against each other, and this run has "
            f"{scored:,} scored account{'s' if scored != 1 else ''} with "
            f"{distinct} distinct score{'s' if distinct != 1 else ''} for "
            f"{len(ruleset.tiers)} tiers: an account is in the lowest tier when none scores "
            "lower, whatever its score; score larger batches, or use tiers with 'min'"]
