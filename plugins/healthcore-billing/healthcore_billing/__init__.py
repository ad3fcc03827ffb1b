"""healthcore-billing: billing signals for healthcore customer health scores.

A third-party healthcore plugin, found through the ``healthcore`` entry-point group (as
``billing``) once the distribution is installed. It registers:

* the metric ``dunning_stage`` (vectorized): how far an account is into the dunning process,
  from the number of days its oldest invoice is past due;
* the metric ``payment_reliability`` (per account, the slow path): the percentage of payments
  made on time, once the account has made ``min_payments`` payments;
* the expression function ``days_to_months(days)``, usable in any ruleset expression.

Example indicators::

    - id: dunning
      metric: dunning_stage
      params: {days_overdue: days_invoice_overdue, stages: [0, 15, 30, 60]}
      normalize: {linear: {worst: 4, best: 0}}
      weight: 10
    - id: reliability
      metric: payment_reliability
      params: {on_time: on_time_payments, late: late_payments, min_payments: 3}
      normalize: {linear: {worst: 50, best: 100}}
      weight: 10

Its tests (``tests/`` of the distribution) use healthcore's plugin kit, ``healthcore.plugin.testing``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Mapping

from healthcore.plugin import ExpressionFunction, Metric, hookimpl

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "DAYS_PER_MONTH", "DEFAULT_MIN_PAYMENTS", "DEFAULT_STAGES", "METRICS", "FUNCTIONS",
    "dunning_stage", "payment_reliability", "days_to_months", "days_to_months_expr",
]

DEFAULT_STAGES: tuple[int, ...] = (0, 15, 30, 60)
"""Dunning thresholds in days past due: reminder, second notice, final notice, suspension."""

DEFAULT_MIN_PAYMENTS = 1
"""Payments an account must have made before its reliability means anything: any payment."""

DAYS_PER_MONTH = 365.25 / 12  # 30.4375, exactly representable as a float
"""The average length of a month (a 365.25-day year over 12 months)."""


# --------------------------------------------------------------------------- dunning_stage

def dunning_stage(inputs: Mapping[str, "pl.Expr"], params: Mapping[str, Any]) -> "pl.Expr":
    """stage = how many of the ``stages`` thresholds the days past due exceed (strictly).

    With the default thresholds ``[0, 15, 30, 60]``: 0 days past due is stage 0 (in good
    standing), 1-15 days stage 1, 16-30 stage 2, 31-60 stage 3 and more than 60 days stage 4.
    The thresholds may be given in any order. An account without a value has no stage.
    """
    import polars as pl

    days = inputs["days_overdue"]
    thresholds = sorted(float(threshold) for threshold in params["stages"])
    stage = pl.sum_horizontal([(days > threshold).cast(pl.Int32) for threshold in thresholds])
    return pl.when(days.is_not_null()).then(stage)


DUNNING_STAGE = Metric(
    name="dunning_stage",
    summary="dunning stage 0..len(stages): how many thresholds the days past due exceed",
    compute=dunning_stage,
    parameters={
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "days_overdue": {
                "type": "string", "minLength": 1, "default": "days_invoice_overdue",
                "description": "field holding the number of days the oldest unpaid invoice "
                               "is past due (0 when nothing is overdue)",
            },
            "stages": {
                "type": "array", "minItems": 1, "maxItems": 20, "uniqueItems": True,
                "items": {"type": "number", "minimum": 0},
                "default": list(DEFAULT_STAGES),
                "description": "thresholds in days past due; the stage is how many of them "
                               "the account's days past due exceed",
            },
        },
        "required": [],
    },
    inputs={"days_overdue": "count"},
    description=dunning_stage.__doc__ or "",
)


# --------------------------------------------------------------------- payment_reliability

def payment_reliability(values: Mapping[str, float | None], params: Mapping[str, Any]
                        ) -> float | None:
    """reliability = 100 x on-time payments / (on-time payments + late payments).

    None (no value) when either count is missing, or when the account has made fewer than
    ``min_payments`` payments (default 1: any payment at all), too few to judge it by.
    A per-account metric: plain Python over one account's values, mapped by the engine.
    """
    on_time, late = values.get("on_time"), values.get("late")
    if on_time is None or late is None:
        return None
    payments = on_time + late
    if payments == 0 or payments < params.get("min_payments", DEFAULT_MIN_PAYMENTS):
        return None
    return 100.0 * on_time / payments


PAYMENT_RELIABILITY = Metric(
    name="payment_reliability",
    summary="percentage of payments made on time (0..100); per account, slower",
    compute=payment_reliability,
    parameters={
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "on_time": {"type": "string", "minLength": 1, "default": "on_time_payments",
                        "description": "field with the number of payments made on time"},
            "late": {"type": "string", "minLength": 1, "default": "late_payments",
                     "description": "field with the number of payments made late"},
            "min_payments": {
                "type": "integer", "minimum": 1, "maximum": 1000,
                "default": DEFAULT_MIN_PAYMENTS,
                "description": "fewest payments (on time and late) an account must have made "
                               "to be judged; with fewer it has no value (e.g. 3 for a "
                               "quarter of monthly invoices)",
            },
        },
        "required": [],
    },
    inputs={"on_time": "count", "late": "count"},
    per_account=True,
    description=payment_reliability.__doc__ or "",
)


# -------------------------------------------------------------------------- days_to_months

def days_to_months_expr(days: "pl.Expr") -> "pl.Expr":
    """Batch implementation: a polars expression of days -> months (null stays null)."""
    return days / DAYS_PER_MONTH


def days_to_months(days: float | None) -> float | None:
    """Scalar implementation: days -> months, None for None (agrees with the batch one)."""
    if days is None:
        return None
    return float(days) / DAYS_PER_MONTH


DAYS_TO_MONTHS = ExpressionFunction(
    name="days_to_months",
    vector=days_to_months_expr,
    scalar=days_to_months,
    min_args=1,
    max_args=1,
    arg_kind="number",
    returns="number",
    summary="days_to_months(days): days / 30.4375, the average month (null stays null)",
)


METRICS: tuple[Metric, ...] = (DUNNING_STAGE, PAYMENT_RELIABILITY)
FUNCTIONS: tuple[ExpressionFunction, ...] = (DAYS_TO_MONTHS,)


@hookimpl
def healthcore_register_metrics(register: Callable[[Metric], None]) -> None:
    """Register ``dunning_stage`` and ``payment_reliability``."""
    for metric in METRICS:
        register(metric)


@hookimpl
def healthcore_register_functions(register: Callable[[ExpressionFunction], None]) -> None:
    """Register ``days_to_months``."""
    for function in FUNCTIONS:
        register(function)
