"""The plugin contract as ``healthcore.plugin`` states it: what a plugin author imports, the
alerts a delivering plugin receives, hooks called through pluggy (tracing, ``tryfirst`` /
``trylast``, hook wrappers) with each registration kept to its plugin, plugins disabled by
name, built-in plugins checked like any other, and every hook documented and tested."""

from __future__ import annotations

import importlib
import inspect
import json
import re
import sys
import textwrap
import typing
from pathlib import Path
from typing import Any, Iterator

import pytest
from click.testing import CliRunner, Result

from helpers import REPO
import healthcore
import healthcore.plugin
from healthcore import loads_ruleset
from healthcore.cli.main import main
from healthcore.errors import RulesetError
from healthcore.plugin import Alert, hookspecs
from healthcore.plugin.registry import DISABLE_ENV, TRACE_ENV, default_registry, load_registry

USAGE = "healthcore.builtin.usage"


@pytest.fixture(autouse=True)
def fresh_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Plugins enabled, tracing off and no registry cached from another test."""
    monkeypatch.delenv(DISABLE_ENV, raising=False)
    monkeypatch.delenv(TRACE_ENV, raising=False)
    default_registry.cache_clear()
    yield
    default_registry.cache_clear()


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A directory on ``sys.path`` for plugin modules, forgotten after the test."""
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    yield root
    for name, module in list(sys.modules.items()):
        if str(getattr(module, "__file__", None) or "").startswith(str(root)):
            del sys.modules[name]


def write_plugin(site: Path, name: str, source: str) -> str:
    (site / f"{name}.py").write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
    importlib.invalidate_caches()
    return name


def metric_plugin(metric: str, marker: str = "@hookimpl") -> str:
    """A plugin registering one metric, noting each call of its hook in ``calls.log``."""
    return f"""
        import calls
        from healthcore.plugin import Metric, hookimpl

        {marker}
        def healthcore_register_metrics(register):
            calls.log.append("{metric}")
            register(Metric("{metric}", "a field", lambda inputs, params: inputs["x"],
                            {{"type": "object", "properties": {{"x": {{"type": "string"}}}}}},
                            {{"x": "number"}}))
    """


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


# ------------------------------------------------------------------------- what authors import

def test_everything_a_plugin_author_needs_comes_from_healthcore_plugin() -> None:
    needed = {"hookimpl", "hookspecs", "Metric", "Computed", "ExpressionFunction",
              "divisor_column", "Kind", "Alert", "VectorCompute", "AccountCompute", "Registry",
              "PluginInfo", "load_registry"}
    assert needed <= set(healthcore.plugin.__all__)
    for name in healthcore.plugin.__all__:
        assert getattr(healthcore.plugin, name) is not None, name
    for name in ("hookimpl", "Metric", "Computed", "ExpressionFunction"):
        assert getattr(healthcore, name) is getattr(healthcore.plugin, name)
    assert importlib.import_module("healthcore.plugin.testing").MetricKit


def test_the_hook_specs_are_typed() -> None:
    for name, spec in hook_specs().items():
        hints = typing.get_type_hints(spec)
        assert set(hints) == set(inspect.signature(spec).parameters) | {"return"}, name
    assert typing.get_type_hints(hookspecs.healthcore_deliver_alerts)["alerts"] == list[Alert]


DELIVERING = """
    import json, os
    from healthcore.plugin import hookimpl

    @hookimpl
    def healthcore_deliver_alerts(alerts):
        with open(os.environ["ALERT_OUTBOX"], "a", encoding="utf-8") as outbox:
            for alert in alerts:
                outbox.write(json.dumps(alert) + "\\n")
"""

SLIPPING = """\
healthcore: 1
name: slipping
indicators:
  - {id: usage, metric: field, params: {field: usage}, normalize: {linear: {worst: 0, best: 100}}, weight: 1}
tiers:
  - {name: healthy, min: 70}
  - {name: watch, min: 0}
alerts:
  - {id: slipped, kind: tier_worsened, severity: critical}
"""


def test_a_delivered_alert_has_exactly_the_fields_of_alert(
        site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_plugin(site, "delivering", DELIVERING)
    outbox = tmp_path / "outbox.jsonl"
    monkeypatch.setenv("ALERT_OUTBOX", str(outbox))
    ruleset = tmp_path / "slipping.yaml"
    ruleset.write_text(SLIPPING, encoding="utf-8")
    for day, usage in (("2024-01-01", 90), ("2024-02-01", 50)):
        accounts = tmp_path / f"{day}.csv"
        accounts.write_text(f"account_id,usage\nA,{usage}\n", encoding="utf-8")
        result = cli("evaluate", str(ruleset), str(accounts), "--history",
                     str(tmp_path / "history.db"), "--as-of", day, "-f", "json",
                     "--plugin", "delivering")
        assert result.exit_code == 0, result.output
    [alert] = [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines()]
    assert set(alert) == set(Alert.__annotations__) == Alert.__required_keys__
    assert alert["severity"] in typing.get_args(typing.get_type_hints(Alert)["severity"])
    assert (alert["score"], alert["tier"], alert["since"], alert["as_of"]) == (
        50.0, "watch", "2024-02-01", "2024-02-01")


# --------------------------------------------------------------------- hooks called by pluggy

def test_tracing_writes_every_hook_call_to_standard_error(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    load_registry(entry_point_plugins=False)
    assert capsys.readouterr().err == ""
    monkeypatch.setenv(TRACE_ENV, "1")
    registry = load_registry(entry_point_plugins=False)
    trace = capsys.readouterr().err
    assert "nps" in registry.metrics
    assert re.search(r"^\s*healthcore_register_metrics \[hook\]$", trace, re.MULTILINE)
    assert re.search(r"^\s*healthcore_register_functions \[hook\]$", trace, re.MULTILINE)
    assert "finish healthcore_register_metrics" in trace


def test_trylast_and_tryfirst_order_the_calls_and_load_order_settles_names(site: Path) -> None:
    write_plugin(site, "calls", "log = []\n")
    write_plugin(site, "early", metric_plugin("shared"))
    write_plugin(site, "late", metric_plugin("shared", "@hookimpl(trylast=True)"))
    write_plugin(site, "eager", metric_plugin("eager_metric", "@hookimpl(tryfirst=True)"))
    calls = importlib.import_module("calls")
    registry = load_registry(["early", "eager", "late"], entry_point_plugins=False)
    assert calls.log == ["eager_metric", "shared", "shared"]  # eager, early, then late
    assert registry.conflicts["shared"] == ["early", "late"]
    assert registry.metrics["eager_metric"].plugin == "eager"


WRAPPER = """
    import calls
    from healthcore.plugin import hookimpl

    @hookimpl(wrapper=True)
    def healthcore_register_metrics(register):
        calls.log.append("before")
        result = yield
        calls.log.append("after")
        return result
"""


def test_a_hook_wrapper_wraps_each_plugins_call_and_attribution_holds(site: Path) -> None:
    write_plugin(site, "calls", "log = []\n")
    write_plugin(site, "wrapping", WRAPPER)
    write_plugin(site, "wrapped", metric_plugin("wrapped_metric"))
    calls = importlib.import_module("calls")
    registry = load_registry(["wrapping", "wrapped"], entry_point_plugins=False)
    builtin_hooks = 4  # metrics, customer, revenue and usage register metrics
    assert calls.log.count("before") == calls.log.count("after") == builtin_hooks + 1
    assert calls.log[calls.log.index("wrapped_metric") - 1] == "before"
    assert registry.metrics["wrapped_metric"].plugin == "wrapped"
    assert registry.metrics["nps"].plugin == "healthcore.builtin.metrics"
    assert "wrapping" in {plugin.name for plugin in registry.plugins}
    assert registry.problems == []


# ----------------------------------------------------------------------------------- disabling

def test_a_builtin_plugin_can_be_disabled_and_its_metrics_are_then_unknown() -> None:
    registry = load_registry(entry_point_plugins=False, disabled=[USAGE])
    assert USAGE not in {plugin.name for plugin in registry.plugins}
    assert "adoption" not in registry.metrics and "nps" in registry.metrics
    assert registry.problems == []
    with pytest.raises(RulesetError, match=r"unknown metric 'adoption'"):
        loads_ruleset("healthcore: 1\nname: t\nindicators:\n  - {id: a, metric: adoption, "
                      "params: {active: a, total: t}, normalize: {linear: {worst: 0, best: "
                      "100}}, weight: 1}\ntiers:\n  - {name: all, min: 0}\n", registry=registry)


def test_the_environment_variable_lists_plugins_to_disable_by_name(
        site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_plugin(site, "calls", "log = []\n")
    write_plugin(site, "kept", metric_plugin("kept_metric"))
    write_plugin(site, "dropped", metric_plugin("dropped_metric"))
    monkeypatch.setenv(DISABLE_ENV, f" dropped , {USAGE}")
    registry = load_registry(["kept", "dropped"], entry_point_plugins=False)
    assert {"kept_metric", "nps"} <= set(registry.metrics)
    assert not {"dropped_metric", "adoption"} & set(registry.metrics)
    assert "dropped" not in sys.modules  # not even imported
    # the parameter adds to the list
    registry = load_registry(["kept"], entry_point_plugins=False, disabled=["kept"])
    assert "kept_metric" not in registry.metrics and "adoption" not in registry.metrics


def test_disabling_an_installed_plugin_leaves_the_others_loaded(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DISABLE_ENV, "billing")
    registry = load_registry()
    assert registry.entry_points
    assert "billing" not in {plugin.name for plugin in registry.plugins}
    assert "dunning_stage" not in registry.metrics and "nps" in registry.metrics
    assert registry.problems == []


def test_a_name_no_plugin_has_is_reported_with_the_plugins_loaded() -> None:
    registry = load_registry(entry_point_plugins=False, disabled=["biling", USAGE])
    [problem] = registry.problems
    assert problem.startswith("no plugin named 'biling' to disable; the plugins loaded are: "
                              "healthcore.builtin.metrics, healthcore.builtin.customer, ")
    assert USAGE not in problem


def test_every_command_taking_plugin_takes_disable_plugin() -> None:
    with_plugin = [name for name, command in main.commands.items()
                   if any("--plugin" in param.opts for param in command.params)]
    assert len(with_plugin) >= 10
    for name in with_plugin:
        options = {opt for param in main.commands[name].params for opt in param.opts}
        assert "--disable-plugin" in options, name


def test_cli_disable_plugin_leaves_plugins_out(tmp_path: Path) -> None:
    listed = json.loads(cli("plugins", "-f", "json", "--disable-plugin", "billing",
                            "--disable-plugin", USAGE).stdout)
    names = {plugin["name"] for plugin in listed["plugins"]}
    assert "healthcore.builtin.metrics" in names and not {"billing", USAGE} & names
    assert listed["problems"] == []
    ruleset = tmp_path / "r.yaml"
    ruleset.write_text("healthcore: 1\nname: t\nindicators:\n  - {id: d, metric: dunning_stage, "
                       "normalize: {linear: {worst: 4, best: 0}}, weight: 1}\ntiers:\n"
                       "  - {name: all, min: 0}\n", encoding="utf-8")
    assert cli("validate", str(ruleset)).exit_code == 0
    refused = cli("validate", str(ruleset), "--disable-plugin", "billing")
    assert refused.exit_code == 2
    assert "unknown metric 'dunning_stage'" in refused.output
    unknown = cli("plugins", "--disable-plugin", "nobody")
    assert "warning: no plugin named 'nobody' to disable; the plugins loaded are: " \
           "healthcore.builtin.metrics" in unknown.output


# ------------------------------------------------------------------ built-ins checked alike

def test_a_builtin_metric_with_an_invalid_schema_is_refused_like_any_other(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from healthcore.plugin import Metric, hookimpl

    @hookimpl
    def healthcore_register_metrics(register):
        register(Metric("broken", "a bad schema", lambda inputs, params: inputs["x"],
                        {"type": "object", "properties": {"x": {"type": "strin"}}},
                        {"x": "number"}))

    monkeypatch.setattr(importlib.import_module(USAGE), "healthcore_register_metrics",
                        healthcore_register_metrics)
    registry = load_registry(entry_point_plugins=False)
    assert registry.problems == []  # the schema is checked when the metric is used or listed
    with pytest.raises(RulesetError) as caught:
        loads_ruleset("healthcore: 1\nname: t\nindicators:\n  - {id: b, metric: broken, "
                      "params: {x: x}, normalize: {linear: {worst: 0, best: 1}}, weight: 1}\n"
                      "tiers:\n  - {name: all, min: 0}\n", registry=registry)
    assert [d.message for d in caught.value.diagnostics] == [
        f"the metric 'broken' of plugin '{USAGE}' cannot be used: its parameter schema is not "
        "valid JSON Schema: 'strin' is not valid under any of the given schemas"]
    registry.check_parameter_schemas()
    assert "broken" not in registry.metrics
    assert registry.problems == [
        f"plugin '{USAGE}' registered an invalid metric: 'broken': its parameter schema is not "
        "valid JSON Schema: 'strin' is not valid under any of the given schemas"]


def test_object_parameters_get_the_defaults_of_their_properties(builtin_registry) -> None:
    def nps_params(params: str) -> dict[str, Any]:
        ruleset = loads_ruleset(
            "healthcore: 1\nname: t\nindicators:\n  - {id: n, metric: nps, params: " + params
            + ", normalize: {linear: {worst: -100, best: 100}}, weight: 1}\ntiers:\n"
            "  - {name: all, min: 0}\n", registry=builtin_registry)
        return dict(ruleset.indicators[0].params)

    assert nps_params("{responses: r}")["cutoffs"] == {"promoters": 9, "passives": 7}
    assert nps_params("{responses: r, cutoffs: {promoters: 10}}")["cutoffs"] == {
        "promoters": 10, "passives": 7}


# -------------------------------------------------------- every hook documented and tested

def hook_specs() -> dict[str, Any]:
    """Every hook specification in healthcore.plugin.hookspecs."""
    return {name: function for name, function in inspect.getmembers(hookspecs,
                                                                      inspect.isfunction)
            if hasattr(function, "healthcore_spec")}


@pytest.mark.parametrize("hook", sorted(hook_specs()))
def test_every_hook_has_a_section_in_plugins_md(hook: str) -> None:
    text = (REPO / "docs" / "plugins.md").read_text(encoding="utf-8")
    assert re.search(rf"^#+ `?{hook}`?\s*$", text, re.MULTILINE), \
        f"hook {hook} has no section in docs/plugins.md"


@pytest.mark.parametrize("hook", sorted(hook_specs()))
def test_every_hook_is_implemented_by_a_plugin_a_test_runs(hook: str) -> None:
    this = Path(__file__).resolve()
    implemented = [path for path in (REPO / "tests").rglob("*.py") if path != this
                   and re.search(rf"^\s*def {hook}\(", path.read_text(encoding="utf-8"),
                                 re.MULTILINE)]
    assert implemented, f"no test under tests/ implements and so calls the hook {hook}"
