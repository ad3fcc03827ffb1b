"""The columnar engine: one lazy polars query scores a whole table of accounts.

Stages: prepare the input fields (by kind, with problem messages) -> each indicator's raw value
(through its metric) -> points (normalizer) -> weighted base with the missing-data policies ->
actions -> clamped score -> tier -> explanation columns. Per-account metrics are the one exception
to the single query: the engine maps them over the prepared inputs before the query runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

import polars as pl

from .errors import InputError
from .inputs import missing_field, prepare
from .metric import Computed
from .results import Results
from .ruleset import Indicator, Ruleset

_HIDDEN = "__hc_"


@dataclass
class _Plan:
    """The columns the query builds, named and collected stage by stage."""

    prepared: dict[tuple[str, str], str]
    stage: list[pl.Expr]
    problems: list[pl.Expr]


def as_frame(accounts: Any) -> pl.DataFrame:
    """Accept a polars DataFrame/LazyFrame, or an iterable of mappings (one per account)."""
    if isinstance(accounts, pl.LazyFrame):
        return accounts.collect()
    if isinstance(accounts, pl.DataFrame):
        return accounts
    rows = list(accounts)
    if not rows:
        return pl.DataFrame()
    if not all(isinstance(row, Mapping) for row in rows):
        raise InputError("accounts must be a table or a list of mappings (one per account)")
    return pl.DataFrame(rows, infer_schema_length=None, strict=False)


def score(ruleset: Ruleset, accounts: Any) -> Results:
    """Score every account of ``accounts`` with ``ruleset``; see :class:`~healthcore.Results`."""
    frame = as_frame(accounts)
    if ruleset.account_id not in frame.columns:
        if frame.height == 0 and not frame.columns:
            frame = pl.DataFrame({ruleset.account_id: []}, schema={ruleset.account_id: pl.String})
        else:
            from .schema import did_you_mean
            hint = did_you_mean(ruleset.account_id, frame.columns)
            raise InputError(f"the accounts have no field '{ruleset.account_id}', which the "
                             f"ruleset names as account_id{hint}; fields found: "
                             f"{', '.join(frame.columns[:20])}")
    _reject_shadowed_parameters(ruleset, frame.columns)
    warnings = [f"field '{name}' is not in the input: the indicators and actions reading it "
                "have no value for any account" for name in ruleset.fields()
                if name not in frame.columns]
    try:
        scored = _query(ruleset, frame, {}).collect()
    except pl.exceptions.PolarsError:
        failed = _failing_metrics(ruleset, frame)
        if not failed:
            raise
        warnings += list(failed.values())
        scored = _query(ruleset, frame, failed).collect()
    return Results(ruleset, scored, warnings)


def _failing_metrics(ruleset: Ruleset, frame: pl.DataFrame) -> dict[str, str]:
    """The vectorized metrics whose query fails on this batch, each with a message naming
    its plugin; found by running each one alone (only after the whole query failed)."""
    vectorized = [ind for ind in ruleset.indicators if not ind.metric.per_account]
    failed = {}
    for indicator in vectorized:
        others = {ind.id: "" for ind in vectorized if ind is not indicator}
        try:
            _query(ruleset, frame, others).collect()
        except pl.exceptions.PolarsError as exc:
            reason = str(exc).strip().splitlines()[0]
            failed[indicator.id] = (f"{_metric_label(indicator)} failed on this batch: "
                                    f"{type(exc).__name__}: {reason}; the indicator is left out")
    return failed


def _reject_shadowed_parameters(ruleset: Ruleset, columns: list[str]) -> None:
    used = {name for indicator in ruleset.indicators for item in indicator.inputs
            if item.expression is not None for name in item.expression.parameters}
    used |= {name for action in ruleset.actions for name in action.condition.parameters}
    clash = sorted(used & set(ruleset.parameters) & set(columns))
    if clash:
        raise InputError(f"'{clash[0]}' is both a parameter of the ruleset and a field of the "
                         "accounts, so an expression using it is ambiguous; rename one of them")


def _query(ruleset: Ruleset, frame: pl.DataFrame, failed: Mapping[str, str]) -> pl.LazyFrame:
    """The whole scoring query; indicators in ``failed`` are left out with their message."""
    schema = frame.schema
    plan = _Plan({}, [], [])

    def column(field: str, kind: str) -> pl.Expr:
        key = (field, kind)
        if key not in plan.prepared:
            name = f"{_HIDDEN}in{len(plan.prepared)}"
            plan.prepared[key] = name
            if field in schema:
                value, problem = prepare(field, kind, schema[field])
            else:
                value, problem = missing_field(field, kind)
            plan.stage.append(value.alias(name))
            if problem is not None:
                plan.problems.append(problem)
        return pl.col(plan.prepared[key])

    def input_column(item) -> pl.Expr:
        if item.field is not None:
            return column(item.field, item.kind)
        return item.expression.to_polars(column)

    raw: dict[str, pl.Expr] = {}
    per_account_args: list[pl.Expr] = []
    for indicator in ruleset.indicators:
        if indicator.metric.per_account:
            per_account_args += [input_column(item).alias(_arg(indicator, item.param))
                                 for item in indicator.inputs]
            raw[indicator.id] = pl.col(_raw(indicator))
        elif indicator.id in failed:
            if failed[indicator.id]:
                plan.problems.append(pl.lit(failed[indicator.id]))
            raw[indicator.id] = pl.lit(None, pl.Float64)
        else:
            inputs = {item.param: input_column(item) for item in indicator.inputs}
            raw[indicator.id] = _metric_value(indicator, inputs, plan)
    conditions = [action.condition.to_polars(column) for action in ruleset.actions]
    # building the expressions above registered every prepared input they read
    lazy = frame.lazy().with_columns(plan.stage)
    per_account = [ind for ind in ruleset.indicators if ind.metric.per_account]
    if per_account:
        lazy = _map_per_account(lazy.with_columns(per_account_args), per_account, plan)
    lazy = lazy.with_columns(
        [raw[ind.id].alias(_raw(ind)) for ind in ruleset.indicators]
        + [cond.alias(f"{_HIDDEN}act_{a.id}") for a, cond in zip(ruleset.actions, conditions)])
    lazy = lazy.with_columns([ind.normalizer.points(pl.col(_raw(ind))).alias(_pts(ind))
                              for ind in ruleset.indicators])
    for ind in ruleset.indicators:
        if not ind.normalizer.always_scores:
            raw_value = pl.col(_raw(ind))
            plan.problems.append(pl.when(raw_value.is_not_null() & pl.col(_pts(ind)).is_null())
                                 .then(pl.format(f"indicator '{ind.id}': the value {{}} gets no "
                                                 f"points from its normalizer "
                                                 f"({ind.normalizer.describe()}); it is left out",
                                                 raw_value)))
    return _scores(ruleset, lazy, plan.problems)


def _metric_value(indicator: Indicator, inputs: dict[str, pl.Expr], plan: _Plan) -> pl.Expr:
    metric = indicator.metric
    label = _metric_label(indicator)
    try:
        result = metric.compute(inputs, dict(indicator.params))
        problem = None
        if isinstance(result, Computed):
            result, problem = result.value, result.problem
        value = result.cast(pl.Float64)
    except Exception as exc:  # a plugin's fault: the indicator is null, the rest still scores
        plan.problems.append(pl.lit(f"{label} failed: {type(exc).__name__}: {exc}; the "
                                    "indicator is left out"))
        return pl.lit(None, pl.Float64)
    plan.problems.append(pl.when(value.is_not_null() & value.is_finite().not_()).then(
        pl.format(f"{label} gave {{}}; the indicator is left out", value)))
    if problem is not None:
        plan.problems.append(problem)
        value = pl.when(problem.is_null()).then(value)
    return pl.when(value.is_finite()).then(value)


def _metric_label(indicator: Indicator) -> str:
    metric = indicator.metric
    return f"metric '{metric.name}' (plugin {metric.plugin}) of indicator '{indicator.id}'"


def _map_per_account(lazy: pl.LazyFrame, indicators: list[Indicator], plan: _Plan
                     ) -> pl.LazyFrame:
    """Run per-account metrics in Python over the prepared inputs (the slow path)."""
    prepared = lazy.collect()
    new_columns = []
    for indicator in indicators:
        params = dict(indicator.params)
        columns = {item.param: prepared[_arg(indicator, item.param)].to_list()
                   for item in indicator.inputs}
        values: list[float | None] = []
        problems: list[str | None] = []
        label = _metric_label(indicator)
        for row in range(prepared.height):
            account = {param: column[row] for param, column in columns.items()}
            value, problem = _call_per_account(indicator, account, params, label)
            values.append(value)
            problems.append(problem)
        new_columns.append(pl.Series(f"{_HIDDEN}raw_{indicator.id}", values, pl.Float64))
        new_columns.append(pl.Series(f"{_HIDDEN}err_{indicator.id}", problems, pl.String))
        plan.problems.append(pl.col(f"{_HIDDEN}err_{indicator.id}"))
    return prepared.with_columns(new_columns).lazy()


def _call_per_account(indicator: Indicator, account: dict[str, Any], params: dict[str, Any],
                      label: str) -> tuple[float | None, str | None]:
    try:
        value = indicator.metric.compute(account, params)
    except Exception as exc:  # a plugin's fault stays on its account
        return None, f"{label} raised {type(exc).__name__}: {exc}"
    if value is None:
        return None, None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None, f"{label} returned {value!r}, not a number"
    if not math.isfinite(value):
        return None, f"{label} gave {value}; the indicator is left out"
    return float(value), None


def _arg(indicator: Indicator, param: str) -> str:
    return f"{_HIDDEN}arg_{indicator.id}_{param}"


def _raw(indicator: Indicator) -> str:
    return f"{_HIDDEN}raw_{indicator.id}"


def _pts(indicator: Indicator) -> str:
    return f"{_HIDDEN}pts_{indicator.id}"


def _scores(ruleset: Ruleset, lazy: pl.LazyFrame, problems: list[pl.Expr]) -> pl.LazyFrame:
    indicators = ruleset.indicators
    counted, effective = {}, {}
    for ind in indicators:
        points = pl.col(_pts(ind))
        if ind.missing == "zero":
            counted[ind.id] = pl.lit(True)
            effective[ind.id] = points.fill_null(0.0)
        else:
            counted[ind.id] = points.is_not_null()
            effective[ind.id] = points
    denominator = pl.sum_horizontal([pl.when(counted[i.id]).then(i.weight).otherwise(0.0)
                                     for i in indicators]).alias(f"{_HIDDEN}den")
    numerator = pl.sum_horizontal([(effective[i.id] * i.weight).fill_null(0.0)
                                   for i in indicators])
    adjustment = pl.sum_horizontal(
        [pl.when(pl.col(f"{_HIDDEN}act_{a.id}")).then(a.points).otherwise(0.0)
         for a in ruleset.actions] or [pl.lit(0.0)])
    account_id = pl.col(ruleset.account_id)
    refusals = [pl.when(account_id.is_null()).then(
        pl.lit(f"the account has no '{ruleset.account_id}'"))]
    refusals += [pl.when(pl.col(_pts(i)).is_null()).then(pl.lit(
        f"indicator '{i.id}' has no value and its missing policy is 'error'"))
        for i in indicators if i.missing == "error"]
    den = pl.col(f"{_HIDDEN}den")
    refusals.append(pl.when(den == 0).then(pl.lit(
        "no indicator has a value for this account, so it has no score")))
    refused = pl.any_horizontal([r.is_not_null() for r in refusals])
    lazy = lazy.with_columns(denominator).with_columns(
        pl.when(refused.not_()).then(
            ((numerator / den) + adjustment).clip(0.0, 100.0)).alias(f"{_HIDDEN}score"),
        pl.concat_list([*problems, *refusals]).list.drop_nulls().alias(f"{_HIDDEN}errors"))
    score_col = pl.col(f"{_HIDDEN}score")
    tier, color = _tiers(ruleset, score_col)
    columns: list[pl.Expr] = [
        account_id.alias("account_id"),
        pl.when(score_col.is_not_null()).then(pl.lit("ok")).otherwise(pl.lit("error"))
        .alias("status"),
        score_col.alias("score"), tier.alias("tier"), color.alias("color")]
    costs = []
    for ind in indicators:
        share = pl.when(counted[ind.id]).then(ind.weight / den)
        columns += [pl.col(_raw(ind)).alias(f"{ind.id}.value"),
                    effective[ind.id].alias(f"{ind.id}.points"),
                    pl.lit(ind.weight).alias(f"{ind.id}.weight"),
                    (share * effective[ind.id]).alias(f"{ind.id}.contribution")]
        costs.append((ind, share * (100.0 - effective[ind.id])))
    columns += [_fired(ruleset), _reasons(ruleset, costs, score_col),
                pl.col(f"{_HIDDEN}errors").alias("errors")]
    return lazy.select(columns)


def _tiers(ruleset: Ruleset, score: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    if ruleset.tier_mode == "percentile":
        lower = score.rank("min") - 1  # scored accounts with a strictly lower score
        scored = score.count()
        tests = [lower.cast(pl.Float64) * 100.0 >= tier.threshold * scored.cast(pl.Float64)
                 for tier in ruleset.tiers]
    else:
        tests = [score >= tier.threshold for tier in ruleset.tiers]
    tier_chain: Any = pl
    color_chain: Any = pl
    for tier, test in zip(ruleset.tiers, tests):
        tier_chain = tier_chain.when(test).then(pl.lit(tier.name))
        color_chain = color_chain.when(test).then(pl.lit(tier.color, pl.String))
    return tier_chain.otherwise(None), color_chain.otherwise(None)


def _fired(ruleset: Ruleset) -> pl.Expr:
    ids = [pl.when(pl.col(f"{_HIDDEN}act_{a.id}")).then(pl.lit(a.id)) for a in ruleset.actions]
    return pl.concat_list(ids or [pl.lit(None, pl.String)]).list.drop_nulls().alias("actions")


def _reasons(ruleset: Ruleset, costs: list[tuple[Indicator, pl.Expr]], score: pl.Expr
             ) -> pl.Expr:
    """The costliest indicators (top N) and the negative actions that fired, costliest first."""
    candidates = []
    for ind, cost in costs:
        text = pl.format(f"{ind.label} cost {{}} points", cost.round(1))
        candidates.append(pl.struct(cost.alias("cost"), text.alias("text"),
                                    pl.lit(0, pl.Int8).alias("kind")))
    for action in ruleset.actions:
        if action.points < 0:
            fired = pl.col(f"{_HIDDEN}act_{action.id}")
            text = f"{action.reason} ({action.points:+g} points)"
            candidates.append(pl.struct(pl.when(fired).then(-action.points).alias("cost"),
                                        pl.lit(text).alias("text"),
                                        pl.lit(1, pl.Int8).alias("kind")))
    if not candidates:
        return pl.concat_list([pl.lit(None, pl.String)]).list.drop_nulls().alias("reasons")
    top = ruleset.top_reasons
    element = pl.element()
    ranked = pl.concat_list(candidates).list.eval(
        element.sort_by(element.struct.field("cost"), descending=True, nulls_last=True,
                        maintain_order=True))
    chosen = ranked.list.eval(
        element.filter((element.struct.field("cost") > 0.05)
                       & ((element.struct.field("kind") == 1)
                          | ((element.struct.field("kind") == 0).cum_sum() <= top))))
    return (pl.when(score.is_not_null()).then(chosen.list.eval(element.struct.field("text")))
            .otherwise(pl.lit([], pl.List(pl.String))).alias("reasons"))
