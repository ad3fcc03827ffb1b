"""Plugin faults are contained: a metric that raises, or gives something other than one finite
number (or null) per account, is named with its plugin; its indicator is null with an error and
the others still score. With strict mode (``strict=True``, ``evaluate --strict``) the run stops
at the fault instead, with exit code 1 and nothing written.

The faulty plugin is a real module on ``sys.path`` loaded through ``--plugin``, as a third
party's would be; nothing is mocked.
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner

from healthcore import loads_ruleset
from healthcore.cli import EXIT_OK, EXIT_UNSCORED, main
from healthcore import MetricError
from healthcore.plugins import Registry, load_registry

PLUGIN = "hc_faulty_vendor"
PLUGIN_SOURCE = '''
import polars as pl
from healthcore import Computed, Metric, hookimpl

SCHEMA = {"type": "object", "properties": {
    "x": {"type": "string", "default": "x", "description": "the field read"}}}

VECTORIZED = {
    "raises": lambda inputs, params: 1 / 0,
    "gives_none": lambda inputs, params: None,
    "gives_list": lambda inputs, params: [1.0, 2.0],
    "gives_float": lambda inputs, params: 5.0,
    "gives_text_column": lambda inputs, params: pl.lit("high"),
    "gives_list_column": lambda inputs, params: pl.concat_list([inputs["x"], inputs["x"]]),
    "gives_two_rows": lambda inputs, params: inputs["x"].head(2),
    "gives_nan_above_4": lambda inputs, params: (
        pl.when(inputs["x"] > 4).then(float("nan")).otherwise(inputs["x"])),
    "gives_inf": lambda inputs, params: inputs["x"] / 0.0,
    "gives_bad_invalid": lambda inputs, params: Computed(inputs["x"], "yes"),
}


def one_account_raises(values, params):
    if values["x"] == 2:
        raise LookupError("no usage data for this account")
    return values["x"]


PER_ACCOUNT = {
    "per_account_raises": one_account_raises,
    "per_account_gives_text": lambda values, params: "high",
    "per_account_gives_nan": lambda values, params: float("nan"),
    "per_account_gives_huge_int": lambda values, params: 10 ** 400,
}


@hookimpl
def healthcore_register_metrics(register):
    for name, compute in VECTORIZED.items():
        register(Metric(name, name, compute, SCHEMA, {"x": "number"}))
    for name, compute in PER_ACCOUNT.items():
        register(Metric(name, name, compute, SCHEMA, {"x": "number"}, per_account=True))
'''

# 'good' reads x on 0..10; 'bad' is the faulty metric with the same weight and normalizer.
RULESET = """\
healthcore: 1
name: faults
indicators:
  - {id: good, metric: field, params: {field: x}, normalize: {linear: {worst: 0, best: 10}},
     weight: 1}
  - {id: bad, metric: METRIC, normalize: {linear: {worst: 0, best: 10}}, weight: 1}
tiers:
  - {name: healthy, min: 50}
  - {name: unhealthy, min: 0}
"""
ACCOUNTS = [{"account_id": "a", "x": 5}, {"account_id": "b", "x": 2},
            {"account_id": "c", "x": 10}]
GOOD_ONLY = [50.0, 20.0, 100.0]  # the faulty indicator left out: 'good' alone


def label(metric: str) -> str:
    return f"metric '{metric}' (plugin {PLUGIN}) of indicator 'bad'"


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A directory on sys.path holding the faulty plugin module."""
    root = tmp_path_factory.mktemp("faulty_plugin")
    (root / f"{PLUGIN}.py").write_text(textwrap.dedent(PLUGIN_SOURCE))
    sys.path.insert(0, str(root))
    yield root
    sys.path.remove(str(root))
    sys.modules.pop(PLUGIN, None)


@pytest.fixture(scope="module")
def registry(plugin_path: Path) -> Registry:
    return load_registry([PLUGIN], entry_point_plugins=False)


def score(registry: Registry, metric: str, *, strict: bool = False) -> list[dict]:
    ruleset = loads_ruleset(RULESET.replace("METRIC", metric), "faults.yaml",
                            registry=registry)
    return ruleset.score(ACCOUNTS, explain=True, strict=strict).to_records()


WHOLE_BATCH_FAULTS = {  # metric -> the message on every account
    "raises": "failed: ZeroDivisionError: division by zero",
    "gives_none": "returned None, not a polars expression",
    "gives_list": "returned [1.0, 2.0], not a polars expression",
    "gives_float": "returned 5.0, not a polars expression",
    "gives_bad_invalid": "returned 'yes', not a polars expression",
    "gives_two_rows": "failed on this batch: ShapeError: it gave a column whose length is not "
                      "the number of accounts",
}


@pytest.mark.parametrize("metric", sorted(WHOLE_BATCH_FAULTS))
def test_a_metric_fault_on_the_whole_batch_is_named_and_the_rest_scores(registry, metric):
    records = score(registry, metric)
    message = f"{label(metric)} {WHOLE_BATCH_FAULTS[metric]}; the indicator is left out"
    assert [r["score"] for r in records] == GOOD_ONLY
    assert [r["status"] for r in records] == ["ok", "ok", "ok"]
    for record in records:
        assert record["indicators"]["bad"]["value"] is None
        assert record["errors"] == [message]


@pytest.mark.parametrize("metric,polars_error", [
    ("gives_text_column", "InvalidOperationError: conversion from `str` to `f64` failed"),
    ("gives_list_column", "InvalidOperationError: cannot cast List type"),
])
def test_a_metric_giving_a_column_of_the_wrong_type_is_named(registry, metric, polars_error):
    records = score(registry, metric)
    assert [r["score"] for r in records] == GOOD_ONLY
    for record in records:
        [error] = record["errors"]
        assert error.startswith(f"{label(metric)} failed on this batch: {polars_error}")
        assert error.endswith("; the indicator is left out")


def test_nan_from_a_metric_drops_the_indicator_only_where_it_happens(registry):
    a, b, c = score(registry, "gives_nan_above_4")
    # b: x = 2 gives 2 -> 20 points, as 'good' does: (20 + 20) / 2
    assert (a["score"], b["score"], c["score"]) == (50.0, 20.0, 100.0)
    assert b["indicators"]["bad"] == {"value": 2.0, "points": 20.0, "weight": 1.0,
                                      "contribution": 10.0}
    assert b["errors"] == []
    for record in (a, c):
        assert record["indicators"]["bad"]["value"] is None
        assert record["errors"] == [f"{label('gives_nan_above_4')} gave NaN; the indicator is "
                                    "left out"]


def test_infinity_from_a_metric_is_never_a_score(registry):
    records = score(registry, "gives_inf")
    assert [r["score"] for r in records] == GOOD_ONLY
    assert [r["errors"] for r in records] == [
        [f"{label('gives_inf')} gave inf; the indicator is left out"]] * 3


def test_a_per_account_metric_raising_for_one_account_spares_the_others(registry):
    a, b, c = score(registry, "per_account_raises")
    assert (a["score"], b["score"], c["score"]) == (50.0, 20.0, 100.0)
    assert a["errors"] == c["errors"] == []
    assert a["indicators"]["bad"]["value"] == 5.0
    assert b["errors"] == [f"{label('per_account_raises')} raised LookupError: "
                           "no usage data for this account"]


@pytest.mark.parametrize("metric,problem", [
    ("per_account_gives_text", "returned 'high', not a number"),
    ("per_account_gives_nan", "gave nan"),
    ("per_account_gives_huge_int", "gave inf"),
])
def test_a_per_account_metric_giving_no_number_is_named(registry, metric, problem):
    records = score(registry, metric)
    assert [r["score"] for r in records] == GOOD_ONLY
    assert [r["errors"] for r in records] == [[f"{label(metric)} {problem}"]] * 3


STRICT_MESSAGES = {
    **{metric: f"{label(metric)} {text}" for metric, text in WHOLE_BATCH_FAULTS.items()},
    "gives_nan_above_4": f"{label('gives_nan_above_4')} gave nan for 2 accounts",
    "gives_inf": f"{label('gives_inf')} gave inf for 3 accounts",
    "per_account_raises": f"{label('per_account_raises')} raised LookupError: "
                          "no usage data for this account",
    "per_account_gives_text": f"{label('per_account_gives_text')} returned 'high', not a number",
    "per_account_gives_nan": f"{label('per_account_gives_nan')} gave nan",
}


@pytest.mark.parametrize("metric", sorted(STRICT_MESSAGES))
def test_strict_mode_stops_at_the_fault_naming_plugin_and_metric(registry, metric):
    with pytest.raises(MetricError) as caught:
        score(registry, metric, strict=True)
    assert str(caught.value) == f"{STRICT_MESSAGES[metric]}; the run stopped (strict mode)"


def test_strict_mode_changes_nothing_without_a_fault(registry):
    ruleset = loads_ruleset(RULESET.replace("METRIC", "field, params: {field: x}"),
                            "faults.yaml", registry=registry)
    strict = ruleset.score(ACCOUNTS, explain=True, strict=True).to_records()
    assert strict == ruleset.score(ACCOUNTS, explain=True).to_records()
    assert [r["score"] for r in strict] == [50.0, 20.0, 100.0]


@pytest.fixture
def files(tmp_path: Path, plugin_path: Path) -> dict[str, Path]:
    ruleset = tmp_path / "faults.yaml"
    ruleset.write_text(RULESET.replace("METRIC", "raises"))
    accounts = tmp_path / "accounts.json"
    accounts.write_text(json.dumps(ACCOUNTS))
    output = tmp_path / "scores.json"
    output.write_text("previous results")
    return {"ruleset": ruleset, "accounts": accounts, "output": output}


def evaluate(files: dict[str, Path], *extra: str):
    return CliRunner().invoke(main, ["evaluate", str(files["ruleset"]), str(files["accounts"]),
                                     "-o", str(files["output"]), "--plugin", PLUGIN, *extra])


def test_cli_without_strict_scores_the_others_and_warns(files):
    result = evaluate(files)
    assert result.exit_code == EXIT_OK, result.output
    assert [r["score"] for r in json.loads(files["output"].read_text())] == GOOD_ONLY


def test_cli_strict_exits_1_naming_plugin_and_metric_and_writes_nothing(files):
    result = evaluate(files, "--strict")
    assert result.exit_code == EXIT_UNSCORED
    assert result.stderr == (f"error: {label('raises')} failed: ZeroDivisionError: division by "
                             "zero; the run stopped (strict mode)\n")
    assert files["output"].read_text() == "previous results"
