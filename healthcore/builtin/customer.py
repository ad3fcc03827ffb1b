"""Built-in customer metrics: retention (churn_rate, renewal_rate) and support (fcr,
resolution_time). Percentages are returned as 0-100 values; see
:mod:`healthcore.builtin.metrics` for the rules all built-in metrics follow."""

from __future__ import annotations

from healthcore.plugin import Computed, Metric, hookimpl
from healthcore.builtin.metrics import (either, field_param, list_problem, only, percent_of, positive_or_null,
                      quotient_metric, schema)


def churn_rate_metric(inputs, params):
    """churn rate = 100 x lost / at_start (%): the customers (or users, seats...) lost during
    the period, of those there at its start. 5 lost of 100: 5.

    Null when at_start is 0; an account that lost more than it had is reported."""
    return percent_of("churn_rate", inputs, "lost", "at_start")


def renewal_rate_metric(inputs, params):
    """renewal rate = 100 x renewed / eligible (%): the contracts (or subscriptions) renewed,
    of those that were up for renewal. 24 of 75: 32.

    Null when eligible is 0; more renewed than eligible is reported."""
    return percent_of("renewal_rate", inputs, "renewed", "eligible")


def fcr_metric(inputs, params):
    """first-contact resolution = 100 x first_contact / tickets (%): the tickets resolved at
    the first contact, of all tickets. 45 of 60: 75.

    Null when tickets is 0; more first-contact resolutions than tickets is reported."""
    return percent_of("fcr", inputs, "first_contact", "tickets")


def resolution_time_metric(inputs, params):
    """resolution time = total_time / resolved: the mean time to resolve a request, in the
    unit of the input (hours, days...). 30 hours over 12 resolved tickets: 2.5.

    Or, from a list of durations (durations), their median (statistic: median, the
    default: robust to one ticket that took a month) or their mean (statistic: mean).
    Null when nothing was resolved or the list is empty; a negative duration is reported."""
    import polars as pl
    if "durations" in inputs:
        durations = inputs["durations"]
        value = (durations.list.median() if params["statistic"] == "median"
                 else durations.list.mean())
        invalid, problem = list_problem("resolution_time", durations, pl.element() < 0,
                                        "is a negative duration")
        return Computed(positive_or_null(durations.list.len(), value), invalid, problem)
    return positive_or_null(inputs["resolved"], inputs["total_time"] / inputs["resolved"])


METRICS = (
    quotient_metric(
        "churn_rate", "percentage of the customers at the start of the period that were lost "
                      "(0..100)", churn_rate_metric,
        ("lost", "count field: customers (or users, seats) lost during the period"),
        ("at_start", "count field: customers (or users, seats) at the start of the period")),
    quotient_metric(
        "renewal_rate", "percentage of the contracts up for renewal that renewed (0..100)",
        renewal_rate_metric, ("renewed", "count field: contracts renewed"),
        ("eligible", "count field: contracts that were up for renewal")),
    quotient_metric(
        "fcr", "first-contact resolution: percentage of the tickets resolved at the first "
               "contact (0..100)", fcr_metric,
        ("first_contact", "count field: tickets resolved at the first contact"),
        ("tickets", "count field: all tickets")),
    Metric(
        "resolution_time", "mean time to resolve a request (total time / resolved), or the "
                           "median or mean of a list of durations",
        resolution_time_metric,
        schema({"total_time": field_param("count field: the time spent resolving requests, "
                                          "in total"),
                "resolved": field_param("count field: the number of requests resolved"),
                "durations": field_param("instead of total_time and resolved: field with the "
                                         "list of the resolution times of the requests"),
                "statistic": {"enum": ["median", "mean"], "default": "median",
                              "description": "with durations: median (robust to outliers) "
                                             "or mean"}},
               closed=False,
               **either("durations", only(["durations", "statistic"]),
                        only(["total_time", "resolved"], ["total_time", "resolved"]))),
        {"total_time": "count", "resolved": "count", "durations": "numbers"},
        description=resolution_time_metric.__doc__),
)


@hookimpl
def healthcore_register_metrics(register):
    for metric in METRICS:
        register(metric)
