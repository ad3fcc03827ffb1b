"""Built-in metrics: field, ratio, expression, nps and csat; and the helpers the other built-in
metric modules (customer, revenue, usage) share.

Every metric follows the same rules: a missing or unreadable input, a zero denominator or an
empty list gives null (the indicator drops out under the default missing policy), never an
exception, NaN or infinity; data that cannot be right (more positive answers than answers, a
rating outside its scale) is reported on the account through :class:`Computed`. Percentages are
returned as 0-100 values.

A metric that can be computed in several ways (from counts or from a list of responses, say)
chooses the way by the parameters the ruleset gives; its parameter schema uses ``if``/``then``/
``else`` so that the parameters of one way cannot be mixed with those of another, and so that
each way's required parameters are reported by name (see :func:`either`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from healthcore.plugin import Computed, Metric, hookimpl

# ----------------------------------------------------------------------------- shared helpers


def field_param(description: str, default: str | None = None) -> dict:
    """The schema of a parameter that names an input field."""
    spec: dict[str, Any] = {"type": "string", "minLength": 1, "description": description}
    if default is not None:
        spec["default"] = default
    return spec


def schema(properties: dict, required: list[str] | None = None, *, closed: bool = True,
           **rules: Any) -> dict:
    """A parameter schema. ``closed=False`` leaves the rejection of unknown keys to the
    branches of ``rules`` (``if``/``then``/``else``), which would otherwise report an unknown
    key twice."""
    spec: dict[str, Any] = {"type": "object", "properties": properties,
                            "required": required or []}
    if closed:
        spec["additionalProperties"] = False
    spec.update(rules)
    return spec


def only(names: Iterable[str], required: Iterable[str] = ()) -> dict:
    """A branch of a parameter schema allowing exactly ``names``: another key is reported as
    ``unknown key 'x' (allowed here: ...)``, a missing one as ``'x' is required``."""
    return {"properties": {name: True for name in names}, "required": list(required),
            "additionalProperties": False}


def either(trigger: str, when_given: dict, otherwise: dict) -> dict:
    """Schema rules: the branch ``when_given`` applies if the ruleset gives ``trigger``, else
    ``otherwise``."""
    return {"if": {"required": [trigger]}, "then": when_given, "else": otherwise}


def at_most(low: str, high: str, low_default: int, high_default: int,
            high_values: Iterable[int]) -> list[dict]:
    """Schema rules for ``low <= high`` between two integer parameters (defaults included),
    which plain JSON Schema cannot compare: one rule per possible value of ``high``."""
    rules: list[dict] = [{"if": {"required": [high], "properties": {high: {"const": value}}},
                          "then": {"properties": {low: {"maximum": value}}}}
                         for value in high_values]
    rules.append({"if": {"not": {"required": [high]}},
                  "then": {"properties": {low: {"maximum": high_default}}}})
    rules.append({"if": {"not": {"required": [low]}},
                  "then": {"properties": {high: {"minimum": low_default}}}})
    return rules


def positive_or_null(denominator, value):
    """``value`` where ``denominator`` is above 0, else null."""
    import polars as pl
    return pl.when(denominator > 0).then(value)


def quotient(inputs, part: str, whole: str) -> tuple[str, str]:
    """The names of the inputs holding the numerator and the denominator of a
    :func:`quotient_metric`: its own (``lost``, ``at_start``) or the generic ``numerator`` and
    ``denominator``."""
    return ("numerator", "denominator") if "numerator" in inputs else (part, whole)


def percent_of(metric: str, inputs, part: str, whole: str) -> Computed:
    """100 x part / whole; null when whole is 0; an account whose part is more than its whole
    is reported (``<metric>: <part> (12.0) is more than <whole> (10.0)``)."""
    import polars as pl
    part, whole = quotient(inputs, part, whole)
    numerator, denominator = inputs[part], inputs[whole]
    return Computed(positive_or_null(denominator, 100.0 * numerator / denominator),
                    invalid=numerator > denominator,
                    problem=pl.format(f"{metric}: {part} ({{}}) is more than {whole} ({{}})",
                                      numerator, denominator))


def quotient_metric(name: str, summary: str, compute, part: tuple[str, str],
                    whole: tuple[str, str]) -> Metric:
    """A metric of two count fields, ``part`` and ``whole`` (name, description), which also
    accepts them under the generic names ``numerator`` and ``denominator`` (as ``ratio``)."""
    generic = {"numerator": field_param(f"count field: the same as {part[0]}, by the generic "
                                        "name"),
               "denominator": field_param(f"count field: the same as {whole[0]}, by the "
                                          "generic name")}
    return Metric(
        name, summary, compute,
        schema({part[0]: field_param(part[1]), whole[0]: field_param(whole[1]), **generic},
               closed=False,
               **either("numerator", only(list(generic), list(generic)),
                        only([part[0], whole[0]], [part[0], whole[0]]))),
        {part[0]: "count", whole[0]: "count", "numerator": "count", "denominator": "count"},
        description=compute.__doc__)


def list_problem(metric: str, values, bad, what: str) -> tuple[Any, Any]:
    """The parts of a :class:`Computed` for a list of which some elements are ``bad`` (an
    expression of ``pl.element()``): ``invalid`` and a problem naming the first bad value."""
    import polars as pl
    invalid = values.list.eval(bad).list.any()
    first = values.list.eval(pl.element().filter(bad)).list.first()
    return invalid, pl.format(f"{metric}: {{}} {what}", first)


def list_count(values, condition):
    """How many elements of each list meet ``condition`` (an expression of ``pl.element()``)."""
    import polars as pl
    return values.list.eval(condition.cast(pl.Float64)).list.sum()


@dataclass(frozen=True)
class CountsOrList(Metric):
    """A metric computed from count fields or from a list field (``list_param``).

    The count parameters keep their default field names (``nps_promoters``...), but those
    defaults only apply when the ruleset does not give ``list_param``: a ruleset that gives
    only ``responses`` reads no count field at all.
    """

    list_param: str = ""
    counts: tuple[str, ...] = ()

    def with_defaults(self, params: Mapping[str, Any]) -> dict[str, Any]:
        filled = super().with_defaults(params)
        if self.list_param in params:
            for name in self.counts:
                if name not in params:
                    filled.pop(name, None)
        return filled


# ----------------------------------------------------------------------------- generic

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


# ----------------------------------------------------------------------------- surveys

NPS_PROMOTERS_FROM, NPS_PASSIVES_FROM = 9, 7


def nps_metric(inputs, params):
    """NPS = 100 x (promoters - detractors) / responses, from -100 to 100.

    From counts: responses = promoters + passives + detractors.
    From a list of 0-10 answers (responses): an answer from cutoffs.promoters (9) up is
    a promoter, one from cutoffs.passives (7) up a passive, any lower one a detractor.
    Null when there is no response; a list holding an answer outside 0..10 is reported.
    """
    import polars as pl
    if "responses" in inputs:
        responses = inputs["responses"]
        promoter = pl.element() >= params["cutoffs"]["promoters"]
        detractor = pl.element() < params["cutoffs"]["passives"]
        count = responses.list.len()
        net = list_count(responses, promoter) - list_count(responses, detractor)
        invalid, problem = list_problem(
            "nps", responses, (pl.element() < 0) | (pl.element() > 10),
            "is not an answer on the 0-10 scale")
        return Computed(positive_or_null(count, 100.0 * net / count), invalid, problem)
    promoters, passives, detractors = (inputs["promoters"], inputs["passives"],
                                       inputs["detractors"])
    responses = promoters + passives + detractors
    return pl.when(responses > 0).then(100.0 * (promoters - detractors) / responses)


def csat_metric(inputs, params):
    """CSAT = 100 x positive / total, from 0 to 100.

    From counts: positive answers of total; an account with more positive answers than
    answers in total is reported, not scored.
    From a list of ratings (responses): positive = ratings of threshold (4) or more,
    total = the number of ratings; a rating outside 0..scale (5) is reported.
    Null when there is no answer.
    """
    import polars as pl
    if "responses" in inputs:
        ratings = inputs["responses"]
        count = ratings.list.len()
        positive = list_count(ratings, pl.element() >= params["threshold"])
        invalid, problem = list_problem(
            "csat", ratings, (pl.element() < 0) | (pl.element() > params["scale"]),
            f"is not a rating on the 0-{params['scale']} scale")
        return Computed(positive_or_null(count, 100.0 * positive / count), invalid, problem)
    return percent_of("csat", inputs, "positive", "total")


_NPS_COUNTS = ("promoters", "passives", "detractors")
_CUTOFFS = {
    "type": "object", "additionalProperties": False,
    "description": "with responses: the lowest answer of a promoter and of a passive (below "
                   "it: a detractor); default {promoters: 9, passives: 7}",
    "properties": {
        "promoters": {"type": "integer", "minimum": 1, "maximum": 10,
                      "default": NPS_PROMOTERS_FROM,
                      "description": "an answer from this one up is a promoter's"},
        "passives": {"type": "integer", "minimum": 0, "maximum": 10,
                     "default": NPS_PASSIVES_FROM,
                     "description": "an answer from this one up (below promoters) is a "
                                    "passive's; lower ones are detractors'"}},
    "allOf": at_most("passives", "promoters", NPS_PASSIVES_FROM, NPS_PROMOTERS_FROM,
                     range(1, 11)),
}
_CSAT_SCALE, _CSAT_THRESHOLD = 5, 4

NPS = CountsOrList(
    "nps", "Net Promoter Score (-100..100) from counts of promoters, passives and detractors, "
           "or from a list of 0-10 answers",
    nps_metric,
    schema({"promoters": field_param("field with the number of promoters (9-10); counts are "
                                     "read unless responses is given", "nps_promoters"),
            "passives": field_param("field with the number of passives (7-8)",
                                    "nps_passives"),
            "detractors": field_param("field with the number of detractors (0-6)",
                                      "nps_detractors"),
            "responses": field_param("instead of the counts: field with the list of answers "
                                     "(0-10) of the account's respondents"),
            "cutoffs": _CUTOFFS},
           closed=False,
           **either("responses", only(["responses", "cutoffs"]), only(_NPS_COUNTS))),
    {"promoters": "count", "passives": "count", "detractors": "count",
     "responses": "numbers"},
    description=nps_metric.__doc__, list_param="responses", counts=_NPS_COUNTS)

CSAT = CountsOrList(
    "csat", "customer satisfaction: percentage of positive answers (0..100), from counts or "
            "from a list of ratings",
    csat_metric,
    schema({"positive": field_param("field with the number of positive answers; counts are "
                                    "read unless responses is given", "csat_positive"),
            "total": field_param("field with the number of answers", "csat_total"),
            "responses": field_param("instead of the counts: field with the list of ratings "
                                     "of the account's respondents"),
            "scale": {"type": "integer", "minimum": 2, "maximum": 10, "default": _CSAT_SCALE,
                      "description": "with responses: the highest rating (ratings go from 0 "
                                     "or 1 up to it)"},
            "threshold": {"type": "integer", "minimum": 1, "maximum": 10,
                          "default": _CSAT_THRESHOLD,
                          "description": "with responses: the lowest positive rating"}},
           closed=False,
           allOf=[either("responses", only(["responses", "scale", "threshold"]),
                         only(["positive", "total"])),
                  *at_most("threshold", "scale", _CSAT_THRESHOLD, _CSAT_SCALE,
                           range(2, 11))]),
    {"positive": "count", "total": "count", "responses": "numbers"},
    description=csat_metric.__doc__, list_param="responses", counts=("positive", "total"))


METRICS = (
    Metric(
        "field", "the value of one numeric input field, as is", field_metric,
        schema({"field": field_param("the input field to read")}, ["field"]),
        {"field": "number"}, description=field_metric.__doc__),
    Metric(
        "ratio", "numerator field / denominator field (x scale); null when the denominator is 0",
        ratio_metric,
        schema({"numerator": field_param("field holding the numerator"),
                "denominator": field_param("field holding the denominator"),
                "scale": {"type": "number", "default": 1,
                          "description": "multiplier, e.g. 100 for a percentage"}},
               ["numerator", "denominator"]),
        {"numerator": "number", "denominator": "number"}, description=ratio_metric.__doc__),
    Metric(
        "expression", "the value of an expression over the account's fields and parameters",
        expression_metric,
        schema({"expr": {"type": "string", "minLength": 1, "maxLength": 2000,
                         "description": "the expression, e.g. 'active_users / seats * 100'"}},
               ["expr"]),
        {"expr": "expression"}, description=expression_metric.__doc__),
    NPS,
    CSAT,
)


@hookimpl
def healthcore_register_metrics(register):
    for metric in METRICS:
        register(metric)
