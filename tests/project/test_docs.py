"""Keep the user documentation true: these tests fail when the code and docs/ drift apart.

- every hook of healthcore.plugin.hookspecs has its own section in docs/plugins.md;
- every command and option of the CLI is documented in its section of docs/cli.md;
- every key of the ruleset schema is documented in docs/rulesets.md;
- every built-in metric (with its parameters) and expression function is documented;
- the complete rulesets shown in the docs load, and the example plugin of docs/plugins.md works.

``builtin_registry`` (the built-in plugins only) comes from conftest.py.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import sys
import tomllib

import click
import pytest

import healthcore
from healthcore.plugin import hookspecs
from healthcore.ruleset import expressions
from healthcore.cli.main import EXIT_INVALID, EXIT_OK, EXIT_UNSCORED, main
from healthcore.plugin.functions import ExpressionFunction
from healthcore.plugin.metric import InputKind, Metric
from healthcore.plugin.registry import DISABLE_ENV, ENTRY_POINT_GROUP, load_registry
from helpers import REPO

DOCS = REPO / "docs"
SCHEMA = json.loads((REPO / "schemas" / "ruleset.schema.json").read_text(encoding="utf-8"))

FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$", re.MULTILINE)


def read(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def without_code_blocks(text: str) -> str:
    """The text with fenced blocks blanked (same length, so positions still hold), so that
    '# comments' in them are not taken for headings."""
    return FENCE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def headings(text: str) -> list[tuple[int, str, int]]:
    """(level, heading text without backticks, position) of every heading outside code blocks."""
    return [(len(m.group(1)), m.group(2).replace("`", "").strip(), m.start())
            for m in HEADING.finditer(without_code_blocks(text))]


def section(text: str, matches) -> str:
    """The text under the first heading for which ``matches(heading_text)`` is true, up to the
    next heading of the same or a higher level."""
    found = headings(text)
    for index, (level, title, start) in enumerate(found):
        if matches(title):
            end = next((pos for lvl, _, pos in found[index + 1:] if lvl <= level), len(text))
            return text[start:end]
    raise AssertionError(f"no matching heading in the document: {matches.__doc__ or matches}")


def heading_named(name: str):
    """A predicate: the heading is ``name``, alone or followed by '(' or a space."""
    def matches(title: str) -> bool:
        return title == name or title.startswith((f"{name}(", f"{name} "))
    matches.__doc__ = name
    return matches


def code_blocks(text: str, language: str) -> list[str]:
    return [m.group(2) for m in FENCE.finditer(text) if m.group(1) == language]


def complete_rulesets(text: str) -> list[str]:
    """The ```yaml blocks that are whole rulesets: first line that is not a comment or blank is
    'healthcore: 1'."""
    found = []
    for block in code_blocks(text, "yaml"):
        lines = [line for line in block.splitlines()
                 if line.strip() and not line.lstrip().startswith("#")]
        if lines and lines[0].strip() == "healthcore: 1":
            found.append(block)
    return found


def mentions(text: str, word: str) -> bool:
    """``word`` appears as code (in backticks, possibly with more inside) or as a heading."""
    return re.search(rf"`[^`\n]*(?<![\w-]){re.escape(word)}(?![\w-])[^`\n]*`", text) is not None


# ----------------------------------------------------------------------------- plugins.md

HOOKS = sorted(name for name, function in inspect.getmembers(hookspecs, inspect.isfunction)
               if name.startswith("healthcore_"))


def test_there_are_hooks_to_document():
    assert HOOKS, "no hookspec found in healthcore.plugin.hookspecs"


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_section_in_plugins_md(hook):
    text = read("plugins.md")
    body = section(text, heading_named(hook))
    spec = getattr(hookspecs, hook)
    for argument in inspect.signature(spec).parameters:
        assert mentions(body, argument), \
            f"the section of {hook} in docs/plugins.md does not describe its argument {argument!r}"


def test_plugins_md_documents_no_hook_that_does_not_exist():
    documented = {title.split("(")[0].split()[0] for _, title, _ in headings(read("plugins.md"))
                  if title.startswith("healthcore_")}
    assert documented <= set(HOOKS), f"headings for unknown hooks: {documented - set(HOOKS)}"


def test_plugins_md_describes_the_metric_and_function_fields():
    text = read("plugins.md")
    metrics = section(text, heading_named("Metrics"))
    for field in Metric.__dataclass_fields__:
        assert mentions(metrics, field), f"Metric.{field} is not described in docs/plugins.md"
    for kind in InputKind.__args__:
        assert mentions(metrics, kind), f"the input kind {kind!r} is not in docs/plugins.md"
    functions = section(text, heading_named("Expression functions"))
    for field in ExpressionFunction.__dataclass_fields__:
        assert mentions(functions, field), \
            f"ExpressionFunction.{field} is not described in docs/plugins.md"


def test_plugins_md_names_the_entry_point_group_and_the_switch():
    text = read("plugins.md")
    assert f"[project.entry-points.{ENTRY_POINT_GROUP}]" in text
    assert mentions(text, DISABLE_ENV)
    assert mentions(read("cli.md"), DISABLE_ENV)


@pytest.fixture
def example_plugin(tmp_path, monkeypatch):
    """The plugin package of docs/plugins.md, written out and importable."""
    text = read("plugins.md")
    pyproject = tomllib.loads(code_blocks(text, "toml")[0])
    group = pyproject["project"]["entry-points"][ENTRY_POINT_GROUP]
    (module_name,) = set(group.values())
    sources = [block for block in code_blocks(text, "python")
               if block.startswith(f"# src/{module_name}/__init__.py")]
    assert len(sources) == 1, f"docs/plugins.md should show src/{module_name}/__init__.py once"
    tests = [block for block in code_blocks(text, "python")
             if f"from {module_name} import" in block and "def test_" in block]
    assert len(tests) == 1, "docs/plugins.md should show one test module for the example plugin"
    package = tmp_path / module_name
    package.mkdir()
    (package / "__init__.py").write_text(sources[0], encoding="utf-8")
    (tmp_path / "test_example_plugin.py").write_text(tests[0], encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv(DISABLE_ENV, "1")
    yield module_name
    for name in [m for m in sys.modules if m == module_name or m.startswith(module_name + ".")
                 or m == "test_example_plugin"]:
        del sys.modules[name]


def test_the_example_plugin_loads_and_its_rulesets_work(example_plugin):
    registry = load_registry([example_plugin], entry_point_plugins=False)
    assert registry.problems == []
    added = {name for name, metric in registry.metrics.items() if metric.plugin == example_plugin}
    assert added, "the example plugin registers no metric"
    rulesets = complete_rulesets(read("plugins.md"))
    assert rulesets, "docs/plugins.md shows no complete ruleset"
    for text in rulesets:
        healthcore.loads_ruleset(text, "docs/plugins.md", registry=registry)


def test_the_example_plugin_passes_its_documented_tests(example_plugin):
    module = importlib.import_module("test_example_plugin")
    tests = [function for name, function in inspect.getmembers(module, inspect.isfunction)
             if name.startswith("test_")]
    assert tests
    for test in tests:
        test()


# ----------------------------------------------------------------------------- cli.md

COMMANDS = sorted(main.commands)


def test_there_are_commands_to_document():
    assert COMMANDS


@pytest.mark.parametrize("command_name", COMMANDS)
def test_every_command_and_option_is_in_cli_md(command_name):
    body = section(read("cli.md"), heading_named(f"healthcore {command_name}"))
    command = main.commands[command_name]
    for param in command.params:
        if isinstance(param, click.Option):
            flags = [flag for flag in [*param.opts, *param.secondary_opts] if flag.startswith("--")]
            for flag in flags:
                assert mentions(body, flag), \
                    f"{flag} of 'healthcore {command_name}' is not in its section of docs/cli.md"
            if isinstance(param.type, click.Choice):
                for choice in param.type.choices:
                    assert mentions(body, choice), (
                        f"the value {choice!r} of {flags[0]} of 'healthcore {command_name}' "
                        "is not in docs/cli.md")
        elif isinstance(param, click.Argument):
            assert mentions(body, param.human_readable_name), \
                f"argument {param.human_readable_name} of 'healthcore {command_name}' is not " \
                "in docs/cli.md"


def test_cli_md_documents_no_command_that_does_not_exist():
    documented = {title.split()[1] for _, title, _ in headings(read("cli.md"))
                  if re.fullmatch(r"healthcore \w+", title)}
    assert documented <= set(COMMANDS), f"sections for unknown commands: {documented - set(COMMANDS)}"


def test_cli_md_documents_the_exit_codes():
    body = section(read("cli.md"), heading_named("Exit codes"))
    for code in (EXIT_OK, EXIT_UNSCORED, EXIT_INVALID):
        assert re.search(rf"^\|\s*{code}\s*\|", body, re.MULTILINE), \
            f"exit code {code} is not in the exit code table of docs/cli.md"


# ----------------------------------------------------------------------------- rulesets.md

def test_every_top_level_key_is_in_rulesets_md():
    text = read("rulesets.md")
    keys = section(text, heading_named("Top-level keys"))
    for key in SCHEMA["properties"]:
        assert mentions(keys, key), f"the top-level key {key!r} is not in docs/rulesets.md"
        section(keys, heading_named(key))  # each key has its own subsection
    for key in SCHEMA["properties"]["explain"]["properties"]:
        assert mentions(section(keys, heading_named("explain")), key)
    for policy in SCHEMA["$defs"]["missingPolicy"]["enum"]:
        assert mentions(section(keys, heading_named("missing")), policy)
    for kind in SCHEMA["properties"]["fields"]["additionalProperties"]["enum"]:
        assert mentions(section(keys, heading_named("fields")), kind)


@pytest.mark.parametrize("definition,heading", [
    ("indicator", "Indicators"), ("action", "Actions"), ("tier", "Tiers")])
def test_every_key_of_indicators_actions_and_tiers_is_in_rulesets_md(definition, heading):
    body = section(read("rulesets.md"), heading_named(heading))
    for key in SCHEMA["$defs"][definition]["properties"]:
        assert re.search(rf"^\|\s*`{key}`\s*\|", body, re.MULTILINE), \
            f"the {definition} key {key!r} has no row in the '{heading}' table of docs/rulesets.md"


def test_every_normalizer_is_in_rulesets_md():
    body = section(read("rulesets.md"), heading_named("Normalizers: from a value to points"))
    normalizer = SCHEMA["$defs"]["normalizer"]["properties"]
    for kind, spec in normalizer.items():
        part = section(body, heading_named(kind))
        keys = spec.get("properties") or spec.get("items", {}).get("properties", {})
        for key in keys:
            assert mentions(part, key), f"{kind}.{key} is not in docs/rulesets.md"


def test_every_tier_color_is_in_rulesets_md():
    body = section(read("rulesets.md"), heading_named("Tiers"))
    for option in SCHEMA["$defs"]["tier"]["properties"]["color"]["anyOf"]:
        for color in option.get("enum", []):
            assert mentions(body, color), f"the color {color!r} is not in docs/rulesets.md"


def test_every_builtin_metric_and_its_parameters_are_in_rulesets_md(builtin_registry):
    metrics = section(read("rulesets.md"), heading_named("Built-in metrics"))
    assert builtin_registry.metrics
    for name, metric in builtin_registry.metrics.items():
        body = section(metrics, heading_named(name))
        for param, spec in metric.parameters.get("properties", {}).items():
            assert re.search(rf"^\|\s*`{param}`\s*\|", body, re.MULTILINE), \
                f"parameter {param!r} of the metric {name!r} has no row in docs/rulesets.md"
            if "default" in spec:
                assert mentions(body, str(spec["default"])), \
                    f"the default of {name}.{param} ({spec['default']!r}) is not documented"


def test_every_builtin_function_is_in_rulesets_md(builtin_registry):
    functions = section(read("rulesets.md"), heading_named("Functions"))
    assert builtin_registry.functions
    for name in builtin_registry.functions:
        assert re.search(rf"^\|\s*`{name}\(", functions, re.MULTILINE), \
            f"the function {name}() has no row in the Functions table of docs/rulesets.md"


def test_the_expression_limits_in_rulesets_md_are_the_real_ones():
    body = section(read("rulesets.md"), heading_named("Limits"))
    for limit in (expressions.MAX_LENGTH, expressions.MAX_NODES, expressions.MAX_DEPTH,
                  expressions.MAX_TEXT, expressions.MAX_EXPONENT):
        assert f"{limit:g}" in body, f"the limit {limit:g} is not in the Limits of docs/rulesets.md"


def test_rulesets_md_points_at_the_schema():
    text = read("rulesets.md")
    assert "yaml-language-server: $schema=" in text
    assert "schemas/ruleset.schema.json" in text


@pytest.mark.parametrize("document", ["rulesets.md", "cli.md"])
def test_the_complete_rulesets_in_the_docs_load(document, builtin_registry):
    rulesets = complete_rulesets(read(document))
    if document == "rulesets.md":
        assert len(rulesets) >= 2, "docs/rulesets.md should show complete rulesets"
    for text in rulesets:
        healthcore.loads_ruleset(text, f"docs/{document}", registry=builtin_registry)


def test_the_first_ruleset_scores_as_rulesets_md_says(builtin_registry):
    """The worked example at the top of rulesets.md: its table and its JSON."""
    text = read("rulesets.md")
    ruleset = healthcore.loads_ruleset(complete_rulesets(text)[0], registry=builtin_registry)
    csv = next(block for block in code_blocks(text, "")
               if block.startswith("account_id,"))
    lines = csv.strip().splitlines()
    header = lines[0].split(",")
    accounts = [dict(zip(header, (cell or None for cell in line.split(","))))
                for line in lines[1:]]
    records = {record["account_id"]: record for record in healthcore.score(ruleset, accounts).to_records()}
    for block in code_blocks(text, "json"):
        shown = json.loads(block)
        assert records[shown["account_id"]] == shown
