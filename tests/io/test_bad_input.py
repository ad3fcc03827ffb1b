"""Messy accounts and faulty metrics: every account still comes out, with a clear message."""

from __future__ import annotations

import healthcore
import json
import os
import textwrap
from functools import partial

import polars as pl
import pytest
from click.testing import CliRunner

from helpers import REPO, SAAS, ruleset
from healthcore import InputError
from healthcore.cli.main import main
from healthcore.plugin.registry import load_registry


compile_ruleset = partial(ruleset, tiers="tiers:\n  - {name: ok, min: 50}\n  - {name: low, min: 0}\n")


FIELD_A = """
indicators:
  - id: a
    metric: field
    params: {field: a}
    normalize: {linear: {worst: 0, best: 10}}
    weight: 1
"""


def test_missing_text_and_boolean_columns_leave_conditions_unfired(builtin_registry):
    ruleset = compile_ruleset(FIELD_A + """
actions:
  - id: left
    when: champion_left
    points: -10
  - id: gold
    when: plan in ('gold', 'platinum')
    points: 5
""", builtin_registry)
    results = healthcore.score(ruleset, [{"account_id": "x", "a": 5}])
    record = results.to_records()[0]
    assert record["score"] == 50.0 and record["actions"] == []
    assert record["errors"] == ["field 'champion_left' is not in the input",
                                "field 'plan' is not in the input"]
    assert len(results.warnings) == 2


def test_empty_accounts_file_gives_empty_results(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    result = CliRunner().invoke(main, ["evaluate", SAAS, str(empty), "-f", "json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_a_parameter_shadowed_by_a_column_is_an_error(builtin_registry):
    ruleset = compile_ruleset("parameters: {late_days: 30}\n" + FIELD_A + """
actions:
  - id: late
    when: days > late_days
    points: -10
""", builtin_registry)
    with pytest.raises(InputError, match="'late_days' is both a parameter of the ruleset and "
                                         "a field of the accounts"):
        healthcore.score(ruleset, [{"account_id": "x", "a": 5, "days": 40, "late_days": 50}])


def test_a_metric_failing_inside_the_query_is_named_and_the_rest_scores(tmp_path, monkeypatch):
    (tmp_path / "broken_vendor.py").write_text(textwrap.dedent('''
        import polars as pl
        from healthcore import Metric, hookimpl

        @hookimpl
        def healthcore_register_metrics(register):
            register(Metric("vendor_index", "reads a column nobody has",
                            lambda inputs, params: pl.col("vendor_secret") * 2))
    '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = load_registry(["broken_vendor"], entry_point_plugins=False)
    ruleset = compile_ruleset(FIELD_A + """
  - id: vendor
    metric: vendor_index
    normalize: {linear: {worst: 0, best: 10}}
    weight: 1
""", registry)
    results = healthcore.score(ruleset, [{"account_id": "x", "a": 5}, {"account_id": "y", "a": 10}])
    x, y = results.to_records()
    assert (x["score"], y["score"]) == (50.0, 100.0)
    message = x["errors"][0]
    assert message.startswith("metric 'vendor_index' (plugin broken_vendor) of indicator "
                              "'vendor' failed on this batch: ColumnNotFoundError")
    assert message.endswith("the indicator is left out")
    label = "metric 'vendor_index' (plugin broken_vendor) of indicator 'vendor'"
    assert results.warnings == [
        f"{label} failed for 2 of 2 accounts; the indicator is left out for them (see the "
        f"errors column); first error: it {message.removeprefix(label + ' ')}"
        .removesuffix("; the indicator is left out")]


def test_a_value_below_every_band_is_reported(builtin_registry):
    ruleset = compile_ruleset("""
indicators:
  - id: usage
    metric: field
    params: {field: u}
    normalize: {bands: [{min: 0.8, points: 100}, {min: 0.5, points: 60}]}
    weight: 1
  - id: a
    metric: field
    params: {field: a}
    normalize: {linear: {worst: 0, best: 10}}
    weight: 1
""", builtin_registry)
    record = healthcore.score(ruleset, [{"account_id": "x", "u": 0.2, "a": 10}]).to_records()[0]
    assert record["score"] == 100.0
    assert record["errors"] == ["indicator 'usage': the value 0.2 gets no points from its "
                                "normalizer (bands (>= 0.8: 100, >= 0.5: 60)); it is left out"]


def test_lower_is_better_never_gives_negative_zero(builtin_registry):
    ruleset = compile_ruleset(FIELD_A.replace("{worst: 0, best: 10}", "{worst: 10, best: 0}"),
                              builtin_registry)
    frame = healthcore.score(ruleset, [{"account_id": "x", "a": 10}]).frame
    assert str(frame["a.points"][0]) == "0.0" and str(frame["score"][0]) == "0.0"


def test_integer_ids_from_json_stay_integers(tmp_path):
    path = tmp_path / "a.json"
    path.write_text(json.dumps([{"account_id": 17, "seats": 10, "active_users_30d": 9}]))
    result = CliRunner().invoke(main, ["evaluate", SAAS, str(path), "-f", "json"])
    assert json.loads(result.stdout)[0]["account_id"] == 17


def test_output_files_get_ordinary_permissions(tmp_path):
    out = tmp_path / "scores.json"
    previous = os.umask(0o022)
    try:
        CliRunner().invoke(main, ["evaluate", SAAS, str(REPO / "rulesets" /
                                                        "saas-b2b.accounts.csv"), "-o", str(out)])
    finally:
        os.umask(previous)
    assert oct(out.stat().st_mode & 0o777) == oct(0o644)
    out.chmod(0o600)  # replacing a file keeps its permissions
    CliRunner().invoke(main, ["evaluate", SAAS, str(REPO / "rulesets" / "saas-b2b.accounts.csv"),
                              "-o", str(out)])
    assert oct(out.stat().st_mode & 0o777) == oct(0o600)


def test_lists_of_numbers_from_text_cells_and_lists(tmp_path, monkeypatch):
    (tmp_path / "list_metric.py").write_text(textwrap.dedent('''
        from healthcore import Metric, hookimpl

        @hookimpl
        def healthcore_register_metrics(register):
            register(Metric(
                "mean_of", "mean of a list", lambda inputs, params: inputs["values"].list.mean(),
                {"type": "object", "properties": {"values": {"type": "string"}},
                 "required": ["values"]},
                {"values": "numbers"}))
    '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    ruleset = compile_ruleset("""
indicators:
  - id: m
    metric: mean_of
    params: {values: r}
    normalize: {linear: {worst: 0, best: 10}}
    weight: 1
""", load_registry(["list_metric"], entry_point_plugins=False))
    import polars as pl
    from_text = healthcore.score(ruleset, pl.DataFrame({
        "account_id": ["semicolons", "json", "pipes", "wrong", "blank", "empty"],
        "r": ["9;10;8", "[4, 6]", "1|2|3", "9;x", "", "[]"]})).to_records()
    assert [r["indicators"]["m"]["value"] for r in from_text] == [9.0, 5.0, 2.0, None, None,
                                                                  None]
    assert from_text[3]["errors"][0] == "field 'r': '9;x' is not a list of numbers"
    from_lists = healthcore.score(ruleset, [{"account_id": "a", "r": [10, None, 8]},
                                {"account_id": "b", "r": [float("nan"), 1.0]}]).to_records()
    assert from_lists[0]["indicators"]["m"]["value"] == 9.0
    assert from_lists[1]["errors"][0] == "field 'r': NaN, 1.0 is not a list of numbers"


def test_a_bad_value_read_two_ways_is_reported_once(builtin_registry):
    ruleset = compile_ruleset("""
indicators:
  - {id: b, metric: count, params: {field: breaches},
     normalize: {linear: {worst: 5, best: 0}}, weight: 1}
  - {id: a, metric: field, params: {field: a}, normalize: {linear: {worst: 0, best: 10}},
     weight: 1}
actions:
  - {id: many, when: breaches > 3, points: -10}
""", builtin_registry)
    record = healthcore.score(ruleset, [{"account_id": "x", "breaches": "n/a", "a": 10}]).to_records()[0]
    # read as a count by the metric and as a number by the action: one message
    assert record["errors"] == [
        "field 'breaches': 'n/a' is not a valid count (a number, 0 or more)"]


def test_spaces_around_text_values_are_ignored(builtin_registry):
    ruleset = compile_ruleset(FIELD_A + """
actions:
  - {id: gold, when: "plan == 'gold'", points: 10}
""", builtin_registry)
    results = healthcore.score(ruleset, [{"account_id": "x", "a": 5, "plan": " gold "},
                             {"account_id": "y", "a": 5, "plan": "golden"}])
    assert [r["score"] for r in results.to_records()] == [60.0, 50.0]


def test_unknown_metric_says_when_installed_plugins_are_off():
    from healthcore import RulesetError

    with pytest.raises(RulesetError, match=r"unknown metric 'dunning_stage' \(installed plugins "
                                           r"are not loaded: HEALTHCORE_DISABLE_PLUGINS is set\)"):
        compile_ruleset("""
indicators:
  - {id: d, metric: dunning_stage, normalize: {linear: {worst: 0, best: 4}}, weight: 1}
""", load_registry(entry_point_plugins=False))


def test_a_typo_in_a_field_name_is_pointed_out(builtin_registry):
    ruleset = compile_ruleset(FIELD_A.replace("params: {field: a}", "params: {field: seets}"),
                              builtin_registry)
    results = healthcore.score(ruleset, [{"account_id": "x", "seats": 5}])
    assert results.warnings == ["field 'seets' is not in the input (did you mean 'seats'?): the "
                                "indicators and actions reading it have no value for any account"]


EXPECTED = "accounts must be a table or a list of mappings (one per account)"


@pytest.mark.parametrize("accounts, message", [
    (None, f"{EXPECTED}, not NoneType"),
    (5, f"{EXPECTED}, not int"),
    ("A1,5", f"{EXPECTED}, not str"),
    ({"account_id": "A1", "a": 5}, f"{EXPECTED}; for one account, give a list of one: [account]"),
    ([{"account_id": "A1", "a": 5}, 7], f"{EXPECTED}: account 2 is int"),
    ([{"account_id": "A1", 1: 5}], "account 1: the field name 1 is not text"),
    ([{"account_id": "A1"}, {"account_id": "A2", None: 5}],
     "account 2: the field name None is not text"),
    (pl.LazyFrame({"a": ["x"]}).select(pl.col("a").cast(pl.Int64)),
     "the accounts' query failed: InvalidOperationError: conversion from `str` to `i64` failed "
     "in column 'a' for 1 out of 1 values: [\"x\"]"),
])
def test_the_python_api_says_what_is_wrong_with_the_accounts_given(accounts, message,
                                                                   builtin_registry):
    ruleset = compile_ruleset(FIELD_A, builtin_registry)
    with pytest.raises(InputError) as raised:
        healthcore.score(ruleset, accounts)
    assert str(raised.value) == message


def test_the_python_api_takes_a_generator_of_accounts(builtin_registry):
    ruleset = compile_ruleset(FIELD_A, builtin_registry)
    accounts = ({"account_id": f"A{k}", "a": k} for k in range(3))
    assert [r["account_id"] for r in healthcore.score(ruleset, accounts).to_records()] == ["A0", "A1", "A2"]
