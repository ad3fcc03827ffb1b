"""Calling the plugins' metrics: vectorized ones give a column of the query, per-account ones
are mapped over the prepared inputs in Python; their faults become :class:`MetricFailure`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import polars as pl

from healthcore.engine import probe
from healthcore.engine.columns import HIDDEN, arg_column, result_column
from healthcore.engine.faults import (finite_or_stop, metric_label, not_an_expression, not_plain,
                                      one_number, stopped)
from healthcore.engine.reasons import Problem, clean
from healthcore.engine.results import MetricFailure
from healthcore.plugin.metric import Computed
from healthcore.ruleset import Indicator


@dataclass
class Plan:
    """What building the query collects: each field read as each kind (built once, inlined
    where used) and the problem messages of the explanation."""

    prepared: dict[tuple[str, str], pl.Expr]
    problems: list[Problem]
    reported: dict[str, pl.Expr] = dataclasses.field(default_factory=dict)
    """Per field, where a problem with it is already reported."""
    strict: bool = False
    """Whether a metric's fault stops the run (:class:`MetricError`) instead of leaving its
    indicator out."""
    accounts: int = 0
    """How many accounts the batch has."""
    probe: pl.LazyFrame | None = None
    """A few rows of the batch to try the plugins' vectorized metrics on (see
    :func:`healthcore.engine.probe.fault`)."""
    failures: list[MetricFailure] = dataclasses.field(default_factory=list)
    """The metrics that failed for whole accounts while the query was built."""


def metric_value(indicator: Indicator, inputs: dict[str, pl.Expr], plan: Plan
                 ) -> Computed | None:
    """A vectorized metric's result (as a float column) and its problems. A plugin's fault
    leaves the indicator null (None) while the rest still scores, or stops a strict run."""
    label = metric_label(indicator)
    try:
        result = indicator.metric.compute(inputs, dict(indicator.params))
    except Exception as exc:
        return metric_fault(indicator, f"failed: {type(exc).__name__}: {exc}", plan)
    if not isinstance(result, Computed):
        result = Computed(result)
    wrong = not_an_expression(result)
    if wrong is not None:
        return metric_fault(indicator, f"returned {wrong}, not a polars expression", plan)
    if plan.probe is not None and probe.probed(indicator):
        fault = probe.fault(probe.result_to_try(indicator, inputs, result), plan.probe)
        if fault is not None:
            return metric_fault(indicator, fault, plan)
    value = result.value.cast(pl.Float64)
    if plan.strict:  # checked once per batch, where polars computes the column
        value = value.map_batches(finite_or_stop(label), return_dtype=pl.Float64)
    return Computed(value, result.invalid, result.problem)


def metric_fault(indicator: Indicator, fault: str, plan: Plan) -> None:
    """A metric that failed on the whole batch: its message on every account, and a failure
    of every account (or, strict, stop). ``fault`` says what happened, after the label."""
    label = metric_label(indicator)
    if plan.strict:
        raise stopped(f"{label} {fault}")
    plan.problems.append(Problem(pl.lit(clean(f"{label} {fault}; the indicator is left out")),
                                 pl.lit(True)))
    if plan.accounts:
        plan.failures.append(MetricFailure(indicator.id, label, plan.accounts, plan.accounts,
                                           fault))


def map_per_account(lazy: pl.LazyFrame, indicators: list[Indicator], plan: Plan
                    ) -> pl.LazyFrame:
    """Run per-account metrics in Python over the prepared inputs (the slow path)."""
    prepared = lazy.collect()
    new_columns = []
    for indicator in indicators:
        values, problems = _per_account_values(indicator, prepared, plan)
        new_columns.append(pl.Series(result_column(indicator), values, pl.Float64))
        new_columns.append(pl.Series(f"{HIDDEN}err_{indicator.id}",
                                     [p if p is None else clean(p) for p in problems], pl.String))
        plan.problems.append(Problem.column(pl.col(f"{HIDDEN}err_{indicator.id}")))
    return prepared.with_columns(new_columns).lazy()


def _per_account_values(indicator: Indicator, prepared: pl.DataFrame, plan: Plan
                        ) -> tuple[list[float | None], list[str | None]]:
    """One per-account metric's value and problem for each account; its faults are counted
    in ``plan.failures`` (or, strict, stop the run)."""
    params = dict(indicator.params)
    columns = {item.param: prepared[arg_column(indicator, item.param)].to_list()
               for item in indicator.inputs}
    label = metric_label(indicator)
    values: list[float | None] = []
    problems: list[str | None] = []
    faults, first = 0, ""
    for row in range(prepared.height):
        account = {param: column[row] for param, column in columns.items()}
        value, fault, problem = _call_per_account(indicator, account, params)
        if fault is not None:
            if plan.strict:
                raise stopped(f"{label} {fault}")
            faults, first = faults + 1, first or fault
            problem = f"{label} {fault}"
        values.append(value)
        problems.append(problem)
    if faults:
        plan.failures.append(MetricFailure(indicator.id, label, faults, plan.accounts, first))
    return values, problems


def _call_per_account(indicator: Indicator, account: dict[str, Any], params: dict[str, Any]
                      ) -> tuple[float | None, str | None, str | None]:
    """A per-account metric's value for one account, its fault (what went wrong, after its
    label) and the problem it reports with the account's data (a :class:`Computed` marked
    invalid)."""
    try:
        value = indicator.metric.compute(account, params)
    except Exception as exc:  # a plugin's fault stays on its account
        return None, f"raised {type(exc).__name__}: {exc}", None
    if isinstance(value, Computed):
        wrong = not_plain(value)
        if wrong is not None:
            return None, wrong, None
        if value.invalid:
            return None, None, value.problem or (f"{metric_label(indicator)}: this account's "
                                                 "data is not valid")
        value = value.value
    number, fault = one_number(value)
    return number, fault, None
