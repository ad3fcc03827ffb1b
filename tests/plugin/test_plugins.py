"""Plugins as their authors and users meet them, through the real mechanisms.

Nothing here mocks pluggy or importlib.metadata:

* the example distribution ``plugins/healthcore-billing`` must be installed in the environment
  (``pip install ./plugins/healthcore-billing``, as the CI script does) and is found through its
  ``healthcore`` entry point, by the Python API, the ``healthcore`` command and its console script;
* other plugins are modules written to a temporary directory put on ``sys.path``, either loaded
  by name (as ``--plugin`` does) or declared by a fake installed distribution (a ``*.dist-info``
  directory with ``METADATA`` and ``entry_points.txt``), which importlib.metadata finds on
  ``sys.path`` exactly like a pip-installed one.
"""

from __future__ import annotations

import healthcore
import importlib
import importlib.metadata
import inspect
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Iterator, Mapping

import polars as pl
import pytest
from click.testing import CliRunner, Result

from healthcore import load_ruleset
from healthcore.plugin import hookspecs
from healthcore.cli.main import EXIT_INVALID, EXIT_OK, main
from healthcore.errors import RulesetError
from healthcore.ruleset.expressions import parse
from healthcore.plugin.registry import (DISABLE_ENV, ENTRY_POINT_GROUP, Registry, default_registry,
                                load_registry)
from helpers import REPO, TIERS, by_id
from helpers import ruleset as compile_ruleset

BILLING = "billing"
BILLING_DIST = "healthcore-billing"
BILLING_METRICS = ("dunning_stage", "payment_reliability")
BUILTIN_METRICS = ("csat", "expression", "field", "nps", "ratio")
NOT_INSTALLED = (f"the {BILLING_DIST} distribution is not installed: run "
                 f"'pip install ./plugins/{BILLING_DIST}' first (the CI script does)")

# --------------------------------------------------------------------------- helpers

@pytest.fixture(autouse=True)
def fresh_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Plugins enabled and no registry cached from another test (the CLI caches one per
    process); the cache is cleared again so that no temporary plugin leaks out."""
    monkeypatch.delenv(DISABLE_ENV, raising=False)
    default_registry.cache_clear()
    yield
    default_registry.cache_clear()


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A directory on ``sys.path`` for plugin modules and fake installed distributions.

    Modules imported from it are forgotten afterwards, so tests do not see each other's.
    """
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    yield root
    for name, module in list(sys.modules.items()):
        if str(getattr(module, "__file__", None) or "").startswith(str(root)):
            del sys.modules[name]


def write_module(root: Path, dotted: str, source: str) -> Path:
    """Write the module ``dotted`` (packages included) under ``root``; return its file."""
    *packages, leaf = dotted.split(".")
    root.mkdir(parents=True, exist_ok=True)
    directory = root
    for package in packages:
        directory = directory / package
        directory.mkdir(exist_ok=True)
        (directory / "__init__.py").touch()
    path = directory / f"{leaf}.py"
    path.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
    importlib.invalidate_caches()
    return path


def install_fake_distribution(root: Path, project: str, entry_points: Mapping[str, str],
                              modules: Mapping[str, str], version: str = "1.0") -> None:
    """Lay out ``project`` in ``root`` as pip would install it: its modules and a
    ``<project>-<version>.dist-info`` with ``METADATA`` and the ``healthcore`` entry points."""
    for dotted, source in modules.items():
        write_module(root, dotted, source)
    dist_info = root / f"{project.replace('-', '_')}-{version}.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project}\nVersion: {version}\n", encoding="utf-8")
    lines = [f"[{ENTRY_POINT_GROUP}]", *(f"{name} = {value}" for name, value in
                                        entry_points.items())]
    (dist_info / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    importlib.invalidate_caches()


def plugin_names(registry: Registry) -> dict[str, str]:
    """Each loaded plugin's name and source."""
    return {plugin.name: plugin.source for plugin in registry.plugins}


def problems_naming(registry: Registry, *words: str) -> list[str]:
    """The registry's problems that mention every one of ``words``."""
    return [p for p in registry.problems if all(word in p for word in words)]



def cli(*args: str, env: Mapping[str, str] | None = None) -> Result:
    """Run ``healthcore ARGS`` in-process; ``output`` holds standard output and error."""
    return CliRunner().invoke(main, list(args), env=dict(env or {}), catch_exceptions=True)


def healthcore_script() -> str:
    """The ``healthcore`` console script installed next to this Python."""
    script = Path(sys.executable).with_name("healthcore")
    found = str(script) if script.exists() else shutil.which("healthcore")
    assert found, f"no healthcore console script next to {sys.executable} or on PATH"
    return found


def script_env(**extra: str) -> dict[str, str]:
    """The environment for a subprocess: this one, plugins enabled, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k != DISABLE_ENV}
    env.update(extra)
    return env


# A plugin author's smallest complete plugin module, used by several tests below.
GOOD_PLUGIN = """
    from healthcore import Metric, hookimpl

    def seats_left(inputs, params):
        return inputs["seats"] - inputs["used"]

    @hookimpl
    def healthcore_register_metrics(register):
        register(Metric(
            "{name}", "seats paid for but not used", seats_left,
            {{"type": "object", "additionalProperties": False,
              "properties": {{
                  "seats": {{"type": "string", "default": "seats", "description": "paid seats"}},
                  "used": {{"type": "string", "default": "used", "description": "used seats"}}}}}},
            {{"seats": "count", "used": "count"}}))
"""


def good_plugin(metric_name: str) -> str:
    """Source of a valid plugin module registering one vectorized metric ``metric_name``."""
    return GOOD_PLUGIN.format(name=metric_name)


# ------------------------------------------------ the installed healthcore-billing distribution

def test_billing_distribution_is_installed_with_its_entry_point() -> None:
    try:
        distribution = importlib.metadata.distribution(BILLING_DIST)
    except importlib.metadata.PackageNotFoundError:
        pytest.fail(NOT_INSTALLED)
    declared = {(ep.name, ep.value) for ep in distribution.entry_points
                if ep.group == ENTRY_POINT_GROUP}
    assert declared == {(BILLING, "healthcore_billing")}
    assert any(req.split(";")[0].strip() == "healthcore" for req in distribution.requires or [])


def test_load_registry_finds_billing_through_its_entry_point() -> None:
    registry = load_registry()
    plugins = {plugin.name: plugin for plugin in registry.plugins}
    assert BILLING in plugins, NOT_INSTALLED
    assert plugins[BILLING].source == "entry point"
    assert plugins[BILLING].version == importlib.metadata.version(BILLING_DIST)
    for name in BILLING_METRICS:
        assert registry.metrics[name].plugin == BILLING
    assert registry.metrics["payment_reliability"].per_account
    assert not registry.metrics["dunning_stage"].per_account
    assert registry.functions["days_to_months"].plugin == BILLING
    for name in BUILTIN_METRICS:  # built-ins come through the same hooks
        assert registry.metrics[name].plugin == "healthcore.builtin.metrics"
    assert registry.problems == []


def test_billing_metrics_document_their_parameters() -> None:
    registry = load_registry()
    dunning = registry.metrics["dunning_stage"]
    properties = dunning.parameters["properties"]
    assert properties["stages"]["default"] == [0, 15, 30, 60]
    assert properties["days_overdue"]["default"] == "days_invoice_overdue"
    assert dict(dunning.inputs) == {"days_overdue": "count"}
    reliability = registry.metrics["payment_reliability"]
    assert dict(reliability.inputs) == {"on_time": "count", "late": "count"}
    for metric in (dunning, reliability):
        assert metric.summary and metric.description
        for name, spec in metric.parameters["properties"].items():
            assert spec.get("description"), f"{metric.name}.{name} has no description"
            assert "default" in spec, f"{metric.name}.{name} has no default"


def test_disabling_plugins_leaves_billing_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DISABLE_ENV, "1")
    registry = load_registry()
    assert BILLING not in plugin_names(registry)
    assert not set(BILLING_METRICS) & set(registry.metrics)
    assert "days_to_months" not in registry.functions
    assert set(BUILTIN_METRICS) <= set(registry.metrics)  # built-ins still load


def test_cli_plugins_lists_billing() -> None:
    result = cli("plugins")
    assert result.exit_code == EXIT_OK, result.output
    version = importlib.metadata.version(BILLING_DIST)
    assert f"{BILLING} {version} (entry point)" in result.output
    for name in (*BILLING_METRICS, "days_to_months"):
        assert f"  {name}: " in result.output
        assert f"[{BILLING}]" in result.output.split(f"  {name}: ", 1)[1].splitlines()[0]
    assert "stages (array, default [0, 15, 30, 60])" in result.output


def test_cli_plugins_without_entry_points_when_disabled() -> None:
    result = cli("plugins", env={DISABLE_ENV: "1"})
    assert result.exit_code == EXIT_OK, result.output
    assert "(entry point)" not in result.output
    for name in (*BILLING_METRICS, "days_to_months"):
        assert name not in result.output
    assert "  nps: " in result.output


def test_console_script_lists_billing_as_json() -> None:
    completed = subprocess.run([healthcore_script(), "plugins", "-f", "json"],
                               capture_output=True, text=True, env=script_env(), timeout=120)
    assert completed.returncode == EXIT_OK, completed.stderr
    catalogue = json.loads(completed.stdout)
    assert {"name": BILLING, "source": "entry point",
            "version": importlib.metadata.version(BILLING_DIST)} in catalogue["plugins"]
    metrics = {metric["name"]: metric for metric in catalogue["metrics"]}
    assert metrics["dunning_stage"]["plugin"] == BILLING
    assert metrics["dunning_stage"]["per_account"] is False
    assert metrics["payment_reliability"]["plugin"] == BILLING
    assert metrics["payment_reliability"]["per_account"] is True
    assert metrics["payment_reliability"]["inputs"] == {"on_time": "count", "late": "count"}
    functions = {function["name"]: function for function in catalogue["functions"]}
    assert functions["days_to_months"]["plugin"] == BILLING


# ----------------------------------------------------------------- scoring with the plugin

BILLING_RULESET = """
indicators:
  - id: dunning
    label: Dunning stage
    metric: dunning_stage
    params: {days_overdue: days_invoice_overdue}
    normalize: {linear: {worst: 4, best: 0}}       # stage 0: 100 points, stage 4: 0
    weight: 2
  - id: reliability
    label: Payments on time
    metric: payment_reliability
    params: {on_time: on_time_payments, late: late_payments}
    normalize: {linear: {worst: 50, best: 100}}
    weight: 1
  - id: tenure
    label: Months as a customer
    metric: expression
    params: {expr: days_to_months(days_as_customer)}
    normalize: {linear: {worst: 0, best: 24}}
    weight: 1
actions:
  - id: renewal_soon
    when: days_to_months(days_to_renewal) < 2
    points: -10
    reason: Renewal in less than two months
"""

MONTH = 30.4375  # days in the average month of a 365.25-day year


def test_ruleset_with_billing_plugin_scores_hand_computed_accounts(tmp_path: Path) -> None:
    path = tmp_path / "billing.yaml"
    path.write_text("healthcore: 1\nname: billing-health\n" + textwrap.dedent(BILLING_RULESET)
                    + TIERS, encoding="utf-8")
    ruleset = load_ruleset(path, registry=load_registry())
    accounts = [
        # stage 0 -> 100 pts; 90 % on time -> 80 pts; 12 months -> 50 pts;
        # (2*100 + 80 + 50) / 4 = 82.5; renews in 1 month: -10 -> 72.5
        {"account_id": "a1", "days_invoice_overdue": 0, "on_time_payments": 9,
         "late_payments": 1, "days_as_customer": 12 * MONTH, "days_to_renewal": MONTH},
        # 20 days: stage 2 -> 50 pts; 50 % -> 0 pts; 24 months -> 100 pts;
        # (2*50 + 0 + 100) / 4 = 50; renews in 12 months: no action
        {"account_id": "a2", "days_invoice_overdue": 20, "on_time_payments": 3,
         "late_payments": 3, "days_as_customer": 24 * MONTH, "days_to_renewal": 365},
        # 61 days: stage 4 -> 0 pts; no payment yet -> no value, drops out; 12 months -> 50;
        # (2*0 + 50) / 3; renewal unknown: the condition is null, not true
        {"account_id": "a3", "days_invoice_overdue": 61, "on_time_payments": 0,
         "late_payments": 0, "days_as_customer": 12 * MONTH, "days_to_renewal": None},
        # days past due unknown, tenure unknown; 100 % on time -> 100; renews in 1.5 months
        {"account_id": "a4", "days_invoice_overdue": None, "on_time_payments": 4,
         "late_payments": 0, "days_as_customer": None, "days_to_renewal": 1.5 * MONTH},
        # -3 days past due is not a valid count: reported, not turned into stage 0;
        # 50 % -> 0 pts; 0 months -> 0 pts
        {"account_id": "a5", "days_invoice_overdue": -3, "on_time_payments": 1,
         "late_payments": 1, "days_as_customer": 0, "days_to_renewal": 400},
    ]
    results = by_id(healthcore.score(ruleset, accounts))
    expected = {  # score, tier, dunning, reliability, tenure (raw values), actions
        "a1": (72.5, "healthy", 0.0, 90.0, 12.0, ["renewal_soon"]),
        "a2": (50.0, "at_risk", 2.0, 50.0, 24.0, []),
        "a3": (50 / 3, "unhealthy", 4.0, None, 12.0, []),
        "a4": (90.0, "healthy", None, 100.0, None, ["renewal_soon"]),
        "a5": (0.0, "unhealthy", None, 50.0, 0.0, []),
    }
    for account_id, (score, tier, dunning, reliability, tenure, actions) in expected.items():
        record = results[account_id]
        assert record["status"] == "ok", record
        assert record["score"] == pytest.approx(score, abs=1e-9), account_id
        assert record["tier"] == tier, account_id
        values = {ind: record["indicators"][ind]["value"]
                  for ind in ("dunning", "reliability", "tenure")}
        assert values["dunning"] == dunning, account_id
        assert values["reliability"] == (None if reliability is None
                                         else pytest.approx(reliability, abs=1e-9)), account_id
        assert values["tenure"] == (None if tenure is None
                                    else pytest.approx(tenure, abs=1e-9)), account_id
        assert record["actions"] == actions, account_id
    assert results["a1"]["errors"] == [] and results["a3"]["errors"] == []
    assert results["a5"]["errors"] == [
        "field 'days_invoice_overdue': -3 is not a valid count (a number, 0 or more)"]


@pytest.mark.parametrize(("stages", "days", "expected"), [
    (None, [0, 1, 15, 16, 30, 31, 60, 61, 400, None],
     [0.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 4.0, 4.0, None]),
    ([30, 7], [0, 7, 8, 30, 31], [0.0, 0.0, 1.0, 1.0, 2.0]),  # any order of thresholds
])
def test_dunning_stage_counts_the_thresholds_exceeded(stages: list[int] | None, days: list,
                                                      expected: list) -> None:
    params = "{days_overdue: overdue}" if stages is None else \
        f"{{days_overdue: overdue, stages: {stages}}}"
    ruleset = compile_ruleset(f"""
        indicators:
          - id: dunning
            metric: dunning_stage
            params: {params}
            normalize: {{linear: {{worst: 4, best: 0}}}}
            weight: 1
        """, load_registry())
    results = healthcore.score(ruleset, pl.DataFrame({"account_id": [str(i) for i in range(len(days))],
                                          "overdue": days}))
    assert results.frame["dunning.value"].to_list() == expected


def test_dunning_stage_parameters_are_validated_at_load() -> None:
    with pytest.raises(RulesetError) as caught:
        compile_ruleset("""
            indicators:
              - id: dunning
                metric: dunning_stage
                params: {stages: soon, days_overdu: overdue}
                normalize: {linear: {worst: 4, best: 0}}
                weight: 1
            """, load_registry())
    paths = {".".join(map(str, d.path)) for d in caught.value.diagnostics}
    text = str(caught.value)
    assert any(path.startswith("indicators.0.params") for path in paths), text
    assert "stages" in text and "days_overdu" in text
    assert all(d.line is not None for d in caught.value.diagnostics)


@pytest.mark.parametrize("days", [None, 0.0, MONTH, 100.0, 1e6, -5.5, 12.25])
def test_days_to_months_batch_and_scalar_agree(days: float | None) -> None:
    functions = load_registry().functions
    expression = parse("days_to_months(d)", functions, {}, want="number")
    batch = pl.DataFrame({"d": [days]}, schema={"d": pl.Float64}).select(
        expression.to_polars(lambda name, kind: pl.col(name)))
    scalar = expression.evaluate({"d": days})
    assert batch.to_series().to_list() == [scalar]
    assert scalar == (None if days is None else days / MONTH)


def test_payment_reliability_is_plain_python_per_account() -> None:
    compute = load_registry().metrics["payment_reliability"].compute
    assert compute({"on_time": 3.0, "late": 1.0}, {}) == 75.0
    assert compute({"on_time": 0.0, "late": 0.0}, {}) is None
    assert compute({"on_time": None, "late": 2.0}, {}) is None


# ---------------------------------------------------- a plugin that raises while scoring

FLAKY_PLUGIN = """
    from healthcore import Metric, hookimpl

    def invoice_disputes(values, params):
        disputes = values["disputes"]
        if disputes is None:
            return None
        if disputes > 2:
            raise ValueError(f"cannot score {disputes:g} open disputes")
        return 100.0 - 25.0 * disputes

    @hookimpl
    def healthcore_register_metrics(register):
        register(Metric(
            "invoice_disputes", "100 - 25 per open invoice dispute", invoice_disputes,
            {"type": "object", "properties": {
                "disputes": {"type": "string", "default": "open_disputes",
                             "description": "field with the open disputes"}}},
            {"disputes": "count"}, per_account=True))
"""

DISPUTES_RULESET = """
indicators:
  - id: dunning
    metric: dunning_stage
    normalize: {linear: {worst: 4, best: 0}}
    weight: 1
  - id: disputes
    metric: {metric}
    normalize: {linear: {worst: 0, best: 100}}
    weight: 1
"""


def test_per_account_metric_raising_on_one_account_spares_the_others(site: Path) -> None:
    write_module(site, "flaky_billing", FLAKY_PLUGIN)
    registry = load_registry(["flaky_billing"])
    assert plugin_names(registry)["flaky_billing"] == "command line"
    assert registry.metrics["invoice_disputes"].plugin == "flaky_billing"
    ruleset = compile_ruleset(DISPUTES_RULESET.replace("{metric}", "invoice_disputes"),
                              registry)
    results = by_id(healthcore.score(ruleset, [
        {"account_id": "b1", "days_invoice_overdue": 0, "open_disputes": 1},   # 100, 75
        {"account_id": "b2", "days_invoice_overdue": 20, "open_disputes": 3},  # 50, raises
        {"account_id": "b3", "days_invoice_overdue": 61, "open_disputes": 0},  # 0, 100
    ]))
    assert results["b1"]["score"] == pytest.approx(87.5, abs=1e-9)
    assert results["b3"]["score"] == pytest.approx(50.0, abs=1e-9)
    assert results["b1"]["errors"] == [] and results["b3"]["errors"] == []
    failed = results["b2"]
    assert failed["indicators"]["disputes"]["value"] is None
    assert failed["indicators"]["dunning"]["value"] == 2.0
    assert failed["status"] == "ok"
    assert failed["score"] == pytest.approx(50.0, abs=1e-9)  # the dunning stage alone
    [error] = failed["errors"]
    for word in ("invoice_disputes", "flaky_billing", "disputes", "ValueError",
                 "cannot score 3 open disputes"):
        assert word in error


def test_per_account_metric_receives_the_value_of_an_expression_input(site: Path) -> None:
    """An input of kind 'expression' reaches a per-account metric as the expression's value,
    as it reaches a vectorized one."""
    write_module(site, "acme_per_account_expr", """
        from healthcore import Metric, hookimpl

        def halved(values, params):
            value = values["expr"]
            return None if value is None else value / 2

        @hookimpl
        def healthcore_register_metrics(register):
            register(Metric(
                "halved", "half of an expression", halved,
                {"type": "object", "properties": {
                    "expr": {"type": "string", "description": "an expression"}},
                 "required": ["expr"]},
                {"expr": "expression"}, per_account=True))
    """)
    ruleset = compile_ruleset("""
        indicators:
          - id: half
            metric: halved
            params: {expr: "days_to_months(days) * 2"}
            normalize: {linear: {worst: 0, best: 10}}
            weight: 1
        """, load_registry(["acme_per_account_expr"]))
    record = healthcore.score(ruleset, [{"account_id": "d1", "days": 3 * MONTH}]).to_records()[0]
    assert record["errors"] == []
    assert record["indicators"]["half"]["value"] == pytest.approx(3.0, abs=1e-9)
    assert record["score"] == pytest.approx(30.0, abs=1e-9)


VECTOR_FAULT_PLUGIN = """
    from healthcore import Metric, hookimpl

    def usage_index(inputs, params):
        raise KeyError("usage_api_version")

    @hookimpl
    def healthcore_register_metrics(register):
        register(Metric(
            "usage_index", "the product's own usage index", usage_index,
            {"type": "object", "properties": {
                "events": {"type": "string", "default": "events",
                           "description": "field with the events"}}},
            {"events": "count"}))
"""


def test_vectorized_metric_raising_is_named_and_spares_the_other_indicators(
        site: Path) -> None:
    """DESIGN.md, Reliability: a plugin that raises is named in the error; one bad plugin does
    not take the others down, whichever way (vectorized or per account) it computes."""
    write_module(site, "usage_vendor", VECTOR_FAULT_PLUGIN)
    ruleset = compile_ruleset(DISPUTES_RULESET.replace("{metric}", "usage_index"),
                              load_registry(["usage_vendor"]))
    results = by_id(healthcore.score(ruleset, [
        {"account_id": "c1", "days_invoice_overdue": 0, "events": 10},
        {"account_id": "c2", "days_invoice_overdue": 20, "events": 3},
    ]))
    assert results["c1"]["score"] == pytest.approx(100.0, abs=1e-9)
    assert results["c2"]["score"] == pytest.approx(50.0, abs=1e-9)
    for record in results.values():
        assert record["indicators"]["disputes"]["value"] is None
        assert any("usage_index" in error and "usage_vendor" in error
                   for error in record["errors"]), record["errors"]


# ------------------------------------------------------------------- --plugin on the CLI

ACME_RULESET = """
healthcore: 1
name: acme
indicators:
  - id: idle_seats
    metric: idle_seats
    normalize: {linear: {worst: 10, best: 0}}
    weight: 1
  - id: dunning
    metric: dunning_stage
    params: {days_overdue: overdue}
    normalize: {linear: {worst: 4, best: 0}}
    weight: 1
tiers:
  - {name: healthy, min: 70}
  - {name: unhealthy, min: 0}
"""


def test_cli_plugin_option_loads_an_extra_module(site: Path, tmp_path: Path) -> None:
    write_module(site, "acme_health.metrics", good_plugin("idle_seats"))
    listing = cli("plugins", "--plugin", "acme_health.metrics")
    assert listing.exit_code == EXIT_OK, listing.output
    assert "acme_health.metrics (command line)" in listing.output
    assert "  idle_seats: seats paid for but not used  [acme_health.metrics]" in listing.output
    assert f"{BILLING} " in listing.output  # entry points still load beside it

    ruleset = tmp_path / "acme.yaml"
    ruleset.write_text(ACME_RULESET, encoding="utf-8")
    accounts = tmp_path / "acme.csv"
    # x: 2 idle seats -> 80 pts, stage 1 -> 75 pts -> 77.5; y: 10 idle -> 0, stage 0 -> 100 -> 50
    accounts.write_text("account_id,seats,used,overdue\nx,12,10,5\ny,10,0,0\n", encoding="utf-8")
    without = cli("evaluate", str(ruleset), str(accounts), "-f", "json")
    assert without.exit_code == EXIT_INVALID
    assert "unknown metric 'idle_seats'" in without.output
    scored = cli("evaluate", str(ruleset), str(accounts), "-f", "json",
                 "--plugin", "acme_health.metrics")
    assert scored.exit_code == EXIT_OK, scored.output
    records = {r["account_id"]: r for r in json.loads(scored.stdout)}
    assert records["x"]["score"] == pytest.approx(77.5, abs=1e-9)
    assert records["y"]["score"] == pytest.approx(50.0, abs=1e-9)
    assert (records["x"]["tier"], records["y"]["tier"]) == ("healthy", "unhealthy")


def test_console_script_plugin_option_with_pythonpath(tmp_path: Path) -> None:
    extra = tmp_path / "extra"
    write_module(extra, "acme_script_plugin", good_plugin("idle_seats_script"))
    pythonpath = os.pathsep.join(filter(None, [str(extra), os.environ.get("PYTHONPATH")]))
    completed = subprocess.run(
        [healthcore_script(), "plugins", "-f", "json", "--plugin", "acme_script_plugin"],
        capture_output=True, text=True, env=script_env(PYTHONPATH=pythonpath), timeout=120)
    assert completed.returncode == EXIT_OK, completed.stderr
    catalogue = json.loads(completed.stdout)
    assert {"name": "acme_script_plugin", "source": "command line", "version": ""} \
        in catalogue["plugins"]
    assert {m["name"]: m["plugin"] for m in catalogue["metrics"]}["idle_seats_script"] \
        == "acme_script_plugin"


def test_console_script_plugin_option_imports_from_the_current_directory(
        tmp_path: Path) -> None:
    """As the docs say: a module file in the current directory is a --plugin module, even
    though an installed console script does not put that directory on sys.path."""
    write_module(tmp_path, "myplugin", good_plugin("idle_seats_here"))
    (tmp_path / "idle.yaml").write_text(
        "healthcore: 1\nname: idle\nindicators:\n"
        "  - {id: idle, metric: idle_seats_here, normalize: {linear: {worst: 10, best: 0}},\n"
        "     weight: 1}\n"
        "tiers:\n  - {name: any, min: 0}\n", encoding="utf-8")
    (tmp_path / "accounts.csv").write_text("account_id,seats,used\nx,12,10\n",
                                           encoding="utf-8")
    env = script_env(PYTHONPATH="")  # nothing but the current directory can provide it

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([healthcore_script(), *args], cwd=tmp_path, capture_output=True,
                              text=True, env=env, timeout=120)

    listed = run("plugins", "-f", "json", "--plugin", "myplugin")
    assert listed.returncode == EXIT_OK, listed.stderr
    assert {m["name"]: m["plugin"] for m in json.loads(listed.stdout)["metrics"]}[
        "idle_seats_here"] == "myplugin"
    scored = run("evaluate", "idle.yaml", "accounts.csv", "-f", "json", "--plugin", "myplugin")
    assert scored.returncode == EXIT_OK, scored.stderr
    assert json.loads(scored.stdout)[0]["indicators"]["idle"]["value"] == 2.0
    missing = run("plugins", "--plugin", "notmyplugin")
    assert missing.returncode == EXIT_INVALID
    assert missing.stderr == ("error: cannot import plugin module 'notmyplugin': "
                              "ModuleNotFoundError: No module named 'notmyplugin'\n")


@pytest.mark.parametrize("command", [["plugins"],
                                     ["validate", str(REPO / "rulesets" / "saas-b2b.yaml")]])
def test_cli_plugin_option_with_a_missing_module_exits_2_naming_it(command: list[str]) -> None:
    result = cli(*command, "--plugin", "no_such_healthcore_plugin.metrics")
    assert result.exit_code == EXIT_INVALID, result.output
    assert "no_such_healthcore_plugin.metrics" in result.output
    assert "Traceback" not in result.output


def test_cli_plugin_option_with_a_bad_hook_signature_is_reported_not_a_crash(
        site: Path) -> None:
    """A --plugin module whose hook takes an argument the spec does not have is the plugin's
    fault: the user sees its name and the problem, not a pluggy traceback."""
    write_module(site, "acme_bad_args", """
        from healthcore import hookimpl

        @hookimpl
        def healthcore_register_metrics(registry):
            pass
    """)
    result = cli("plugins", "--plugin", "acme_bad_args")
    assert result.exit_code in (EXIT_OK, EXIT_INVALID), repr(result.exception)
    assert "acme_bad_args" in result.output
    assert "registry" in result.output


# -------------------------------------------- fault containment with real entry points

@pytest.mark.parametrize(("entry_point", "modules", "message"), [
    ("hc_broken_plugin", {"hc_broken_plugin": "raise RuntimeError('BILLING_API_KEY unset')\n"},
     "RuntimeError: BILLING_API_KEY unset"),
    ("hc_absent_plugin", {}, "ModuleNotFoundError"),
    ("hc_syntax_plugin", {"hc_syntax_plugin": "def healthcore_register_metrics(:\n"},
     "SyntaxError"),
    ("hc_attr_plugin:plugin", {"hc_attr_plugin": "x = 1\n"}, "AttributeError"),
])
def test_plugin_failing_to_import_is_named_and_the_others_load(
        site: Path, entry_point: str, modules: dict[str, str], message: str) -> None:
    install_fake_distribution(site, "hc-fake-broken", {"broken": entry_point}, modules)
    install_fake_distribution(site, "hc-fake-good", {"good": "hc_good_plugin"},
                              {"hc_good_plugin": good_plugin("good_metric")})
    registry = load_registry()
    assert problems_naming(registry, "'broken'", message), registry.problems
    assert "broken" not in plugin_names(registry)
    assert plugin_names(registry)["good"] == "entry point"
    assert registry.metrics["good_metric"].plugin == "good"
    assert registry.metrics["dunning_stage"].plugin == BILLING
    assert set(BUILTIN_METRICS) <= set(registry.metrics)

    result = cli("plugins")  # the user sees the problem and everything else still works
    assert result.exit_code == EXIT_OK, result.output
    assert "warning: plugin 'broken'" in result.output
    assert "  good_metric: " in result.output and "  dunning_stage: " in result.output


RAISING_HOOK = """
    from healthcore import hookimpl

    @hookimpl
    def healthcore_register_metrics(register):
        raise RuntimeError("licence server unreachable")
"""


def test_plugin_whose_register_hook_raises_is_named_and_skipped(site: Path) -> None:
    install_fake_distribution(site, "hc-fake-raiser", {"raiser": "hc_raiser_plugin"},
                              {"hc_raiser_plugin": RAISING_HOOK})
    install_fake_distribution(site, "hc-fake-good2", {"good2": "hc_good2_plugin"},
                              {"hc_good2_plugin": good_plugin("good2_metric")})
    registry = load_registry()
    assert problems_naming(registry, "'raiser'", "healthcore_register_metrics",
                           "RuntimeError: licence server unreachable"), registry.problems
    assert not [m for m in registry.metrics.values() if m.plugin == "raiser"]
    assert registry.metrics["good2_metric"].plugin == "good2"
    assert {"dunning_stage", "payment_reliability"} <= set(registry.metrics)
    assert "days_to_months" in registry.functions  # the other hook of every plugin still ran


def test_plugin_raising_half_way_through_registering_is_skipped_whole(site: Path) -> None:
    """Skipped means none of what the plugin registered before raising is used: a metric of a
    half-registered plugin would be scored while its siblings are silently missing."""
    install_fake_distribution(site, "hc-fake-halfway", {"halfway": "hc_halfway_plugin"}, {
        "hc_halfway_plugin": good_plugin("halfway_metric") + textwrap.indent(
            "raise RuntimeError('second metric broke')\n", " " * 8)})
    registry = load_registry()
    assert problems_naming(registry, "'halfway'", "second metric broke"), registry.problems
    assert "halfway_metric" not in registry.metrics
    assert registry.metrics["dunning_stage"].plugin == BILLING


def test_two_plugins_registering_one_metric_name_are_both_named(site: Path,
                                                                tmp_path: Path) -> None:
    install_fake_distribution(site, "hc-fake-alpha", {"alpha": "hc_alpha_plugin"},
                              {"hc_alpha_plugin": good_plugin("churn_risk")})
    install_fake_distribution(site, "hc-fake-beta", {"beta": "hc_beta_plugin"},
                              {"hc_beta_plugin": good_plugin("churn_risk")})
    registry = load_registry()
    assert problems_naming(registry, "churn_risk", "alpha", "beta"), registry.problems
    assert "churn_risk" not in registry.metrics  # neither wins silently
    assert registry.metrics["dunning_stage"].plugin == BILLING

    body = """
        indicators:
          - id: churn
            metric: churn_risk
            normalize: {linear: {worst: 10, best: 0}}
            weight: 1
        """
    with pytest.raises(RulesetError) as caught:
        compile_ruleset(body, registry)
    [diagnostic] = caught.value.diagnostics
    assert "churn_risk" in diagnostic.message
    assert "alpha" in diagnostic.message and "beta" in diagnostic.message
    assert diagnostic.path == ("indicators", 0, "metric") and diagnostic.line is not None

    path = tmp_path / "churn.yaml"
    path.write_text("healthcore: 1\nname: churn\n" + textwrap.dedent(body) + TIERS,
                    encoding="utf-8")
    result = cli("validate", str(path))
    assert result.exit_code == EXIT_INVALID
    assert "alpha" in result.output and "beta" in result.output


def test_a_plugin_cannot_replace_a_builtin_function(site: Path) -> None:
    """Like a duplicate metric, a second 'round' is reported with both plugins named; the one
    registered first (the built-in) stays, so installing a plugin never changes what an
    existing ruleset computes."""
    install_fake_distribution(site, "hc-fake-shadow", {"shadow": "hc_shadow_plugin"}, {
        "hc_shadow_plugin": """
            from healthcore import ExpressionFunction, hookimpl

            @hookimpl
            def healthcore_register_functions(register):
                register(ExpressionFunction("round", lambda x: x * 0, lambda x: 0.0,
                                            summary="not the round you know"))
        """})
    registry = load_registry()
    assert problems_naming(registry, "'round'", "shadow", "healthcore.builtin.functions"), \
        registry.problems
    assert registry.functions["round"].plugin == "healthcore.builtin.functions"


def test_plugin_with_a_misspelt_hook_is_reported_and_skipped(site: Path) -> None:
    install_fake_distribution(site, "hc-fake-typo", {"typo": "hc_typo_plugin"}, {
        "hc_typo_plugin": """
            from healthcore import ExpressionFunction, hookimpl

            @hookimpl
            def healthcore_register_metric(register):  # the hook is ..._metrics
                pass

            @hookimpl
            def healthcore_register_functions(register):
                register(ExpressionFunction("typo_fn", lambda x: x, lambda x: x))
        """})
    registry = load_registry()
    assert problems_naming(registry, "'typo'", "healthcore_register_metric"), registry.problems
    assert "typo" not in plugin_names(registry)
    assert "typo_fn" not in registry.functions  # the whole plugin is skipped
    assert plugin_names(registry)[BILLING] == "entry point"
    assert "days_to_months" in registry.functions


INVALID_METRICS = {
    "bad name": ('Metric("Churn-Risk", "x", compute)', "Churn-Risk"),
    "input not in the parameter schema": (
        'Metric("bad_input", "x", compute, {"type": "object", "properties": {}},'
        ' {"seats": "number"})', "input 'seats' is not a property"),
    "unknown input kind": (
        'Metric("bad_kind", "x", compute, {"type": "object", "properties": '
        '{"seats": {"type": "string"}}}, {"seats": "integer"})', "unknown kind 'integer'"),
    "not a Metric": ('{"name": "dict_metric"}', "is not a healthcore.Metric"),
    "compute not callable": ('Metric("not_callable", "x", 42)', "compute is not callable"),
}


@pytest.mark.parametrize("case", INVALID_METRICS, ids=list(INVALID_METRICS))
def test_invalid_metric_is_reported_naming_the_plugin(site: Path, case: str) -> None:
    construction, message = INVALID_METRICS[case]
    install_fake_distribution(site, "hc-fake-invalid", {"invalid": "hc_invalid_plugin"}, {
        "hc_invalid_plugin": f"""
            from healthcore import Metric, hookimpl

            def compute(inputs, params):
                return inputs["seats"]

            @hookimpl
            def healthcore_register_metrics(register):
                register({construction})
                register(Metric("valid_sibling", "still fine", compute))
        """})
    registry = load_registry()
    assert problems_naming(registry, "'invalid'", "invalid metric", message), registry.problems
    invalid_names = {"Churn-Risk", "bad_input", "bad_kind", "dict_metric", "not_callable"}
    assert not invalid_names & set(registry.metrics)
    assert registry.metrics["valid_sibling"].plugin == "invalid"
    assert registry.metrics["dunning_stage"].plugin == BILLING


def install_metric_with_an_invalid_schema(site: Path) -> None:
    """The plugin 'invalid': the metric 'bad_schema', whose parameter schema is not valid JSON
    Schema, and the valid metric 'valid_sibling'."""
    install_fake_distribution(site, "hc-fake-invalid", {"invalid": "hc_invalid_plugin"}, {
        "hc_invalid_plugin": """
            from healthcore import Metric, hookimpl

            def compute(inputs, params):
                return inputs["seats"]

            @hookimpl
            def healthcore_register_metrics(register):
                register(Metric("bad_schema", "x", compute,
                                {"type": "object", "properties": {"seats": {"type": "objekt"}}},
                                {"seats": "number"}))
                register(Metric("valid_sibling", "still fine", compute,
                                {"type": "object", "properties": {"seats": {"type": "string"}}},
                                {"seats": "number"}))
        """})


def indicator_of(metric: str) -> str:
    return f"""
        indicators:
          - id: seats
            metric: {metric}
            params: {{seats: seats}}
            normalize: {{linear: {{worst: 0, best: 10}}}}
            weight: 1
    """


def test_invalid_parameter_schema_is_reported_where_a_ruleset_uses_the_metric(
        site: Path) -> None:
    install_metric_with_an_invalid_schema(site)
    registry = load_registry()
    assert not problems_naming(registry, "bad_schema"), registry.problems
    assert compile_ruleset(indicator_of("valid_sibling"), registry).indicators[0].id == "seats"
    with pytest.raises(RulesetError) as caught:
        compile_ruleset(indicator_of("bad_schema"), registry)
    [diagnostic] = caught.value.diagnostics
    assert diagnostic.line == 5 and diagnostic.code == "invalid-metric"
    assert diagnostic.message == (
        "the metric 'bad_schema' of plugin 'invalid' cannot be used: its parameter schema is "
        "not valid JSON Schema: 'objekt' is not valid under any of the given schemas")
    with pytest.raises(RulesetError) as again:  # the same answer from the checked schema
        compile_ruleset(indicator_of("bad_schema"), registry)
    assert [d.message for d in again.value.diagnostics] == [diagnostic.message]


def test_plugins_listing_checks_every_parameter_schema(site: Path) -> None:
    install_metric_with_an_invalid_schema(site)
    message = ("plugin 'invalid' registered an invalid metric: 'bad_schema': its parameter "
               "schema is not valid JSON Schema: 'objekt' is not valid under any of the given "
               "schemas")
    listing = cli("plugins")
    assert listing.exit_code == EXIT_OK
    assert f"warning: {message}" in listing.output
    assert "valid_sibling" in listing.output and "bad_schema:" not in listing.output
    listed = json.loads(cli("plugins", "-f", "json").stdout)
    assert message in listed["problems"]
    assert "bad_schema" not in {metric["name"] for metric in listed["metrics"]}
    registry = load_registry()
    assert registry.check_parameter_schemas() == [message]
    assert message in registry.problems
    assert "bad_schema" not in registry.metrics and "valid_sibling" in registry.metrics


# ------------------------------------------------------------------------ the hook contract

def hook_specs() -> dict[str, Any]:
    """Every hook specification in healthcore.plugin.hookspecs."""
    return {name: function for name, function in inspect.getmembers(hookspecs,
                                                                      inspect.isfunction)
            if hasattr(function, "healthcore_spec")}


def test_every_hook_has_a_docstring() -> None:
    specs = hook_specs()
    assert {"healthcore_register_metrics", "healthcore_register_functions"} <= set(specs)
    for name, function in specs.items():
        doc = inspect.getdoc(function) or ""
        assert len(doc.split()) >= 10, f"hook {name} is not documented"


def test_the_example_plugin_implements_every_registration_hook() -> None:
    """healthcore-billing is the worked example for plugin authors: it shows every hook that
    registers something (delivering alerts is shown in docs/plugins.md and
    tests/engine/test_early_warning.py)."""
    module = importlib.import_module("healthcore_billing")
    assert module.__doc__
    for name in (name for name in hook_specs() if name.startswith("healthcore_register_")):
        implementation = getattr(module, name, None)
        assert implementation is not None, f"healthcore_billing does not show hook {name}"
        assert hasattr(implementation, "healthcore_impl"), f"{name} is not a @hookimpl"
