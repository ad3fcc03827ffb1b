"""Built-in usage metrics: adoption, trend and count. See :mod:`healthcore.builtin.metrics` for
the rules all built-in metrics follow."""

from __future__ import annotations

from healthcore.plugin import Metric, hookimpl
from healthcore.builtin.metrics import field_param, percent_of, positive_or_null, quotient_metric, schema


def adoption_metric(inputs, params):
    """adoption = 100 x used / available (%): features used of the features available, active
    users of the seats paid for... 6 features of 8: 75.

    Null when nothing is available; more used than available is reported."""
    return percent_of("adoption", inputs, "used", "available")


def trend_metric(inputs, params):
    """trend = 100 x (field - previous) / |previous| (%): the relative change of a signal
    against the previous period, negative when it declines. 74 active users against 80:
    -7.5.

    Null when previous is 0 (no baseline to compare with)."""
    import polars as pl
    current, previous = inputs["field"], inputs["previous"]
    return pl.when(previous != 0).then(100.0 * (current - previous) / previous.abs())


def count_metric(inputs, params):
    """count = the value of a count field (0 or more): referrals, late invoices, open
    tickets... With per: count / per (tickets per seat: 12 tickets for 40 seats gives 0.3),
    null when per is 0."""
    if "per" not in inputs:
        return inputs["field"]
    return positive_or_null(inputs["per"], inputs["field"] / inputs["per"])


METRICS = (
    quotient_metric(
        "adoption", "percentage of what is available that is used (features, seats) (0..100)",
        adoption_metric, ("used", "count field: features used, active users..."),
        ("available", "count field: features available, seats...")),
    Metric(
        "trend", "relative change (%) of a field against its previous-period field",
        trend_metric,
        schema({"field": field_param("number field: the value for this period"),
                "previous": field_param("number field: the value for the previous period")},
               ["field", "previous"]),
        {"field": "number", "previous": "number"}, description=trend_metric.__doc__),
    Metric(
        "count", "a count (0 or more) such as referrals, late invoices or tickets; optionally "
                 "per another count",
        count_metric,
        schema({"field": field_param("count field to read"),
                "per": field_param("count field to divide by (seats, users...); optional")},
               ["field"]),
        {"field": "count", "per": "count"}, description=count_metric.__doc__),
)


@hookimpl
def healthcore_register_metrics(register):
    for metric in METRICS:
        register(metric)
