"""The scoring query: one lazy polars query from the accounts' fields to the score columns.

Stages: prepare the input fields (by kind, with problem messages) -> each indicator's raw value
(through its metric) -> points (normalizer) -> weighted base with the missing-data policies ->
actions -> clamped score -> tier -> explanation columns.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable, Mapping

import polars as pl

from healthcore.engine import probe
from healthcore.engine.accounts import has_an_id
from healthcore.engine.columns import HIDDEN, arg_column, points_column, raw_column, result_column
from healthcore.engine.faults import NONFINITE, metric_label, nonfinite_code
from healthcore.engine.inputs import missing_field, prepare
from healthcore.engine.metrics import Plan, map_per_account, metric_fault, metric_value
from healthcore.engine.reasons import (ActionReason, IndicatorCost, Problem, clean,
                                       clean_column, problem_list, ranked_reasons, text_list)
from healthcore.engine.outputs import EXPLANATION
from healthcore.engine.results import MetricFailure, Tally
from healthcore.engine.segments import BySegment
from healthcore.engine.tiers import tier_columns
from healthcore.engine.weighting import as_column, weighted_base
from healthcore.ruleset import Ruleset


@dataclass
class Query:
    """The scoring query: ``staged`` holds the intermediate columns of the scores, selected by
    ``core`` (what :func:`~healthcore.engine.score` computes at once); ``explanation`` adds
    those of the actions, reasons and errors (computed when the results are first read in
    full)."""

    staged: pl.LazyFrame
    core: list[pl.Expr]
    explanation: Callable[[], tuple[pl.LazyFrame, list[pl.Expr]]]
    """Builds (only when asked) the frame with the explanation's stages and its columns."""
    failures: list[MetricFailure] = dataclasses.field(default_factory=list)
    """The metrics that failed for whole accounts before the query runs: on the whole batch,
    or per account."""
    nonfinite: dict[str, tuple[str, pl.Expr]] = dataclasses.field(default_factory=dict)
    """Per vectorized indicator: its label, and a column saying where its metric gave NaN or
    infinity (a code of :data:`NONFINITE`), counted in the same pass as the scores."""

    def names(self) -> list[str]:
        return [column.meta.output_name() for column in self.core]

    def scores(self) -> pl.DataFrame:
        return self.staged.select(self.core).collect()

    def everything(self) -> pl.DataFrame:
        explained, details = self.explanation()
        return explained.select(self.core + details).collect()

    def select(self, columns: list[str]) -> pl.LazyFrame:
        """The flat output ``columns``, computing only what they need (the explanation only
        if one of its columns is chosen)."""
        staged, available = self.staged, {name: column for name, column
                                          in zip(self.names(), self.core)}
        if set(EXPLANATION) & set(columns):
            staged, details = self.explanation()
            available.update((detail.meta.output_name(), detail) for detail in details)
        return staged.select(available[name] for name in columns)

    def collect(self, explain: bool, total: int) -> tuple[pl.DataFrame, list[MetricFailure]]:
        """The scores (and the explanation's columns with ``explain``), and every metric's
        failures, in the order of their indicators, counted in the same pass."""
        checks = self._checks()
        columns = self.core + [code.alias(name) for name, code in checks.items()]
        if explain:
            explained, details = self.explanation()
            computed = explained.select(columns + details).collect()
        else:
            computed = self.staged.select(columns).collect()
        failures = list(self.failures)
        for (ident, (label, _)), name in zip(self.nonfinite.items(), checks):
            codes = computed.drop_in_place(name)  # (a fresh frame: cheaper than drop())
            count = codes.len() - codes.null_count()
            if count:
                failures.append(MetricFailure(ident, label, count, total,
                                              f"gave {NONFINITE[codes.drop_nulls()[0]]}"))
        return computed, failures

    def tally(self, tiers: list[str], distinct: bool) -> pl.LazyFrame:
        """What :meth:`collect` tells of the batch, as a one-row frame that keeps no column:
        the accounts of each of the ``tiers`` and status, the metrics' faults, and with
        ``distinct`` the distinct scores (percentile tiers); :meth:`counted` reads it."""
        named = dict(zip(self.names(), self.core))
        score, tier = named["score"], named["tier"]
        counts = [pl.len().alias("accounts"), score.is_null().sum().alias("unscored"),
                  tier.is_null().sum().alias("no tier")]
        counts += [(tier == name).sum().alias(f"tier {name}") for name in tiers]
        if distinct:
            counts.append(score.drop_nulls().n_unique().alias("distinct"))
        for name, code in self._checks().items():
            counts += [code.count().alias(f"{name} count"),
                       code.drop_nulls().first().alias(f"{name} first")]
        return self.staged.select(counts)

    def counted(self, tally: pl.DataFrame, tiers: list[str]
                ) -> tuple[Tally, list[MetricFailure]]:
        """The :class:`Tally` and every metric's failures from the row of :meth:`tally`."""
        row = tally.row(0, named=True)
        failures = list(self.failures)
        for (ident, (label, _)), name in zip(self.nonfinite.items(), self._checks()):
            if row[f"{name} count"]:
                failures.append(MetricFailure(ident, label, row[f"{name} count"],
                                              row["accounts"],
                                              f"gave {NONFINITE[row[f'{name} first']]}"))
        by_tier: dict[str | None, int] = {name: row[f"tier {name}"] for name in tiers}
        by_tier[None] = row["no tier"]
        return Tally(row["accounts"], row["unscored"], by_tier, row.get("distinct")), failures

    def _checks(self) -> dict[str, pl.Expr]:
        """The columns saying where each vectorized metric gave NaN or infinity, by name."""
        return {f"{HIDDEN}nonfinite_{ident}": code
                for ident, (_, code) in self.nonfinite.items()}


def build_query(ruleset: Ruleset, frame: pl.DataFrame, failed: Mapping[str, str],
                strict: bool = False) -> Query:
    """The whole scoring query; indicators in ``failed`` are left out with their message."""
    schema = frame.schema
    by_segment = BySegment(ruleset)
    plan = Plan({}, [], strict=strict, accounts=frame.height,
                 probe=probe.rows(ruleset, frame, by_segment))

    def column(field: str, kind: str) -> pl.Expr:
        """A field read as ``kind``; inlined where used (polars computes it once)."""
        key = (field, kind)
        if key not in plan.prepared:
            if field in schema:
                value, problem = prepare(field, kind, schema[field])
            else:
                value, problem = missing_field(field, kind)
            plan.prepared[key] = value
            if problem is not None:
                # a field read in two ways gets one message per account, the first one's
                reported = plan.reported.get(field)
                plan.problems.append(problem if reported is None else problem.unless(reported))
                plan.reported[field] = problem.where if reported is None else (
                    reported | problem.where)
        return plan.prepared[key]

    def input_column(item) -> pl.Expr:
        if item.field is not None:
            return column(item.field, item.kind)
        return item.expression.to_polars(column, by_segment.parameter)

    computed: list[pl.Expr] = []  # each metric's result, and its problems if it has any
    valid: dict[str, pl.Expr] = {}
    nonfinite: dict[str, tuple[str, pl.Expr]] = {}
    per_account_args: list[pl.Expr] = []
    for indicator in ruleset.indicators:
        result = pl.col(result_column(indicator))
        valid[indicator.id] = result.is_finite()
        if indicator.metric.per_account:
            per_account_args += [input_column(item).alias(arg_column(indicator, item.param))
                                 for item in indicator.inputs]
            continue
        if indicator.id in failed:
            outcome = metric_fault(indicator, failed[indicator.id], plan) \
                if failed[indicator.id] else None
        else:
            outcome = metric_value(
                indicator, {item.param: input_column(item) for item in indicator.inputs}, plan)
        if outcome is None:  # left out, its fault reported
            computed.append(pl.lit(None, pl.Float64).alias(result_column(indicator)))
            continue
        computed.append(outcome.value.alias(result_column(indicator)))
        if not strict:  # (strict stops at the first NaN or infinity)
            nonfinite[indicator.id] = (metric_label(indicator), nonfinite_code(result))
        nonfinite_here = valid[indicator.id].not_()
        plan.problems.append(Problem(pl.format(
            f"{clean(metric_label(indicator))} gave {{}}; the indicator is left out",
            pl.when(nonfinite_here).then(result)), nonfinite_here))
        if outcome.invalid is not None:
            invalid = pl.col(f"{HIDDEN}invalid_{indicator.id}")
            computed.append(outcome.invalid.fill_null(False).alias(invalid.meta.output_name()))
            valid[indicator.id] &= invalid.not_()
            problem = outcome.problem if outcome.problem is not None else (
                f"{metric_label(indicator)}: this account's data is not valid")
            plan.problems.append(
                Problem.when(invalid, pl.lit(clean(problem))) if isinstance(problem, str)
                else Problem.column(pl.when(invalid).then(clean_column(problem))))
    conditions = [action.condition.to_polars(column, by_segment.parameter)
                  for action in ruleset.actions]
    lazy = frame.lazy()
    if ruleset.segments:
        lazy = lazy.with_columns(by_segment.column(column))
    per_account = [ind for ind in ruleset.indicators if ind.metric.per_account]
    if per_account:
        lazy = map_per_account(lazy.with_columns(per_account_args), per_account, plan)
    lazy = lazy.with_columns(
        computed + [cond.alias(f"{HIDDEN}act_{a.id}")
                    for a, cond in zip(ruleset.actions, conditions)])
    lazy = lazy.with_columns(pl.when(valid[ind.id]).then(pl.col(result_column(ind)))
                             .alias(raw_column(ind)) for ind in ruleset.indicators)
    lazy = lazy.with_columns([ind.normalizer.points(pl.col(raw_column(ind)),
                                                    by_segment.parameter)
                              .alias(points_column(ind)) for ind in ruleset.indicators])
    for ind in ruleset.indicators:
        if not ind.normalizer.always_scores:
            unscored = pl.col(points_column(ind)).is_null() & pl.col(raw_column(ind)).is_not_null()
            plan.problems.append(Problem(pl.format(
                clean(f"indicator '{ind.id}': the value {{}} gets no points from its normalizer "
                      f"({ind.normalizer.describe()}); it is left out"),
                pl.when(unscored).then(pl.col(raw_column(ind)))), unscored))
    query = _scores(ruleset, lazy, plan.problems, by_segment,
                    has_an_id(frame, ruleset.account_id))
    query.failures, query.nonfinite = plan.failures, nonfinite
    return query


def _scores(ruleset: Ruleset, lazy: pl.LazyFrame, problems: list[Problem],
            by_segment: BySegment, identified: pl.Expr) -> Query:
    """The score columns of the query; ``identified`` says which accounts have an id."""
    indicators = ruleset.indicators
    counted, effective = {}, {}
    for ind in indicators:
        points = pl.col(points_column(ind))
        if ind.missing == "zero":
            counted[ind.id] = pl.lit(True)
            effective[ind.id] = points.fill_null(0.0)
        else:
            counted[ind.id] = points.is_not_null()
            effective[ind.id] = points
    weights = {i.id: by_segment.weight(i.id, i.weight) for i in indicators}
    weights.update({g.id: by_segment.weight(g.id, g.weight) for g in ruleset.groups})
    lazy, base, shares, group_columns = weighted_base(ruleset, lazy, counted, effective, weights)
    fired = {a.id: pl.col(f"{HIDDEN}act_{a.id}") for a in ruleset.actions}
    adjustment = pl.sum_horizontal(
        [pl.when(fired[a.id]).then(a.points).otherwise(0.0) for a in ruleset.actions]
        or [pl.lit(0.0)])
    account_id = pl.col(ruleset.account_id)
    den = pl.col(f"{HIDDEN}den")
    refusals = [(identified.not_(), f"the account has no '{ruleset.account_id}'")]
    refusals += [(pl.col(points_column(i)).is_null(),
                  f"indicator '{i.id}' has no value and its missing policy is 'error'")
                 for i in indicators if i.missing == "error"]
    refusals.append((den == 0, "no indicator has a value for this account, so it has no score"))
    refused = pl.any_horizontal([condition for condition, _ in refusals])
    lazy = lazy.with_columns(
        pl.when(refused.not_()).then((base + adjustment).clip(0.0, 100.0))
        .alias(f"{HIDDEN}score"))
    score = pl.col(f"{HIDDEN}score")
    tier, color = tier_columns(ruleset, score, by_segment)
    core: list[pl.Expr] = [
        account_id.alias("account_id"),
        pl.when(score.is_not_null()).then(pl.lit("ok")).otherwise(pl.lit("error"))
        .alias("status"),
        score.alias("score"), tier.alias("tier"), color.alias("color")]
    if ruleset.segments:
        core.append(by_segment.segment.alias("segment"))
    costs = []
    for ind in indicators:
        share = shares[ind.id]
        core += [pl.col(raw_column(ind)).alias(f"{ind.id}.value"),
                 effective[ind.id].alias(f"{ind.id}.points"),
                 as_column(weights[ind.id]).alias(f"{ind.id}.weight"),
                 (share * effective[ind.id]).alias(f"{ind.id}.contribution")]
        costs.append(IndicatorCost(share * (100.0 - effective[ind.id]), f"{ind.label} cost "))
    core += group_columns
    reasons = [ActionReason(fired[a.id], a.points, by_segment.reason(a))
               for a in ruleset.actions if a.points < 0]

    def explanation() -> tuple[pl.LazyFrame, list[pl.Expr]]:
        explained, ranked = ranked_reasons(lazy, costs, reasons, ruleset.top_reasons,
                                           score.is_not_null())
        actions = text_list([pl.when(fired[a.id]).then(pl.lit(clean(a.id)))
                             for a in ruleset.actions],
                            pl.any_horizontal(list(fired.values())) if fired else None)
        errors = problem_list([*problems, *(Problem.when(condition, pl.lit(clean(message)))
                                            for condition, message in refusals)])
        return explained, [actions.alias("actions"), ranked.alias("reasons"),
                           errors.alias("errors")]

    return Query(lazy, core, explanation)
