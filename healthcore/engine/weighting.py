"""Weighting the indicators' points into the base score: weights (by segment), groups, and the
renormalisation over the indicators that have a value."""

from __future__ import annotations

import polars as pl

from healthcore.engine.columns import HIDDEN
from healthcore.ruleset import Ruleset


def as_column(value: float | pl.Expr) -> pl.Expr:
    """A weight as a column: a number as a literal, a column (by segment) as it is."""
    return value if isinstance(value, pl.Expr) else pl.lit(value)


def weighted_base(ruleset: Ruleset, lazy: pl.LazyFrame, counted: dict[str, pl.Expr],
                  effective: dict[str, pl.Expr], weights: dict[str, float | pl.Expr]
                  ) -> tuple[pl.LazyFrame, pl.Expr, dict[str, pl.Expr], list[pl.Expr]]:
    """The weighted base score, each indicator's share of it (its contribution is share x
    points) and the groups' output columns; adds the denominator column ``den`` (0: no score).
    ``weights`` are numbers, or columns where segments change them.
    """
    den = pl.col(f"{HIDDEN}den")
    indicators = ruleset.indicators
    if not ruleset.groups:
        lazy = lazy.with_columns(pl.sum_horizontal(
            [pl.when(counted[i.id]).then(weights[i.id]).otherwise(0.0) for i in indicators]
        ).alias(den.meta.output_name()))
        numerator = pl.sum_horizontal([(effective[i.id] * weights[i.id]).fill_null(0.0)
                                       for i in indicators])
        shares = {i.id: pl.when(counted[i.id] & (den > 0)).then(weights[i.id] / den)
                  for i in indicators}  # no share (not NaN) when no weight counts
        return lazy, numerator / den, shares, []
    by_id = {i.id: i for i in indicators}
    group_points, group_den, stage = {}, {}, []
    for group in ruleset.groups:
        members = [by_id[m] for m in group.members]
        group_points[group.id] = pl.col(f"{HIDDEN}group_{group.id}")
        if group.combine == "mean":
            group_den[group.id] = pl.col(f"{HIDDEN}group_den_{group.id}")
            total_weight = pl.sum_horizontal(
                [pl.when(counted[m.id]).then(weights[m.id]).otherwise(0.0) for m in members])
            total = pl.sum_horizontal([(effective[m.id] * weights[m.id]).fill_null(0.0)
                                       for m in members])
            stage += [total_weight.alias(f"{HIDDEN}group_den_{group.id}"),
                      pl.when(total_weight > 0).then(total / total_weight)
                      .alias(f"{HIDDEN}group_{group.id}")]
        else:
            combine = pl.min_horizontal if group.combine == "min" else pl.max_horizontal
            stage.append(combine([pl.when(counted[m.id] & (as_column(weights[m.id]) > 0))
                                  .then(effective[m.id]) for m in members])
                         .alias(f"{HIDDEN}group_{group.id}"))
    lazy = lazy.with_columns(stage).with_columns(pl.sum_horizontal(
        [pl.when(group_points[g.id].is_not_null()).then(weights[g.id]).otherwise(0.0)
         for g in ruleset.groups]).alias(den.meta.output_name()))
    base = pl.sum_horizontal([(group_points[g.id] * weights[g.id]).fill_null(0.0)
                              for g in ruleset.groups]) / den
    shares: dict[str, pl.Expr] = {}
    columns: list[pl.Expr] = []
    for group in ruleset.groups:
        points = group_points[group.id]
        share = pl.when(points.is_not_null() & (den > 0)).then(weights[group.id] / den)
        members = [by_id[m] for m in group.members]
        decided = pl.lit(False)
        for member in members:
            if group.combine == "mean":
                shares[member.id] = pl.when(counted[member.id]).then(
                    share * weights[member.id] / group_den[group.id])
                continue
            # min or max: the first member at the group's points carries the group's share
            decides = (counted[member.id] & (effective[member.id] == points)
                       & (as_column(weights[member.id]) > 0) & decided.not_())
            shares[member.id] = (pl.when(decides).then(share)
                                 .when(counted[member.id]).then(0.0))
            decided = decided | decides
        columns += [points.alias(f"{group.id}.points"),
                    as_column(weights[group.id]).alias(f"{group.id}.weight"),
                    (share * points).alias(f"{group.id}.contribution")]
    return lazy, base, shares, columns
