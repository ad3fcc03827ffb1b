"""Built-in metrics: field, ratio, expression, nps and csat (from counts)."""

from __future__ import annotations

from ..hookspecs import hookimpl
from ..metric import Computed, Metric


def _field_param(description: str, default: str | None = None) -> dict:
    spec = {"type": "string", "minLength": 1, "description": description}
    if default is not None:
        spec["default"] = default
    return spec


def _schema(properties: dict, required: list[str] | None = None) -> dict:
    return {"type": "object", "additionalProperties": False, "properties": properties,
            "required": required or []}


def field_metric(inputs, params):
    """raw = the field's value."""
    return inputs["field"]


def ratio_metric(inputs, params):
    """raw = numerator / denominator x scale; null when the denominator is 0."""
    import polars as pl
    denominator = inputs["denominator"]
    ratio = inputs["numerator"] / denominator
    return pl.when(denominator != 0).then(ratio if params["scale"] == 1 else ratio * params["scale"])


def expression_metric(inputs, params):
    """raw = the value of the expression."""
    return inputs["expr"]


def nps_metric(inputs, params):
    """NPS = 100 x (promoters - detractors) / (promoters + passives + detractors)."""
    import polars as pl
    promoters, passives, detractors = (inputs["promoters"], inputs["passives"],
                                       inputs["detractors"])
    responses = promoters + passives + detractors
    return pl.when(responses > 0).then(100.0 * (promoters - detractors) / responses)


def csat_metric(inputs, params):
    """CSAT = 100 x positive / total; an account with more positive answers than answers in
    total is reported, not scored."""
    import polars as pl
    positive, total = inputs["positive"], inputs["total"]
    return Computed(pl.when(total > 0).then(100.0 * positive / total),
                    invalid=positive > total,
                    problem=pl.format("csat: positive ({}) is more than total ({})",
                                      positive, total))


BUILTIN_METRICS = (
    Metric(
        "field", "the value of one numeric input field, as is", field_metric,
        _schema({"field": _field_param("the input field to read")}, ["field"]),
        {"field": "number"}, description=field_metric.__doc__),
    Metric(
        "ratio", "numerator field / denominator field (x scale); null when the denominator is 0",
        ratio_metric,
        _schema({"numerator": _field_param("field holding the numerator"),
                 "denominator": _field_param("field holding the denominator"),
                 "scale": {"type": "number", "default": 1,
                           "description": "multiplier, e.g. 100 for a percentage"}},
                ["numerator", "denominator"]),
        {"numerator": "number", "denominator": "number"}, description=ratio_metric.__doc__),
    Metric(
        "expression", "the value of an expression over the account's fields and parameters",
        expression_metric,
        _schema({"expr": {"type": "string", "minLength": 1, "maxLength": 2000,
                          "description": "the expression, e.g. 'active_users / seats * 100'"}},
                ["expr"]),
        {"expr": "expression"}, description=expression_metric.__doc__),
    Metric(
        "nps", "Net Promoter Score from counts of promoters, passives and detractors (-100..100)",
        nps_metric,
        _schema({"promoters": _field_param("field with the number of promoters (9-10)",
                                           "nps_promoters"),
                 "passives": _field_param("field with the number of passives (7-8)",
                                          "nps_passives"),
                 "detractors": _field_param("field with the number of detractors (0-6)",
                                            "nps_detractors")}),
        {"promoters": "count", "passives": "count", "detractors": "count"},
        description=nps_metric.__doc__),
    Metric(
        "csat", "customer satisfaction: percentage of positive answers (0..100), from counts",
        csat_metric,
        _schema({"positive": _field_param("field with the number of positive answers",
                                          "csat_positive"),
                 "total": _field_param("field with the number of answers", "csat_total")}),
        {"positive": "count", "total": "count"}, description=csat_metric.__doc__),
)


@hookimpl
def healthcore_register_metrics(register):
    for metric in BUILTIN_METRICS:
        register(metric)
