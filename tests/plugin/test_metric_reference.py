"""The generated metric reference: ``healthcore plugins --format markdown`` and docs/metrics.md,
which must be exactly its output for the built-in plugins, so that the page cannot drift."""

from __future__ import annotations

import difflib
import re
import textwrap

import pytest
from click.testing import CliRunner

from helpers import REPO
from healthcore.authoring.reference import REGENERATE, metric_reference
from healthcore.cli.main import main
from healthcore.plugin.registry import DISABLE_ENV, default_registry, load_registry

METRICS_MD = REPO / "docs" / "metrics.md"


def markdown(*args: str, disable: bool = True) -> str:
    """What ``healthcore plugins --format markdown ARGS`` prints, from a fresh registry."""
    env = {DISABLE_ENV: "1" if disable else ""}
    default_registry.cache_clear()
    try:
        result = CliRunner().invoke(main, ["plugins", "--format", "markdown", *args], env=env)
    finally:
        default_registry.cache_clear()
    assert result.exit_code == 0, result.output
    return result.stdout


def test_docs_metrics_md_is_the_generated_reference():
    generated = markdown()
    committed = METRICS_MD.read_text(encoding="utf-8") if METRICS_MD.exists() else ""
    if committed != generated:
        diff = "".join(list(difflib.unified_diff(
            committed.splitlines(keepends=True), generated.splitlines(keepends=True),
            "docs/metrics.md", "generated"))[:40])
        pytest.fail(f"docs/metrics.md is not the generated metric reference; regenerate it "
                    f"from the repository root with:\n\n    {REGENERATE}\n\n{diff}",
                    pytrace=False)


def test_the_regeneration_command_is_documented():
    assert REGENERATE in (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    assert REGENERATE in (REPO / "docs" / "plugins.md").read_text(encoding="utf-8")


def test_every_builtin_metric_parameter_and_function_is_in_the_reference(builtin_registry):
    text = metric_reference(builtin_registry)
    for name, metric in builtin_registry.metrics.items():
        assert f"| [`{name}`](#{name}) | " in text
        section = text.split(f"\n### {name}\n", 1)[1].split("\n### ", 1)[0]
        assert f"Plugin: `{metric.plugin}`" in section
        required = set(metric.parameters.get("required", []))
        for param in metric.parameters.get("properties", {}):
            row = re.search(rf"^\| `{param}` \| (.*) \|$", section, re.MULTILINE)
            assert row, f"{name}.{param} has no row"
            cells = row.group(1).split(" | ")
            assert cells[1] == ("yes" if param in required else "no")
    for name in builtin_registry.functions:
        assert re.search(rf"^\| `{name}` \| ", text, re.MULTILINE), name


def test_the_reference_of_a_plugin(tmp_path, monkeypatch):
    """Types, bounds, enums, defaults, inputs, per-account metrics and literal arguments."""
    (tmp_path / "ref_plugin.py").write_text(textwrap.dedent('''
        from healthcore import ExpressionFunction, Metric, hookimpl

        def plan_points(values, params):
            """raw = points of the plan | from the table."""
            return None

        @hookimpl
        def healthcore_register_metrics(register):
            register(Metric(
                "plan_points", "points for the account's plan", plan_points,
                {"type": "object", "required": ["ranks"], "properties": {
                    "plan": {"type": "string", "default": "plan",
                             "description": "field with the plan"},
                    "ranks": {"type": "object", "additionalProperties": {"type": "number"},
                              "description": "points per plan"},
                    "mode": {"enum": ["strict", "lenient"], "default": "strict",
                             "description": "how to match | names"},
                    "cap": {"type": ["number", "null"], "exclusiveMinimum": 0,
                            "maximum": 100, "description": "highest points"},
                    "levels": {"type": "array", "minItems": 2,
                               "items": {"type": "integer", "minimum": 0}},
                    "extra": {"anyOf": [{"type": "string"}, {"type": "boolean"}]},
                }},
                {"plan": "text"}, per_account=True, description=plan_points.__doc__))

        @hookimpl
        def healthcore_register_functions(register):
            register(ExpressionFunction("scale", lambda x, k: x * k, lambda x, k: None,
                                        2, 2, literal_from=1, summary="scale(x, k): x times k"))
    '''), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    text = metric_reference(load_registry(["ref_plugin"], entry_point_plugins=False))
    section = text.split("\n### plan_points\n", 1)[1].split("\n#", 1)[0]
    assert section.startswith("\npoints for the account's plan\n\nPlugin: `ref_plugin`. "
                              "Computed: per account (the engine calls it once per account: "
                              "slower).\n\n```text\nraw = points of the plan | from the table."
                              "\n```\n")
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    assert rows == [
        "| `plan` | string | no | `\"plan\"` | text field | field with the plan |",
        "| `ranks` | object of number | yes |  |  | points per plan |",
        "| `mode` | one of `\"strict\"`, `\"lenient\"` | no | `\"strict\"` |  | how to match "
        "\\| names |",
        "| `cap` | number or null (> 0, <= 100) | no |  |  | highest points |",
        "| `levels` | array (at least 2 items) of integer (>= 0) | no |  |  |  |",
        "| `extra` | string or boolean | no |  |  |  |",
    ]
    assert ("| `scale` | 2 (number); from argument 2 on, numbers written in the expression | "
            "number | scale(x, k): x times k | `ref_plugin` |") in text


def test_installed_plugins_are_in_the_reference_unless_disabled():
    with_plugins = markdown(disable=False)
    assert "### dunning_stage" in with_plugins
    assert "Plugin: `billing`. Computed: per account" in with_plugins
    assert "(`HEALTHCORE_DISABLE_PLUGINS` is set)" not in with_plugins
    without = markdown()
    assert "dunning_stage" not in without
    assert "Installed plugins (entry points) were not loaded (`HEALTHCORE_DISABLE_PLUGINS` is " \
           "set)." in without
