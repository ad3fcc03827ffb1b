"""The standard metric library (DESIGN.md, "The standard metrics"), on worked examples computed by
hand: the value of each metric from counts and from lists (Python lists and CSV cells), null for
zero denominators, empty lists and missing fields (never NaN or infinity), the problems reported
on accounts whose data cannot be right, and the parameter errors reported when a ruleset loads.
"""

from __future__ import annotations

import healthcore
import math
import re

import polars as pl
import pytest
import yaml

from healthcore import RulesetError, loads_ruleset
from healthcore.plugin.registry import load_registry
from helpers import REPO

NO_SCORE = "no indicator has a value for this account, so it has no score"
STANDARD = {
    "healthcore.builtin.metrics": {"field", "ratio", "expression", "nps", "csat"},
    "healthcore.builtin.customer": {"churn_rate", "renewal_rate", "fcr", "resolution_time"},
    "healthcore.builtin.revenue": {"mrr", "arr", "nrr", "clv", "crc"},
    "healthcore.builtin.usage": {"adoption", "trend", "count"},
}


@pytest.fixture(scope="module")
def registry():
    return load_registry(entry_point_plugins=False)


def ruleset_text(metric: str, params: dict) -> str:
    """A ruleset with one indicator ``m``; its params in block style, one key a line from
    line 7 (column 7), so that the locations of errors are easy to read."""
    lines = ["healthcore: 1", "name: t", "indicators:", "  - id: m", f"    metric: {metric}"]
    if params:
        lines.append("    params:")
        dumped = yaml.safe_dump(params, sort_keys=False, default_flow_style=False)
        lines += ["      " + line for line in dumped.splitlines()]
    lines += ["    normalize: {linear: {worst: 0, best: 1}}", "    weight: 1", "tiers:",
              "  - {name: all, min: 0}"]
    return "\n".join(lines) + "\n"


def load(metric: str, params: dict, registry):
    return loads_ruleset(ruleset_text(metric, params), "rs.yaml", registry=registry)


def problems(metric: str, params: dict, registry) -> list[str]:
    with pytest.raises(RulesetError) as caught:
        load(metric, params, registry)
    return [str(d) for d in caught.value.diagnostics]


def scored(metric: str, params: dict, accounts, registry) -> list[dict]:
    """Each account's raw value and errors (the 'no score' message left out)."""
    if isinstance(accounts, list):
        accounts = [{"account_id": str(i), **row} for i, row in enumerate(accounts)]
    elif "account_id" not in accounts.columns:
        accounts = accounts.with_row_index("account_id").with_columns(
            pl.col("account_id").cast(pl.String))
    found = []
    for record in healthcore.score(load(metric, params, registry), accounts).to_records():
        value = record["indicators"]["m"]["value"]
        assert value is None or math.isfinite(value), f"{metric} gave {value}"
        found.append({"value": value,
                      "errors": [e for e in record["errors"] if e != NO_SCORE]})
    return found


def values(metric: str, params: dict, accounts, registry) -> list[float | None]:
    """Each account's raw value; fails if any account has errors."""
    results = scored(metric, params, accounts, registry)
    assert [r["errors"] for r in results] == [[] for _ in results]
    return [r["value"] for r in results]


def approx(*numbers):
    return [None if n is None else pytest.approx(n) for n in numbers]


# ----------------------------------------------------------------------------- registration

def test_each_metric_comes_from_its_builtin_plugin(registry):
    assert registry.problems == []
    for plugin, names in STANDARD.items():
        assert {n for n, m in registry.metrics.items() if m.plugin == plugin} == names


@pytest.mark.parametrize("name", sorted(set().union(*STANDARD.values())))
def test_each_metric_documents_its_formula_and_parameters(name, registry):
    metric = registry.metrics[name]
    assert "=" in metric.description, f"{name}: the docstring should give the formula"
    for param, spec in metric.parameters["properties"].items():
        assert spec.get("description"), f"{name}.{param} has no description"
    for param in metric.inputs:
        assert param in metric.parameters["properties"]


# ----------------------------------------------------------------------------- nps

NPS_COUNTS = {"promoters": "p", "passives": "n", "detractors": "d"}
# 6 promoters (9-10), 3 passives (7-8), 1 detractor (0-6): 60 %, 30 %, 10 % -> 50
NPS_ANSWERS = [10, 9, 9, 9, 10, 9, 8, 7, 8, 3]


def test_nps_from_counts(registry):
    assert values("nps", NPS_COUNTS, [
        {"p": 6, "n": 3, "d": 1},        # the issue's 60/30/10: 50
        {"p": 6, "n": 2, "d": 2},        # 100 x (6 - 2) / 10 = 40
        {"p": 0, "n": 0, "d": 5},        # all detractors: -100
        {"p": 0, "n": 0, "d": 0},        # no response: null
        {"p": 6, "n": None, "d": 1},     # a missing count: null
    ], registry) == approx(50, 40, -100, None, None)


def test_nps_counts_default_to_the_nps_fields(registry):
    ruleset = load("nps", {}, registry)
    assert ruleset.fields() == {"nps_promoters": {"count"}, "nps_passives": {"count"},
                                "nps_detractors": {"count"}}
    assert values("nps", {}, [{"nps_promoters": 6, "nps_passives": 3, "nps_detractors": 1}],
                  registry) == approx(50)


def test_nps_from_a_list_reads_no_count_field(registry):
    ruleset = load("nps", {"responses": "answers"}, registry)
    assert ruleset.fields() == {"answers": {"numbers"}}
    results = healthcore.score(ruleset, [{"account_id": "a", "answers": NPS_ANSWERS}])
    assert results.warnings == []
    record = results.to_records()[0]
    assert record["indicators"]["m"]["value"] == pytest.approx(50.0)
    assert record["errors"] == []


def test_nps_from_python_lists(registry):
    assert values("nps", {"responses": "r"}, [
        {"r": NPS_ANSWERS},              # 50
        {"r": [9, 10, 7]},               # 2 promoters, 1 passive: 100 x 2 / 3
        {"r": [0, 6, 6.5, 7]},           # 3 detractors, 1 passive: -75
        {"r": [8.0, 7.0]},               # passives only: 0
        {"r": []},                       # no response: null
        {"r": None},                     # missing: null
    ], registry) == approx(50, 200 / 3, -75, 0, None, None)


def test_nps_from_csv_cells(registry):
    cells = ["10;9;9;9;10;9;8;7;8;3", "9;10;7", "9, 10, 7", "[9, 10, 7]", "9|10|7", "[]", ""]
    assert values("nps", {"responses": "r"}, pl.DataFrame({"r": cells}), registry) == approx(
        50, 200 / 3, 200 / 3, 200 / 3, 200 / 3, None, None)


def test_nps_cutoffs(registry):
    answers = [{"r": [10, 9, 8, 7]}, {"r": [10, 6]}]
    # default: 10, 9 promoters, 8, 7 passives -> 50; 10 promoter, 6 detractor -> 0
    assert values("nps", {"responses": "r"}, answers, registry) == approx(50, 0)
    # promoters only 10, passives 8-9, detractors 0-7: (1 - 1) / 4 -> 0; (1 - 1) / 2 -> 0
    strict = {"responses": "r", "cutoffs": {"promoters": 10, "passives": 8}}
    assert values("nps", strict, answers, registry) == approx(0, 0)
    # promoters 8-10, passives 5-7: [10, 9, 8, 7] -> 75; [10, 6] -> 50
    lenient = {"responses": "r", "cutoffs": {"promoters": 8, "passives": 5}}
    assert values("nps", lenient, answers, registry) == approx(75, 50)
    # one cutoff given, the other keeps its default (passives 7)
    assert values("nps", {"responses": "r", "cutoffs": {"promoters": 10}}, answers,
                  registry) == approx(25, 0)


def test_nps_answers_outside_the_scale_are_reported(registry):
    assert scored("nps", {"responses": "r"}, [{"r": [9, 11]}, {"r": [-1, 9]}], registry) == [
        {"value": None, "errors": ["nps: 11.0 is not an answer on the 0-10 scale"]},
        {"value": None, "errors": ["nps: -1.0 is not an answer on the 0-10 scale"]}]
    assert scored("nps", {"responses": "r"}, pl.DataFrame({"r": ["9;x"]}), registry) == [
        {"value": None, "errors": ["field 'r': '9;x' is not a list of numbers"]}]


def test_nps_parameter_errors(registry):
    assert problems("nps", {"responses": "r", "promoters": "p"}, registry) == [
        "rs.yaml:8:7: indicators[0].params.promoters: 'promoters' does not go with the other "
        "parameters given here ('responses'): the parameters come in alternative sets; keep one set"]
    assert problems("nps", {**NPS_COUNTS, "cutoffs": {"promoters": 10}}, registry) == [
        "rs.yaml:10:7: indicators[0].params.cutoffs: 'cutoffs' does not go with the other "
        "parameters given here ('promoters', 'passives', 'detractors'): the parameters come in alternative sets; keep one set"]
    assert problems("nps", {"responses": "r", "cutoffs": {"promoters": 8, "passives": 9}},
                    registry) == [
        "rs.yaml:10:19: indicators[0].params.cutoffs.passives: 9 is greater than the maximum "
        "of 8"]
    assert problems("nps", {"responses": "r", "cutoffs": {"promoters": 6}}, registry) == [
        "rs.yaml:9:20: indicators[0].params.cutoffs.promoters: 6 is less than the minimum "
        "of 7"]
    assert problems("nps", {"responses": "r", "cutoffs": {"passives": 10}}, registry) == [
        "rs.yaml:9:19: indicators[0].params.cutoffs.passives: 10 is greater than the maximum "
        "of 9"]
    assert problems("nps", {"responses": "r", "cutoffs": {"promoters": 9.5}}, registry) == [
        "rs.yaml:9:20: indicators[0].params.cutoffs.promoters: 9.5 is not of type 'integer'"]
    assert problems("nps", {"promotors": "p"}, registry) == [
        "rs.yaml:7:7: indicators[0].params.promotors: unknown key 'promotors' "
        "(did you mean 'promoters'?)"]


# ----------------------------------------------------------------------------- csat

def test_csat_from_counts(registry):
    assert values("csat", {"positive": "pos", "total": "n"}, [
        {"pos": 35, "n": 50},            # the issue's 70
        {"pos": 13, "n": 18},            # 72.2
        {"pos": 0, "n": 0},              # no answer: null
        {"pos": 3, "n": None},           # missing: null
    ], registry) == approx(70, 1300 / 18, None, None)
    assert values("csat", {}, [{"csat_positive": 35, "csat_total": 50}],
                  registry) == approx(70)


def test_csat_from_lists(registry):
    ratings = {"responses": "r"}
    assert load("csat", ratings, registry).fields() == {"r": {"numbers"}}
    assert values("csat", ratings, [
        {"r": [5, 4, 3]},                # 4 or more on 1-5: 2 of 3
        {"r": [5] * 35 + [2] * 15},      # 35 positive of 50: 70
        {"r": [1, 2, 3]},                # 0
        {"r": []},                       # null
    ], registry) == approx(200 / 3, 70, 0, None)
    assert values("csat", ratings, pl.DataFrame({"r": ["5;4;4;2", "[4, 5]", "[]"]}),
                  registry) == approx(75, 100, None)
    ten = {"responses": "r", "scale": 10, "threshold": 8}
    assert values("csat", ten, [{"r": [10, 8, 7, 9]}], registry) == approx(75)


def test_csat_reports_impossible_data(registry):
    assert scored("csat", {"positive": "pos", "total": "n"}, [{"pos": 40, "n": 20}],
                  registry) == [
        {"value": None, "errors": ["csat: positive (40.0) is more than total (20.0)"]}]
    assert scored("csat", {"responses": "r"}, [{"r": [5, 6]}], registry) == [
        {"value": None, "errors": ["csat: 6.0 is not a rating on the 0-5 scale"]}]
    assert values("csat", {"responses": "r", "scale": 10}, [{"r": [5, 6]}],
                  registry) == approx(100)


def test_csat_parameter_errors(registry):
    assert problems("csat", {"responses": "r", "positive": "p"}, registry) == [
        "rs.yaml:8:7: indicators[0].params.positive: 'positive' does not go with the other "
        "parameters given here ('responses'): the parameters come in alternative sets; keep one set"]
    assert problems("csat", {"positive": "p", "total": "t", "threshold": 3}, registry) == [
        "rs.yaml:9:7: indicators[0].params.threshold: 'threshold' does not go with the other "
        "parameters given here ('positive', 'total'): the parameters come in alternative sets; keep one set"]
    assert problems("csat", {"responses": "r", "threshold": 6}, registry) == [
        "rs.yaml:8:18: indicators[0].params.threshold: 6 is greater than the maximum of 5"]
    assert problems("csat", {"responses": "r", "scale": 7, "threshold": 8}, registry) == [
        "rs.yaml:9:18: indicators[0].params.threshold: 8 is greater than the maximum of 7"]
    assert problems("csat", {"responses": "r", "scale": 3}, registry) == [
        "rs.yaml:8:14: indicators[0].params.scale: 3 is less than the minimum of 4"]
    assert problems("csat", {"responses": "r", "scale": 11}, registry) == [
        "rs.yaml:8:14: indicators[0].params.scale: 11 is greater than the maximum of 10"]


# ----------------------------------------------------------------------------- shares (%)

@pytest.mark.parametrize("metric,part,whole,examples", [
    # (part, whole, value)
    ("churn_rate", "lost", "at_start", [(5, 100, 5), (0, 40, 0), (30, 40, 75)]),
    ("renewal_rate", "renewed", "eligible", [(24, 75, 32), (75, 75, 100), (0, 3, 0)]),
    ("fcr", "first_contact", "tickets", [(45, 60, 75), (1, 3, 100 / 3)]),
    ("adoption", "used", "available", [(6, 8, 75), (8, 10, 80), (0, 8, 0)]),
])
def test_percentages(metric, part, whole, examples, registry):
    params = {part: "a", whole: "b"}
    rows = [{"a": a, "b": b} for a, b, _ in examples]
    assert values(metric, params, rows, registry) == approx(*(v for _, _, v in examples))
    # a zero denominator, a missing value, a missing column: null
    assert values(metric, params, [{"a": 0, "b": 0}, {"a": 3, "b": None},
                                   {"a": None, "b": 10}], registry) == [None, None, None]
    missing = scored(metric, params, [{"a": 1}], registry)
    assert missing == [{"value": None, "errors": ["field 'b' is not in the input"]}]
    # a part larger than its whole cannot be right
    assert scored(metric, params, [{"a": 7, "b": 5}], registry) == [
        {"value": None, "errors": [f"{metric}: {part} (7.0) is more than {whole} (5.0)"]}]
    assert scored(metric, params, [{"a": -1, "b": 5}], registry) == [
        {"value": None, "errors": ["field 'a': -1 is not a valid count (a number, 0 or more)"]}]


@pytest.mark.parametrize("metric,worked", [
    ("churn_rate", (5, 100, 5)), ("renewal_rate", (24, 75, 32)), ("fcr", (45, 60, 75)),
    ("adoption", (6, 8, 75)), ("crc", (12000, 40, 300))])
def test_the_generic_numerator_and_denominator_names(metric, worked, registry):
    params = {"numerator": "a", "denominator": "b"}
    assert values(metric, params, [{"a": worked[0], "b": worked[1]}, {"a": 0, "b": 0}],
                  registry) == approx(worked[2], None)
    if metric != "crc":
        assert scored(metric, params, [{"a": 7, "b": 5}], registry) == [
            {"value": None, "errors": [f"{metric}: numerator (7.0) is more than denominator "
                                       "(5.0)"]}]


def test_generic_and_own_names_do_not_mix(registry):
    assert problems("churn_rate", {"numerator": "a", "at_start": "b"}, registry) == [
        "rs.yaml:7:7: indicators[0].params: 'denominator' is required",
        "rs.yaml:8:7: indicators[0].params.at_start: 'at_start' does not go with the other "
        "parameters given here ('numerator'): the parameters come in alternative sets; keep one set"]
    assert problems("churn_rate", {"lost": "a", "denominator": "b"}, registry) == [
        "rs.yaml:7:7: indicators[0].params: 'at_start' is required",
        "rs.yaml:8:7: indicators[0].params.denominator: 'denominator' does not go with the other "
        "parameters given here ('lost'): the parameters come in alternative sets; keep one set"]


@pytest.mark.parametrize("metric,part,whole", [
    ("churn_rate", "lost", "at_start"), ("renewal_rate", "renewed", "eligible"),
    ("fcr", "first_contact", "tickets"), ("adoption", "used", "available"),
    ("crc", "retention_costs", "active_customers")])
def test_percentage_parameter_errors(metric, part, whole, registry):
    assert problems(metric, {part: "a"}, registry) == [
        f"rs.yaml:7:7: indicators[0].params: '{whole}' is required"]
    assert problems(metric, {part: "a", whole: "b", "scale": 100}, registry) == [
        f"rs.yaml:9:7: indicators[0].params.scale: unknown key 'scale' (allowed here: "
        f"{', '.join(sorted([part, whole]))})"]


# ----------------------------------------------------------------------------- resolution time

def test_resolution_time_from_totals(registry):
    params = {"total_time": "hours", "resolved": "done"}
    assert values("resolution_time", params, [
        {"hours": 30, "done": 12},       # 2.5 hours a request
        {"hours": 0, "done": 0},         # nothing resolved: null
        {"hours": 5, "done": None},
    ], registry) == approx(2.5, None, None)


def test_resolution_time_from_durations(registry):
    median = {"durations": "d"}
    mean = {"durations": "d", "statistic": "mean"}
    rows = [{"d": [1, 2, 100]}, {"d": [1, 2, 3, 10]}, {"d": [4]}, {"d": []}, {"d": None}]
    assert values("resolution_time", median, rows, registry) == approx(2, 2.5, 4, None, None)
    assert values("resolution_time", mean, rows, registry) == approx(103 / 3, 4, 4, None, None)
    cells = pl.DataFrame({"d": ["1;2;100", "1.5, 2.5", "[]"]})
    assert values("resolution_time", median, cells, registry) == approx(2, 2, None)
    assert scored("resolution_time", median, [{"d": [-1, 2]}], registry) == [
        {"value": None, "errors": ["resolution_time: -1.0 is a negative duration"]}]


def test_resolution_time_parameter_errors(registry):
    assert problems("resolution_time", {}, registry) == [
        "rs.yaml:4:5: indicators[0].params: 'total_time' is required",
        "rs.yaml:4:5: indicators[0].params: 'resolved' is required"]
    assert problems("resolution_time", {"durations": "d", "resolved": "r"}, registry) == [
        "rs.yaml:8:7: indicators[0].params.resolved: 'resolved' does not go with the other "
        "parameters given here ('durations'): the parameters come in alternative sets; keep one set"]
    assert problems("resolution_time", {"durations": "d", "statistic": "avg"}, registry) == [
        "rs.yaml:8:18: indicators[0].params.statistic: 'avg' is not one of ['median', 'mean']"]
    assert problems("resolution_time", {"total_time": "t", "resolved": "r",
                                        "statistic": "mean"}, registry) == [
        "rs.yaml:9:7: indicators[0].params.statistic: 'statistic' does not go with the other "
        "parameters given here ('total_time', 'resolved'): the parameters come in alternative sets; keep one set"]


# ----------------------------------------------------------------------------- revenue

def test_mrr(registry):
    fees = {"fees": "f"}
    assert values("mrr", fees, [{"f": [49, 199, 20]}, {"f": [0]}, {"f": []}, {"f": None}],
                  registry) == approx(268, 0, None, None)
    assert values("mrr", fees, pl.DataFrame({"f": ["49|199|20", "[]"]}),
                  registry) == approx(268, None)
    assert values("mrr", {"arpu": "a", "paying_users": "u"},
                  [{"a": 25, "u": 40}, {"a": 25, "u": 0}, {"a": None, "u": 3}],
                  registry) == approx(1000, 0, None)
    assert scored("mrr", fees, [{"f": [49, -5]}], registry) == [
        {"value": None, "errors": ["mrr: -5.0 is a negative fee"]}]


def test_arr(registry):
    assert values("arr", {"mrr": "m"}, [{"m": 1000}, {"m": 0}, {"m": None}],
                  registry) == approx(12000, 0, None)
    assert values("arr", {"fees": "f"}, [{"f": [49, 199, 20]}, {"f": []}],
                  registry) == approx(3216, None)
    assert values("arr", {"arpu": "a", "paying_users": "u"}, [{"a": 25, "u": 40}],
                  registry) == approx(12000)
    assert scored("arr", {"fees": "f"}, [{"f": [-1]}], registry) == [
        {"value": None, "errors": ["arr: -1.0 is a negative fee"]}]


def test_mrr_and_arr_parameter_errors(registry):
    assert problems("mrr", {}, registry) == [
        "rs.yaml:4:5: indicators[0].params: 'arpu' is required",
        "rs.yaml:4:5: indicators[0].params: 'paying_users' is required"]
    assert problems("mrr", {"fees": "f", "arpu": "a"}, registry) == [
        "rs.yaml:8:7: indicators[0].params.arpu: 'arpu' does not go with the other "
        "parameters given here ('fees'): the parameters come in alternative sets; keep one set"]
    assert problems("arr", {"mrr": "m", "fees": "f"}, registry) == [
        "rs.yaml:8:7: indicators[0].params.fees: 'fees' does not go with the other "
        "parameters given here ('mrr'): the parameters come in alternative sets; keep one set"]
    assert problems("arr", {"arpu": "a"}, registry) == [
        "rs.yaml:7:7: indicators[0].params: 'paying_users' is required"]


NRR = {"start_mrr": "s", "expansion": "e", "contraction": "c", "churned": "x"}


def test_nrr(registry):
    assert values("nrr", NRR, [
        {"s": 10000, "e": 2000, "c": 500, "x": 1000},   # 100 x 10,500 / 10,000 = 105
        {"s": 10000, "e": 0, "c": 0, "x": 0},           # 100
        {"s": 1000, "e": 0, "c": 0, "x": 1000},         # all lost: 0
        {"s": 0, "e": 100, "c": 0, "x": 0},             # no revenue at the start: null
        {"s": 1000, "e": None, "c": 0, "x": 0},         # missing: null
    ], registry) == approx(105, 100, 0, None, None)
    assert scored("nrr", NRR, [{"s": 1000, "e": 0, "c": 500, "x": 1000}], registry) == [
        {"value": None,
         "errors": ["nrr: contraction + churned (1500.0) is more than start_mrr (1000.0)"]}]


def test_nrr_parameter_errors(registry):
    assert problems("nrr", {"start_mrr": "s", "expansion": "e", "contraction": "c"},
                    registry) == ["rs.yaml:7:7: indicators[0].params: 'churned' is required"]


def test_clv_by_purchases(registry):
    params = {"method": "purchases", "average_value": "v", "frequency": "f", "lifespan": "l"}
    # $100 monthly (12 purchases a year) for 5 years: 6,000
    assert values("clv", params, [{"v": 100, "f": 12, "l": 5}, {"v": 100, "f": 12, "l": None}],
                  registry) == approx(6000, None)


def test_clv_by_margin(registry):
    params = {"method": "margin", "arpu": "a", "margin": "m", "contract_length": "n"}
    # 500 a month at an 80 % gross margin over 24 months: 9,600
    assert values("clv", params, [{"a": 500, "m": 80, "n": 24}, {"a": 500, "m": 0, "n": 24}],
                  registry) == approx(9600, 0)
    assert scored("clv", params, [{"a": 500, "m": 120, "n": 24}], registry) == [
        {"value": None, "errors": ["clv: margin (120.0) is more than 100 %"]}]


def test_clv_by_churn(registry):
    params = {"method": "churn", "arpu": "a", "churn_rate": "c"}
    # a 2 % monthly churn: customers stay 50 months, so CLV = 50 x ARPU
    arpus = [200, 49.5, 1]
    assert values("clv", params, [{"a": a, "c": 2} for a in arpus],
                  registry) == approx(*(50 * a for a in arpus))
    assert values("clv", params, [{"a": 200, "c": 100}, {"a": 200, "c": 0}],
                  registry) == approx(200, None)
    assert scored("clv", params, [{"a": 200, "c": 150}], registry) == [
        {"value": None, "errors": ["clv: churn_rate (150.0) is more than 100 %"]}]


def test_clv_parameter_errors(registry):
    assert problems("clv", {"arpu": "a"}, registry) == [
        "rs.yaml:7:7: indicators[0].params: 'method' is required"]
    assert problems("clv", {"method": "ltv"}, registry) == [
        "rs.yaml:7:15: indicators[0].params.method: 'ltv' is not one of "
        "['purchases', 'margin', 'churn']"]
    assert problems("clv", {"method": "churn", "arpu": "a"}, registry) == [
        "rs.yaml:7:7: indicators[0].params: 'churn_rate' is required"]
    assert problems("clv", {"method": "churn", "arpu": "a", "churn_rate": "c",
                            "lifespan": "l"}, registry) == [
        "rs.yaml:10:7: indicators[0].params.lifespan: 'lifespan' does not go with the other "
        "parameters given here ('method', 'arpu', 'churn_rate'): the parameters come in alternative sets; keep one set"]
    assert problems("clv", {"method": "purchases", "average_value": "v", "frequency": "f"},
                    registry) == ["rs.yaml:7:7: indicators[0].params: 'lifespan' is required"]


def test_crc(registry):
    params = {"retention_costs": "spent", "active_customers": "n"}
    assert values("crc", params, [{"spent": 12000, "n": 40}, {"spent": 500, "n": 0},
                                  {"spent": None, "n": 4}], registry) == approx(300, None, None)


# ----------------------------------------------------------------------------- usage

def test_trend(registry):
    params = {"field": "now", "previous": "before"}
    assert values("trend", params, [
        {"now": 74, "before": 80},       # -7.5 %
        {"now": 120, "before": 100},     # +20 %
        {"now": 0, "before": 10},        # -100 %
        {"now": -10, "before": -20},     # from -20 to -10: +50 %, an improvement
        {"now": 5, "before": 0},         # no baseline: null
        {"now": None, "before": 3},
    ], registry) == approx(-7.5, 20, -100, 50, None, None)
    assert problems("trend", {"field": "now"}, registry) == [
        "rs.yaml:7:7: indicators[0].params: 'previous' is required"]


def test_count(registry):
    assert values("count", {"field": "referrals"}, [{"referrals": 3}, {"referrals": 0},
                                                    {"referrals": None}],
                  registry) == approx(3, 0, None)
    assert values("count", {"field": "tickets", "per": "seats"},
                  [{"tickets": 12, "seats": 40}, {"tickets": 3, "seats": 0}],
                  registry) == approx(0.3, None)
    assert values("count", {"field": "late"}, pl.DataFrame({"late": ["2", " 0 ", ""]}),
                  registry) == approx(2, 0, None)
    assert scored("count", {"field": "late"}, [{"late": -1}], registry) == [
        {"value": None,
         "errors": ["field 'late': -1 is not a valid count (a number, 0 or more)"]}]
    assert problems("count", {"per": "seats"}, registry) == [
        "rs.yaml:7:7: indicators[0].params: 'field' is required"]


# ----------------------------------------------------------------------------- all of them

GENERIC = {"field": {"field": "a"}, "ratio": {"numerator": "a", "denominator": "b"},
           "expression": {"expr": "a / b * 100"}}


def test_the_generic_metrics_keep_their_parameter_names(registry):
    rows = [{"a": 3, "b": 4}, {"a": 3, "b": 0}]
    assert values("field", GENERIC["field"], rows, registry) == approx(3, 3)
    assert values("ratio", GENERIC["ratio"], rows, registry) == approx(0.75, None)
    assert values("expression", GENERIC["expression"], rows, registry) == approx(75, None)


EVERY = {
    **GENERIC, "nps": NPS_COUNTS, "nps_list": {"responses": "a"}, "csat": {},
    "csat_list": {"responses": "a"}, "churn_rate": {"lost": "a", "at_start": "b"},
    "renewal_rate": {"renewed": "a", "eligible": "b"},
    "fcr": {"first_contact": "a", "tickets": "b"},
    "resolution_time": {"total_time": "a", "resolved": "b"},
    "resolution_time_list": {"durations": "a"}, "mrr": {"fees": "a"},
    "arr": {"arpu": "a", "paying_users": "b"}, "nrr": NRR,
    "clv": {"method": "churn", "arpu": "a", "churn_rate": "b"},
    "crc": {"retention_costs": "a", "active_customers": "b"},
    "adoption": {"used": "a", "available": "b"}, "trend": {"field": "a", "previous": "b"},
    "count": {"field": "a", "per": "b"},
}


@pytest.mark.parametrize("case", sorted(EVERY))
def test_missing_inputs_give_null_never_an_exception(case, registry):
    metric = case.removesuffix("_list")
    results = healthcore.score(load(metric, EVERY[case], registry), 
        [{"account_id": "x", "other": 1}, {"account_id": "y", "other": 2}])
    assert [r["indicators"]["m"]["value"] for r in results.to_records()] == [None, None]
    assert all(r["status"] == "error" for r in results.to_records())


def test_the_documented_examples_load(registry):
    """The indicator snippets of the Built-in metrics section of docs/rulesets.md."""
    text = (REPO / "docs" / "rulesets.md").read_text(encoding="utf-8")
    section = text[text.index("## Built-in metrics"):text.index("\n## ", text.index(
        "## Built-in metrics") + 1)]
    snippets = re.findall(r"^```yaml\n(  - id:.*?)^```", section, re.MULTILINE | re.DOTALL)
    assert len(snippets) >= 15
    for snippet in snippets:
        loads_ruleset("healthcore: 1\nname: t\nindicators:\n" + snippet
                      + "tiers:\n  - {name: all, min: 0}\n", "docs", registry=registry)


def test_every_builtin_parameter_schema_is_valid_json_schema(registry):
    # checked here, not at each run; other plugins' schemas are checked when first used
    from jsonschema import Draft202012Validator

    from healthcore.plugin.registry import BUILTIN_PLUGINS

    builtin = [m for m in registry.metrics.values() if m.plugin in BUILTIN_PLUGINS]
    assert len(builtin) >= 17
    for metric in builtin:
        Draft202012Validator.check_schema(dict(metric.parameters))
