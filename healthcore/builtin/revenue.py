"""Built-in revenue metrics: mrr, arr, nrr, clv and crc. Amounts are in the currency of the
input; see :mod:`healthcore.builtin.metrics` for the rules all built-in metrics follow."""

from __future__ import annotations

from healthcore.plugin import Computed, Metric, hookimpl
from healthcore.builtin.metrics import (either, field_param, list_problem, only, positive_or_null, quotient,
                      quotient_metric, schema)

_FEES = field_param("field with the list of the account's monthly recurring fees (one per "
                    "subscription), summed")
_ARPU = field_param("count field: average revenue per user (per month)")
_PAYING = field_param("count field: the number of paying users")


def _monthly(inputs, metric: str) -> Computed:
    """MRR from the list of fees, or ARPU x paying users."""
    import polars as pl
    if "fees" in inputs:
        fees = inputs["fees"]
        invalid, problem = list_problem(metric, fees, pl.element() < 0, "is a negative fee")
        return Computed(positive_or_null(fees.list.len(), fees.list.sum()), invalid, problem)
    return Computed(inputs["arpu"] * inputs["paying_users"])


def mrr_metric(inputs, params):
    """MRR (monthly recurring revenue) = the sum of the account's monthly recurring fees
    (fees: 49 + 199 + 20 = 268), or ARPU x paying users (arpu, paying_users: 25 x 40 = 1,000).

    Null when the list of fees is empty; a negative fee is reported."""
    return _monthly(inputs, "mrr")


def arr_metric(inputs, params):
    """ARR (annual recurring revenue) = MRR x 12, with MRR read from a field (mrr: 1,000 gives
    12,000), or computed as the mrr metric does (fees, or arpu and paying_users)."""
    if "mrr" in inputs:
        return inputs["mrr"] * 12.0
    monthly = _monthly(inputs, "arr")
    return Computed(monthly.value * 12.0, monthly.invalid, monthly.problem)


def nrr_metric(inputs, params):
    """NRR (net revenue retention) = 100 x (start_mrr - contraction - churned + expansion)
    / start_mrr (%): the recurring revenue kept from the customers of the period's start, with
    their upgrades. Start 10,000, expansion 2,000, contraction 500, churned 1,000: 105.

    Null when start_mrr is 0; contraction + churned more than start_mrr is reported."""
    import polars as pl
    start, lost = inputs["start_mrr"], inputs["contraction"] + inputs["churned"]
    return Computed(positive_or_null(start, 100.0 * (start - lost + inputs["expansion"]) / start),
                    invalid=lost > start,
                    problem=pl.format("nrr: contraction + churned ({}) is more than "
                                      "start_mrr ({})", lost, start))


def clv_metric(inputs, params):
    """CLV (customer lifetime value), by method:

    - purchases: average_value x frequency x lifespan (frequency: purchases per period,
      lifespan: in those periods). $100 monthly (12 a year) for 5 years: 100 x 12 x 5 = 6,000.
    - margin: arpu x margin / 100 x contract_length (margin: gross margin in %, contract
      length in the periods of the ARPU). 500 a month, 80 %, 24 months: 9,600.
    - churn: arpu x 100 / churn_rate (churn rate: % of customers lost per period of the
      ARPU, so 100 / churn_rate is the expected lifetime in periods). 2 % monthly churn: 50
      months of ARPU, 200 a month: 10,000.

    Null when churn_rate is 0 (no expected end); a margin or churn rate above 100 % is
    reported."""
    import polars as pl
    method = params["method"]
    if method == "purchases":
        return inputs["average_value"] * inputs["frequency"] * inputs["lifespan"]
    name = "margin" if method == "margin" else "churn_rate"
    rate = inputs[name]
    invalid = rate > 100
    problem = pl.format(f"clv: {name} ({{}}) is more than 100 %", rate)
    if method == "margin":
        value = inputs["arpu"] * rate / 100.0 * inputs["contract_length"]
    else:
        value = positive_or_null(rate, inputs["arpu"] * 100.0 / rate)
    return Computed(value, invalid, problem)


def crc_metric(inputs, params):
    """CRC (customer retention cost) = retention_costs / active_customers: what keeping one
    customer costs. 12,000 spent on 40 customers: 300.

    Null when there is no active customer."""
    costs, customers = quotient(inputs, "retention_costs", "active_customers")
    return positive_or_null(inputs[customers], inputs[costs] / inputs[customers])


_CLV_METHODS = {
    "purchases": ["average_value", "frequency", "lifespan"],
    "margin": ["arpu", "margin", "contract_length"],
    "churn": ["arpu", "churn_rate"],
}


def _clv_rules() -> dict:
    """The fields each method of clv needs, and only those; a missing or unknown method
    rejects any unknown key."""
    rules: dict = only(dict.fromkeys(["method", *(n for names in _CLV_METHODS.values()
                                                   for n in names)]))
    for method, names in reversed(_CLV_METHODS.items()):
        rules = {"if": {"required": ["method"], "properties": {"method": {"const": method}}},
                 "then": only(["method", *names], names), "else": rules}
    return rules


METRICS = (
    Metric(
        "mrr", "monthly recurring revenue: the sum of the recurring fees, or ARPU x paying users",
        mrr_metric,
        schema({"fees": _FEES, "arpu": _ARPU, "paying_users": _PAYING}, closed=False,
               **either("fees", only(["fees"]),
                        only(["arpu", "paying_users"], ["arpu", "paying_users"]))),
        {"fees": "numbers", "arpu": "count", "paying_users": "count"},
        description=mrr_metric.__doc__),
    Metric(
        "arr", "annual recurring revenue: MRR x 12", arr_metric,
        schema({"mrr": field_param("count field: the monthly recurring revenue"),
                "fees": _FEES, "arpu": _ARPU, "paying_users": _PAYING}, closed=False,
               **either("mrr", only(["mrr"]), either(
                   "fees", only(["fees"]),
                   only(["arpu", "paying_users"], ["arpu", "paying_users"])))),
        {"mrr": "count", "fees": "numbers", "arpu": "count", "paying_users": "count"},
        description=arr_metric.__doc__),
    Metric(
        "nrr", "net revenue retention: % of the period's starting MRR kept, with expansion",
        nrr_metric,
        schema({"start_mrr": field_param("count field: MRR at the start of the period"),
                "expansion": field_param("count field: MRR added by upgrades, add-ons and "
                                         "seats during the period"),
                "contraction": field_param("count field: MRR lost to downgrades"),
                "churned": field_param("count field: MRR lost to cancellations")},
               ["start_mrr", "expansion", "contraction", "churned"]),
        {"start_mrr": "count", "expansion": "count", "contraction": "count",
         "churned": "count"},
        description=nrr_metric.__doc__),
    Metric(
        "clv", "customer lifetime value: by purchases, by gross margin or by churn rate",
        clv_metric,
        schema({"method": {"enum": list(_CLV_METHODS),
                           "description": "purchases (average_value x frequency x lifespan), "
                                          "margin (arpu x margin x contract_length) or churn "
                                          "(arpu / churn_rate)"},
                "average_value": field_param("purchases: count field: average purchase value"),
                "frequency": field_param("purchases: count field: purchases per period"),
                "lifespan": field_param("purchases: count field: customer lifespan, in "
                                        "periods"),
                "arpu": field_param("margin, churn: count field: average revenue per user "
                                    "per period"),
                "margin": field_param("margin: count field: gross margin, in % (0-100)"),
                "contract_length": field_param("margin: count field: contract length, in "
                                               "periods"),
                "churn_rate": field_param("churn: count field: churn rate per period, in % "
                                          "(0-100)")},
               ["method"], closed=False, **_clv_rules()),
        {name: "count" for names in _CLV_METHODS.values() for name in names},
        description=clv_metric.__doc__),
    quotient_metric(
        "crc", "customer retention cost: retention costs / active customers", crc_metric,
        ("retention_costs", "count field: what was spent on retaining customers (customer "
                            "success, support, incentives)"),
        ("active_customers", "count field: the number of active customers")),
)


@hookimpl
def healthcore_register_metrics(register):
    for metric in METRICS:
        register(metric)
