"""Tests of healthcore-billing, written with healthcore's plugin kit (healthcore.plugin.testing).

Run them with ``python -m pytest`` from this distribution's directory, or as part of
healthcore's own suite. The entry-point tests need the distribution installed
(``pip install -e './plugins/healthcore-billing[test]'``); the others load the module directly.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import healthcore
from healthcore.cli.main import main
from healthcore.plugin.registry import DISABLE_ENV, default_registry
from healthcore.plugin.testing import MetricKit, check_function, plugin_registry

from healthcore_billing import DAYS_PER_MONTH, DEFAULT_STAGES, METRICS

README = Path(__file__).resolve().parent.parent / "README.md"
MODULE = "healthcore_billing"
ENTRY_POINT = "billing"


@pytest.fixture(scope="module")
def dunning() -> MetricKit:
    return MetricKit("dunning_stage", module=MODULE)


@pytest.fixture(scope="module")
def reliability() -> MetricKit:
    return MetricKit("payment_reliability", module=MODULE)


# ------------------------------------------------------------------------- found

@pytest.mark.parametrize("name", [metric.name for metric in METRICS])
def test_each_metric_is_found_through_the_entry_point(name: str) -> None:
    kit = MetricKit(name, entry_point=ENTRY_POINT)
    assert kit.metric.plugin == ENTRY_POINT
    assert kit.metric.summary and kit.metric.description


@pytest.mark.parametrize("name", [metric.name for metric in METRICS])
def test_each_metric_is_found_in_the_module(name: str) -> None:
    assert MetricKit(name, module=MODULE).metric.plugin == MODULE


def test_the_plugin_loads_without_problems_and_registers_its_function() -> None:
    registry = plugin_registry(entry_point=ENTRY_POINT)
    assert registry.functions["days_to_months"].plugin == ENTRY_POINT
    assert {name for name, metric in registry.metrics.items() if metric.plugin == ENTRY_POINT} \
        == {"dunning_stage", "payment_reliability"}


def test_healthcore_plugins_lists_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DISABLE_ENV, raising=False)
    default_registry.cache_clear()
    try:
        result = CliRunner().invoke(main, ["plugins"])
    finally:
        default_registry.cache_clear()
    assert result.exit_code == 0, result.output
    assert re.search(r"^  billing \S+ \(entry point\)$", result.output, re.MULTILINE)
    assert "  payment_reliability: percentage of payments made on time" in result.output
    assert "      min_payments (integer, default 1): fewest payments" in result.output


# --------------------------------------------------------------- the parameter schemas

def test_dunning_stage_accepts_a_business_calendar_and_fills_defaults(dunning) -> None:
    assert dunning.accepts({}) == {"days_overdue": "days_invoice_overdue",
                                   "stages": list(DEFAULT_STAGES)}
    assert dunning.accepts({"stages": [90, 0, 30]}) == {"days_overdue": "days_invoice_overdue",
                                                        "stages": [90, 0, 30]}


@pytest.mark.parametrize(("params", "messages"), [
    ({"stages": []}, ["params.stages: [] should be non-empty"]),
    ({"stages": [0, -5]}, ["params.stages[1]: -5 is less than the minimum of 0"]),
    ({"stages": [15, 15]}, ["params.stages: [15, 15] has non-unique elements"]),
    ({"stages": "monthly"}, ["params.stages: 'monthly' is not of type 'array'"]),
    ({"stage": [0, 30]}, ["params.stage: unknown key 'stage' (did you mean 'stages'?)"]),
    ({"days_overdue": ""}, ["params.days_overdue: '' should be non-empty"]),
])
def test_dunning_stage_rejects_bad_parameters_with_healthcore_messages(
        dunning, params, messages) -> None:
    dunning.rejects(params, *messages)


def test_payment_reliability_parameters(reliability) -> None:
    assert reliability.accepts({"min_payments": 3})["min_payments"] == 3
    assert reliability.accepts({})["min_payments"] == 1
    reliability.rejects({"min_payments": 0},
                        "params.min_payments: 0 is less than the minimum of 1")
    reliability.rejects({"min_payments": 2.5},
                        "params.min_payments: 2.5 is not of type 'integer'")
    reliability.rejects({"on_time": "paid_on_time", "lates": "paid_late"},
                        "params.lates: unknown key 'lates' (did you mean 'late'?)")


# ---------------------------------------------------------------------- computing

def test_dunning_stage_with_the_default_calendar(dunning) -> None:
    days = [0, 1, 15, 16, 30, 31, 60, 61, 400, None]
    dunning.assert_values([{"days_invoice_overdue": d} for d in days],
                          [0, 1, 1, 2, 2, 3, 3, 4, 4, None])


def test_dunning_stage_with_a_business_calendar_in_any_order(dunning) -> None:
    dunning.assert_values([{"overdue": d} for d in (0, 7, 8, 30, 31)], [0, 0, 1, 1, 2],
                          {"days_overdue": "overdue", "stages": [30, 7]})


@pytest.mark.parametrize("days", [-3, "soon"])
def test_dunning_stage_reports_a_value_that_is_not_a_count(dunning, days) -> None:
    accounts = [{"days_invoice_overdue": days}, {"days_invoice_overdue": 0}]
    dunning.assert_values(accounts, [None, 0])
    assert dunning.errors(accounts)[0][0] == (
        f"field 'days_invoice_overdue': {days!r} is not a valid count (a number, 0 or more)")


def test_payment_reliability(reliability) -> None:
    accounts = [{"on_time_payments": 9, "late_payments": 1},
                {"on_time_payments": 1, "late_payments": 1},
                {"on_time_payments": 0, "late_payments": 0},
                {"on_time_payments": 2, "late_payments": None}]
    reliability.assert_values(accounts, [90.0, 50.0, None, None])
    # a business that judges an account only after a quarter of monthly invoices
    reliability.assert_values(accounts, [90.0, None, None, None], {"min_payments": 3})


def test_days_to_months_batch_and_scalar_agree() -> None:
    rows = [(None,), (0.0,), (DAYS_PER_MONTH,), (365.25,), (-5.5,), (1e6,)]
    months = check_function("days_to_months", rows, module=MODULE)
    assert months[:4] == [None, 0.0, 1.0, 12.0]


# ------------------------------------------------------------------------ the README

def test_the_readme_ruleset_scores_as_the_readme_says() -> None:
    blocks = re.findall(r"^```yaml\n(.*?)^```", README.read_text(encoding="utf-8"),
                        re.MULTILINE | re.DOTALL)
    [text] = [block for block in blocks if block.startswith("healthcore: 1")]
    ruleset = healthcore.loads_ruleset(text, "README.md",
                                       registry=plugin_registry(module=MODULE))
    [record] = healthcore.score(ruleset, [{"account_id": "a1", "days_invoice_overdue": 20,
                               "on_time_payments": 9, "late_payments": 1,
                               "days_as_customer": 365.25}]).to_records()
    assert record["score"] == pytest.approx(59.0, abs=1e-9)
    assert record["tier"] == "at_risk"
