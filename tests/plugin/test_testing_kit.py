"""The plugin authors' kit, healthcore.plugin.testing: each check passes when it should, and fails with
a message saying what differs when it should not."""

from __future__ import annotations

import importlib
import sys
import textwrap
from pathlib import Path

import polars as pl
import pytest

from healthcore.plugin.registry import DISABLE_ENV
from healthcore.plugin.testing import INDICATOR, MetricKit, check_function, plugin_registry

KIT_PLUGIN = '''
from healthcore import Computed, ExpressionFunction, Metric, hookimpl


def seat_share(inputs, params):
    import polars as pl

    used, seats = inputs["used"], inputs["seats"]
    return Computed(pl.when(seats > 0).then(100.0 * used / seats), invalid=used > seats,
                    problem=pl.format("seat_share: {} used of {} seats", used, seats))


def tier_points(values, params):
    tier = values["tier"]
    if tier == "boom":
        raise ValueError("boom")
    return None if tier is None else params["points"].get(tier)


FAULTY = {  # each looks right on one account, and polars would not say a word
    "seats_used_total": lambda inputs, params: inputs["used"].sum(),
    "seats_mostly_used": lambda inputs, params: inputs["used"] * 2 > inputs["seats"],
    "seats_used_digits": lambda inputs, params: inputs["used"].cast(int).cast(str),
}


@hookimpl
def healthcore_register_metrics(register):
    for name, compute in FAULTY.items():
        register(Metric(
            name, name, compute,
            {"type": "object", "properties": {
                "used": {"type": "string", "default": "used", "description": "used seats"},
                "seats": {"type": "string", "default": "seats", "description": "paid seats"}}},
            {"used": "count", "seats": "count"}))
    register(Metric(
        "seat_share", "percentage of seats used", seat_share,
        {"type": "object", "additionalProperties": False, "properties": {
            "used": {"type": "string", "default": "used", "description": "used seats"},
            "seats": {"type": "string", "default": "seats", "description": "paid seats"},
            "floor": {"type": "number", "minimum": 0, "default": 0, "description": "x"}}},
        {"used": "count", "seats": "count"}))
    register(Metric(
        "tier_points", "points per tier", tier_points,
        {"type": "object", "required": ["points"], "additionalProperties": False,
         "properties": {
            "tier": {"type": "string", "default": "tier", "description": "the tier field"},
            "points": {"type": "object", "additionalProperties": {"type": "number"},
                       "description": "points per tier"}}},
        {"tier": "text"}, per_account=True))


@hookimpl
def healthcore_register_functions(register):
    register(ExpressionFunction("twice", lambda x: x * 2,
                                lambda x: None if x is None else x * 2, summary="2 x"))
    register(ExpressionFunction("wrong", lambda x: x * 2,
                                lambda x: None if x is None else x * 3, summary="broken"))
'''

BAD_PLUGIN = '''
from healthcore import Metric, hookimpl


@hookimpl
def healthcore_register_metrics(register):
    register(Metric("Bad-Name", "x", lambda inputs, params: None))
    register(Metric("fine_metric", "x", lambda inputs, params: inputs["f"],
                    {"type": "object", "properties": {"f": {"type": "string", "default": "f"}}},
                    {"f": "number"}))
    register(Metric("bad_schema", "x", lambda inputs, params: inputs["f"],
                    {"type": "object", "properties": {"f": {"type": "strng"}}}, {"f": "number"}))
'''


@pytest.fixture
def plugin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """kit_plugin and bad_kit_plugin importable; forgotten afterwards."""
    (tmp_path / "kit_plugin.py").write_text(textwrap.dedent(KIT_PLUGIN), encoding="utf-8")
    (tmp_path / "bad_kit_plugin.py").write_text(textwrap.dedent(BAD_PLUGIN), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv(DISABLE_ENV, raising=False)
    importlib.invalidate_caches()
    yield tmp_path
    for name in ("kit_plugin", "bad_kit_plugin"):
        sys.modules.pop(name, None)


@pytest.fixture
def seats(plugin_dir) -> MetricKit:
    return MetricKit("seat_share", module="kit_plugin")


def fails(check, *args, **kwargs) -> str:
    """The message of the AssertionError that ``check(*args, **kwargs)`` raises."""
    with pytest.raises(AssertionError) as caught:
        check(*args, **kwargs)
    return str(caught.value)


# ---------------------------------------------------------------------- finding plugins

def test_plugin_registry_of_the_builtins_only():
    registry = plugin_registry()
    assert {"nps", "ratio"} <= set(registry.metrics)
    assert {p.source for p in registry.plugins} == {"builtin"}


def test_plugin_registry_of_a_module_leaves_the_installed_plugins_out(plugin_dir):
    registry = plugin_registry(module="kit_plugin")
    assert registry.metrics["seat_share"].plugin == "kit_plugin"
    assert "dunning_stage" not in registry.metrics  # billing is installed, but not loaded


def test_plugin_registry_through_an_entry_point():
    registry = plugin_registry(entry_point="billing")
    assert registry.metrics["dunning_stage"].plugin == "billing"
    assert fails(plugin_registry, entry_point="no_such_plugin") == (
        "no plugin 'no_such_plugin' was loaded from the 'healthcore' entry-point group "
        "(entry-point plugins loaded: billing); is the distribution installed "
        "(pip install -e .)?")


def test_plugin_registry_fails_on_plugin_problems_unless_allowed(plugin_dir):
    message = fails(plugin_registry, module="bad_kit_plugin")
    assert message.startswith("plugin problems: plugin 'bad_kit_plugin' registered an invalid "
                              "metric: the name 'Bad-Name' must be lower case")
    assert "'bad_schema': its parameter schema is not valid JSON Schema" in message
    registry = plugin_registry(module="bad_kit_plugin", allow_problems=True)
    assert "fine_metric" in registry.metrics and "bad_schema" not in registry.metrics


def test_plugin_registry_takes_a_module_or_an_entry_point_not_both():
    with pytest.raises(ValueError):
        plugin_registry(module="x", entry_point="y")


def test_metric_kit_finds_the_metric_of_its_plugin(plugin_dir):
    kit = MetricKit("seat_share", module="kit_plugin")
    assert kit.metric.plugin == "kit_plugin" and kit.metric.name == "seat_share"
    assert MetricKit("dunning_stage", entry_point="billing").metric.plugin == "billing"
    assert MetricKit("nps").metric.plugin == "healthcore.builtin.metrics"


def test_metric_kit_says_what_the_plugin_registers_when_the_metric_is_not_found(plugin_dir):
    assert fails(MetricKit, "seat_shares", module="kit_plugin") == (
        "no metric 'seat_shares' (did you mean 'seat_share'?); plugin 'kit_plugin' registers: "
        "seat_share, seats_mostly_used, seats_used_digits, seats_used_total, tier_points")
    assert fails(MetricKit, "nps", module="kit_plugin") == (
        "metric 'nps' is registered by plugin 'healthcore.builtin.metrics', not by 'kit_plugin'")


# ------------------------------------------------------------------ the parameter schema

def test_accepts_returns_the_params_with_the_defaults(seats):
    assert seats.accepts({}) == {"used": "used", "seats": "seats", "floor": 0}
    assert seats.accepts({"floor": 2}) == {"used": "used", "seats": "seats", "floor": 2}
    assert fails(seats.accepts, {"floor": -1}) == (
        "metric 'seat_share' refuses {'floor': -1}: params.floor: -1 is less than the minimum "
        "of 0")


def test_rejects_with_the_exact_messages_in_order(seats):
    params = {"flor": 1, "seats": 5}
    assert seats.rejects(params) == ["params.flor: unknown key 'flor' (did you mean 'floor'?)",
                                     "params.seats: 5 is not of type 'string'"]
    seats.rejects(params, "params.flor: unknown key 'flor' (did you mean 'floor'?)",
                  "params.seats: 5 is not of type 'string'")
    assert fails(seats.rejects, params, "params.seats: 5 is not of type 'string'") == (
        "metric 'seat_share' refuses {'flor': 1, 'seats': 5} with:\n"
        "  params.flor: unknown key 'flor' (did you mean 'floor'?)\n"
        "  params.seats: 5 is not of type 'string'\n"
        "not with:\n"
        "  params.seats: 5 is not of type 'string'")
    assert fails(seats.rejects, {"floor": 1}) == "metric 'seat_share' accepts {'floor': 1}"


def test_required_params_and_the_kit_default_params(plugin_dir):
    kit = MetricKit("tier_points", module="kit_plugin")
    kit.rejects(None, "params: 'points' is required")
    assert kit.problems({"points": {"gold": 1}}) == []
    with_params = MetricKit("tier_points", module="kit_plugin", params={"points": {"gold": 9}})
    assert with_params.accepts() == {"tier": "tier", "points": {"gold": 9}}


def test_the_checks_load_a_real_ruleset(seats):
    text = seats.ruleset_text({"floor": 1})
    assert '"metric": "seat_share"' in text and '"floor": 1' in text
    ruleset = seats.ruleset({"floor": 1})
    [indicator] = ruleset.indicators
    assert indicator.id == INDICATOR and indicator.params["floor"] == 1


def test_field_checks_of_the_loader_are_reported_too():
    kit = MetricKit("expression")
    kit.rejects({"expr": "seats +"},
                "params.expr: this is not a valid expression: invalid syntax")


# ----------------------------------------------------------------------------- computing

def test_values_through_the_engine(seats):
    accounts = [{"used": 5, "seats": 10}, {"used": 0, "seats": 0}, {"used": 12, "seats": 10},
                {"used": -1, "seats": 10}, {"used": None, "seats": 10}]
    assert seats.values(accounts) == [50.0, None, None, None, None]
    errors = seats.errors(accounts)
    assert errors == [[], [], ["seat_share: 12.0 used of 10.0 seats"],
                      ["field 'used': -1 is not a valid count (a number, 0 or more)"], []]
    assert seats.assert_values(accounts, [50, None, None, None, None]) == \
        [50.0, None, None, None, None]


def test_values_with_params_and_from_a_dataframe(seats):
    frame = pl.DataFrame({"u": [1, 3], "s": [4, 4]})
    assert seats.values(frame, {"used": "u", "seats": "s"}) == [25.0, 75.0]
    records = seats.records(frame, {"used": "u", "seats": "s"})
    assert [r["account_id"] for r in records] == ["1", "2"]
    named = frame.with_columns(pl.Series("account_id", ["x", "y"]))
    assert [r["account_id"] for r in seats.records(named, {"used": "u", "seats": "s"})] == \
        ["x", "y"]


def test_assert_values_names_the_accounts_that_differ(seats):
    accounts = [{"account_id": "a", "used": 5, "seats": 10},
                {"account_id": "b", "used": 12, "seats": 10}]
    assert fails(seats.assert_values, accounts, [50.0, 120.0]) == (
        "metric 'seat_share' computed [50.0, None]:\n"
        "  account b: None, expected 120.0 (errors: seat_share: 12.0 used of 10.0 seats)")
    assert fails(seats.assert_values, accounts, [50.0]) == (
        "metric 'seat_share' computed [50.0, None]:\n  2 values for 1 expected")
    seats.assert_values(accounts[:1], [50.0 + 1e-12])
    assert fails(seats.assert_values, accounts[:1], [50.1]).startswith(
        "metric 'seat_share' computed [50.0]")
    seats.assert_values(accounts[:1], [50.1], abs_tol=0.2)


def test_per_account_metric_and_its_faults(plugin_dir):
    kit = MetricKit("tier_points", module="kit_plugin", params={"points": {"gold": 100}})
    accounts = [{"tier": "gold"}, {"tier": "lead"}, {"tier": None}, {"tier": "boom"}]
    kit.assert_values(accounts, [100, None, None, None])
    [error, *_] = kit.errors(accounts)[3]
    assert "tier_points" in error and "kit_plugin" in error and "ValueError: boom" in error


FAULTS = {
    "seats_used_total": "gave one value for all the accounts (an aggregate such as sum() or "
                        "mean(), or a constant), not one per account",
    "seats_mostly_used": "gave true/false values (Boolean), not numbers; a metric that means 1 "
                         "and 0 says so with .cast(pl.Float64)",
    "seats_used_digits": "gave text (String), not numbers; text is never read as a number",
}


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_the_checks_of_values_catch_a_single_value_or_a_cast_column(plugin_dir, name):
    """One account gives the value the author expects (a sum over one account is its value,
    true is 1, '6' is 6), yet the metric is wrong: the kit's checks fail, saying why."""
    kit = MetricKit(name, module="kit_plugin")
    account = [{"used": 6, "seats": 10}]
    expected = {"seats_used_total": 6.0, "seats_mostly_used": 1.0, "seats_used_digits": 6.0}
    warning = (f"metric '{name}' (plugin kit_plugin) of indicator '{INDICATOR}' failed for 1 of "
               "1 account; the indicator is left out for it (see the errors column); first "
               f"error: it {FAULTS[name]}")
    assert fails(kit.assert_values, account, [expected[name]]) == warning
    assert fails(kit.values, account) == warning
    assert kit.faults(account) == [warning]
    assert kit.errors(account) == [[f"metric '{name}' (plugin kit_plugin) of indicator "
                                    f"'{INDICATOR}' {FAULTS[name]}; the indicator is left out"]]


def test_faults_counts_the_accounts_a_metric_failed_for(plugin_dir, seats):
    kit = MetricKit("tier_points", module="kit_plugin", params={"points": {"gold": 100}})
    accounts = [{"tier": "gold"}, {"tier": "boom"}, {"tier": "boom"}]
    assert kit.faults(accounts) == [
        f"metric 'tier_points' (plugin kit_plugin) of indicator '{INDICATOR}' failed for 2 of 3 "
        "accounts; the indicator is left out for them (see the errors column); first error: "
        "it raised ValueError: boom"]
    assert fails(kit.values, accounts[1:]).startswith(
        f"metric 'tier_points' (plugin kit_plugin) of indicator '{INDICATOR}' failed for 2 of 2 "
        "accounts")
    assert seats.faults([{"used": 5, "seats": 10}, {"used": 12, "seats": 10}]) == []


# ------------------------------------------------------------------------ check_function

def test_check_function_on_builtins():
    assert check_function("round", [(1.25, 1), (2.5,), (None, 2)]) == [1.2, 2.0, None]
    assert check_function("coalesce", [(None, "x"), (None, None), (None, 2.0), (True, None)]) \
        == ["x", None, 2.0, True]
    assert check_function("max", [(1.0, 3.0, 2.0), (1.0, None)]) == [3.0, None]


def test_check_function_of_a_plugin_and_disagreement(plugin_dir):
    assert check_function("twice", [(2.0,), (None,)], module="kit_plugin") == [4.0, None]
    assert fails(check_function, "wrong", [(2.0,)], module="kit_plugin") == (
        "wrong(arg0) with {'arg0': 2.0}: the batch implementation gives 4.0, the scalar one 6.0")
    assert fails(check_function, "nope", [(1.0,)]) == "no expression function 'nope'"
    assert check_function("days_to_months", [(30.4375,)], entry_point="billing") == [1.0]


def test_entry_point_checks_ignore_the_problems_of_other_installed_plugins(
        tmp_path, monkeypatch):
    """A broken, unrelated plugin installed next to the one under test is not its fault."""
    dist_info = tmp_path / "hc_kit_broken-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: hc-kit-broken\n"
                                        "Version: 1.0\n", encoding="utf-8")
    (dist_info / "entry_points.txt").write_text("[healthcore]\nkit_broken = no_such_module_x\n",
                                                encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    registry = plugin_registry(entry_point="billing")
    assert any("kit_broken" in problem for problem in registry.problems)
    assert fails(plugin_registry, entry_point="kit_broken").startswith(
        "no plugin 'kit_broken' was loaded from the 'healthcore' entry-point group "
        "(entry-point plugins loaded: billing); problems: plugin 'kit_broken' "
        "(no_such_module_x) failed to load and was skipped: ModuleNotFoundError")
