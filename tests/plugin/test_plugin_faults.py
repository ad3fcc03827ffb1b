"""Plugin faults are contained: a metric that raises, or gives something other than one finite
number (or null) per account, is named with its plugin; its indicator is null with an error and
the others still score. With strict mode (``strict=True``, ``evaluate --strict``) the run stops
at the fault instead, with exit code 1 and nothing written.

The faulty plugin is a real module on ``sys.path`` loaded through ``--plugin``, as a third
party's would be; nothing is mocked.
"""

from __future__ import annotations

import healthcore
import json
import sys
import textwrap
from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner

from healthcore import loads_ruleset
from healthcore.cli.main import EXIT_OK, EXIT_UNSCORED, main
from healthcore import MetricError
from healthcore.plugin.registry import Registry, load_registry

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
    # a single value, which polars would copy to every account
    "gives_sum": lambda inputs, params: inputs["x"].sum(),
    "gives_mean": lambda inputs, params: inputs["x"].mean(),
    "gives_first": lambda inputs, params: inputs["x"].first(),
    "gives_constant": lambda inputs, params: pl.lit(3.0),
    # columns that polars would cast to numbers
    "gives_booleans": lambda inputs, params: inputs["x"] > 4,
    "gives_digits": lambda inputs, params: inputs["x"].cast(pl.Int64).cast(pl.String),
    "flags_all_by_a_sum": lambda inputs, params: Computed(inputs["x"], inputs["x"].sum() > 10),
    "flags_with_numbers": lambda inputs, params: Computed(inputs["x"], inputs["x"] * 1.0),
    # a column of integers is numbers
    "gives_integers": lambda inputs, params: inputs["x"].cast(pl.Int64) * 2,
    # its own Python code, run by polars, raises on the third account only
    "python_raises_late": lambda inputs, params: inputs["x"].map_batches(
        above_8_raises, return_dtype=pl.Float64),
}


def above_8_raises(values):
    if (values > 8).any():
        raise ValueError("no index above 8")
    return values


def one_account_raises(values, params):
    if values["x"] == 2:
        raise LookupError("no usage data for this account")
    return values["x"]


def flags_above_8(values, params):
    if values["x"] > 8:
        return Computed(None, True, f"per_account_computed: {values['x']} is above 8")
    return Computed(values["x"] * 10)


PER_ACCOUNT = {
    "per_account_raises": one_account_raises,
    "per_account_gives_text": lambda values, params: "high",
    "per_account_gives_nan": lambda values, params: float("nan"),
    "per_account_gives_huge_int": lambda values, params: 10 ** 400,
    "per_account_gives_bool": lambda values, params: values["x"] > 4,
    "per_account_gives_digits": lambda values, params: str(int(values["x"])),
    "per_account_computed": flags_above_8,
    "per_account_computed_no_problem": lambda values, params: Computed(1.0, values["x"] == 2),
    "per_account_bad_computed": lambda values, params: Computed(values["x"], "yes"),
    "per_account_computed_expression": lambda values, params: Computed(pl.lit(1.0)),
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
    return healthcore.score(ruleset, ACCOUNTS, explain=True, strict=strict).to_records()


WHOLE_BATCH_FAULTS = {  # metric -> the message on every account
    "raises": "failed: ZeroDivisionError: division by zero",
    "gives_none": "returned None, not a polars expression",
    "gives_list": "returned [1.0, 2.0], not a polars expression",
    "gives_float": "returned 5.0, not a polars expression",
    "gives_bad_invalid": "returned 'yes', not a polars expression",
    "gives_two_rows": "failed on this batch: ShapeError: it gave a column whose length is not "
                      "the number of accounts",
    **{metric: "gave one value for all the accounts (an aggregate such as sum() or mean(), or "
               "a constant), not one per account"
       for metric in ("gives_sum", "gives_mean", "gives_first", "gives_constant")},
    "gives_booleans": "gave true/false values (Boolean), not numbers; a metric that means 1 and "
                      "0 says so with .cast(pl.Float64)",
    "gives_digits": "gave text (String), not numbers; text is never read as a number",
    "gives_text_column": "gave text (String), not numbers; text is never read as a number",
    "gives_list_column": "gave values of type List(Float64), not numbers",
    "python_raises_late": "failed on this batch: ValueError: no index above 8",
    "flags_all_by_a_sum": "returned a Computed whose invalid gave one value for all the accounts "
                          "(an aggregate such as sum() or mean(), or a constant), not one per "
                          "account",
    "flags_with_numbers": "returned a Computed whose invalid gave Float64, not true/false",
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


@pytest.mark.parametrize("metric", ["gives_sum", "gives_booleans", "gives_digits"])
def test_a_single_value_or_a_cast_column_is_a_fault_whatever_the_batch(registry, metric):
    """A sum over one account is its own value, true is 1 and '5' is 5: the fault does not
    depend on the batch's size or values, so one account, or none, shows it too."""
    ruleset = loads_ruleset(RULESET.replace("METRIC", metric), "faults.yaml", registry=registry)
    [record] = healthcore.score(ruleset, ACCOUNTS[:1], explain=True).to_records()
    assert record["indicators"]["bad"]["value"] is None
    assert record["errors"] == [f"{label(metric)} {WHOLE_BATCH_FAULTS[metric]}; the indicator "
                                "is left out"]
    with pytest.raises(MetricError):
        healthcore.score(ruleset, ACCOUNTS[:1], strict=True)
    with pytest.raises(MetricError):
        healthcore.score(ruleset, [], strict=True)
    assert healthcore.score(ruleset, []).failures == []  # no account failed


@pytest.mark.parametrize("metric", ["gives_integers", "gives_sum"])
def test_a_constant_input_is_one_value_per_account(registry, metric):
    """A field missing from the input reaches the metric as one null that polars copies to
    every account: a metric keeping one value per account is sound, an aggregate is not."""
    ruleset = loads_ruleset(RULESET.replace("METRIC", metric), "faults.yaml", registry=registry)
    results = healthcore.score(ruleset, [{"account_id": "a", "y": 1}, {"account_id": "b", "y": 2}],
                            explain=True)
    if metric == "gives_integers":
        assert results.failures == []
        assert [r["errors"] for r in results.to_records()] == [[
            "field 'x' is not in the input",
            "no indicator has a value for this account, so it has no score"]] * 2
    else:
        assert [f.accounts for f in results.failures] == [2]


def test_a_column_of_integers_is_numbers(registry):
    records = score(registry, "gives_integers", strict=True)
    assert [r["indicators"]["bad"]["value"] for r in records] == [10.0, 4.0, 20.0]
    assert [r["errors"] for r in records] == [[], [], []]


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


PER_ACCOUNT_FAULTS = {
    "per_account_gives_text": "returned 'high', not a number",
    "per_account_gives_nan": "gave nan",
    "per_account_gives_huge_int": "gave inf",
    "per_account_bad_computed": "returned a Computed whose invalid is 'yes', not True, False "
                                "or None",
    "per_account_computed_expression": "returned a Computed whose value is a polars "
                                       "expression, not a number or None",
}


@pytest.mark.parametrize("metric,problem", [
    *PER_ACCOUNT_FAULTS.items(),
    ("per_account_gives_bool", "returned True, not a number"),
    ("per_account_gives_digits", "returned '5', not a number"),
])
def test_a_per_account_metric_giving_no_number_is_named(registry, metric, problem):
    records = score(registry, metric)
    assert [r["score"] for r in records] == GOOD_ONLY
    [first, *_] = [r["errors"] for r in records]
    assert first == [f"{label(metric)} {problem}"]
    assert all(r["indicators"]["bad"]["value"] is None and r["errors"] for r in records)


def test_a_per_account_metric_may_return_computed(registry):
    """As a vectorized metric does: where ``invalid`` is true the value is dropped and the
    problem is on the account; it is the data's fault, not the metric's: no warning, and a
    strict run goes on."""
    for strict in (False, True):
        results = healthcore.score(loads_ruleset(RULESET.replace("METRIC", "per_account_computed"),
                                "faults.yaml", registry=registry), 
            ACCOUNTS, explain=True, strict=strict)
        a, b, c = results.to_records()
        assert [r["indicators"]["bad"]["value"] for r in (a, b, c)] == [50.0, 20.0, None]
        assert [r["errors"] for r in (a, b, c)] == [[], [], ["per_account_computed: 10.0 is "
                                                             "above 8"]]
        assert c["score"] == 100.0  # 'good' alone
        assert results.warnings == [] and results.failures == []
    records = score(registry, "per_account_computed_no_problem")
    assert [r["errors"] for r in records] == [
        [], [f"{label('per_account_computed_no_problem')}: this account's data is not valid"],
        []]


STRICT_MESSAGES = {
    **{metric: f"{label(metric)} {text}" for metric, text in WHOLE_BATCH_FAULTS.items()},
    "gives_nan_above_4": f"{label('gives_nan_above_4')} gave nan for 2 accounts",
    "gives_inf": f"{label('gives_inf')} gave inf for 3 accounts",
    "per_account_raises": f"{label('per_account_raises')} raised LookupError: "
                          "no usage data for this account",
    "per_account_gives_text": f"{label('per_account_gives_text')} returned 'high', not a number",
    "per_account_gives_nan": f"{label('per_account_gives_nan')} gave nan",
    "per_account_gives_bool": f"{label('per_account_gives_bool')} returned True, not a number",
    "per_account_bad_computed": f"{label('per_account_bad_computed')} "
                                f"{PER_ACCOUNT_FAULTS['per_account_bad_computed']}",
}


@pytest.mark.parametrize("metric", sorted(STRICT_MESSAGES))
def test_strict_mode_stops_at_the_fault_naming_plugin_and_metric(registry, metric):
    with pytest.raises(MetricError) as caught:
        score(registry, metric, strict=True)
    assert str(caught.value) == f"{STRICT_MESSAGES[metric]}; the run stopped (strict mode)"


FAILURES = {  # metric -> (accounts it failed for, the first error) of the 3 accounts
    **{metric: (3, fault) for metric, fault in WHOLE_BATCH_FAULTS.items()},
    "gives_nan_above_4": (2, "gave NaN"),
    "gives_inf": (3, "gave inf"),
    "per_account_raises": (1, "raised LookupError: no usage data for this account"),
    "per_account_gives_bool": (3, "returned True, not a number"),  # and False
    **{metric: (3, fault) for metric, fault in PER_ACCOUNT_FAULTS.items()},
}


@pytest.mark.parametrize("metric", sorted(FAILURES))
def test_a_metric_failing_for_some_accounts_is_one_warning_with_the_count(registry, metric):
    accounts, first = FAILURES[metric]
    results = healthcore.score(loads_ruleset(RULESET.replace("METRIC", metric), "faults.yaml",
                            registry=registry), ACCOUNTS)
    them = "them" if accounts > 1 else "it"
    assert results.warnings == [
        f"{label(metric)} failed for {accounts} of 3 accounts; the indicator is left out for "
        f"{them} (see the errors column); first error: it {first}"]
    [failure] = results.failures
    assert (failure.indicator, failure.accounts, failure.total) == ("bad", accounts, 3)


def test_a_metric_giving_numbers_is_no_warning(registry):
    for metric in ("gives_integers", "per_account_computed"):
        results = healthcore.score(loads_ruleset(RULESET.replace("METRIC", metric), "faults.yaml",
                                registry=registry), ACCOUNTS)
        assert results.warnings == [] and results.failures == []


def test_strict_mode_changes_nothing_without_a_fault(registry):
    ruleset = loads_ruleset(RULESET.replace("METRIC", "field, params: {field: x}"),
                            "faults.yaml", registry=registry)
    strict = healthcore.score(ruleset, ACCOUNTS, explain=True, strict=True).to_records()
    assert strict == healthcore.score(ruleset, ACCOUNTS, explain=True).to_records()
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
    assert (f"warning: {label('raises')} failed for 3 of 3 accounts; the indicator is left out "
            "for them (see the errors column); first error: it failed: ZeroDivisionError: "
            "division by zero\n") in result.stderr


@pytest.mark.parametrize("metric", ["gives_sum", "gives_booleans", "gives_digits"])
def test_cli_strict_stops_at_a_single_value_or_a_cast_column(files, metric):
    files["ruleset"].write_text(RULESET.replace("METRIC", metric))
    result = evaluate(files, "--strict")
    assert result.exit_code == EXIT_UNSCORED
    assert result.stderr == (f"error: {label(metric)} {WHOLE_BATCH_FAULTS[metric]}; the run "
                             "stopped (strict mode)\n")
    assert files["output"].read_text() == "previous results"


def test_cli_strict_exits_1_naming_plugin_and_metric_and_writes_nothing(files):
    result = evaluate(files, "--strict")
    assert result.exit_code == EXIT_UNSCORED
    assert result.stderr == (f"error: {label('raises')} failed: ZeroDivisionError: division by "
                             "zero; the run stopped (strict mode)\n")
    assert files["output"].read_text() == "previous results"


@pytest.mark.parametrize("metric", ["gives_nan_above_4", "gives_inf", "raises",
                                    "python_raises_late", "gives_sum"])
def test_a_lazy_run_tells_the_same_faults_and_computes_the_same_columns(registry, metric):
    """A run that keeps no column (what ``healthcore evaluate`` streams to a file from) counts
    the same failures and warnings as one that keeps them all."""
    ruleset = loads_ruleset(RULESET.replace("METRIC", metric), "faults.yaml", registry=registry)
    eager = healthcore.score(ruleset, ACCOUNTS, explain=True)
    lazy = healthcore.score(ruleset, ACCOUNTS, lazy=True)
    assert lazy.warnings == eager.warnings and lazy.failures == eager.failures
    assert (lazy.tier_counts(), lazy.unscorable, len(lazy)) == (
        eager.tier_counts(), eager.unscorable, len(eager))
    assert lazy.lazy().collect().equals(eager.frame)


@pytest.mark.parametrize("metric", ["python_raises_late", "gives_nan_above_4"])
@pytest.mark.parametrize("fmt", ["csv", "parquet", "json"])
def test_a_lazy_run_written_first_leaves_the_faulty_metric_out_as_an_eager_one(
        registry, metric, fmt, tmp_path):
    """The file is written in the pass that counts (a metric failing in it is found, left out,
    and the file written again without it), with the same content and warnings."""
    from healthcore.io.writers import write_file

    ruleset = loads_ruleset(RULESET.replace("METRIC", metric), "faults.yaml", registry=registry)
    eager = healthcore.score(ruleset, ACCOUNTS, explain=True)
    lazy = healthcore.score(ruleset, ACCOUNTS, lazy=True)
    write_file(lazy, fmt, tmp_path / f"lazy.{fmt}")
    write_file(eager, fmt, tmp_path / f"eager.{fmt}")
    assert (tmp_path / f"lazy.{fmt}").read_bytes() == (tmp_path / f"eager.{fmt}").read_bytes()
    assert lazy.warnings == eager.warnings and lazy.warnings
