"""The ``healthcore`` command: a thin layer over the Python API."""

from __future__ import annotations

import json
import sys
from typing import Any, Callable, NoReturn

import click

from .errors import HealthcoreError, RulesetError

EXIT_OK, EXIT_UNSCORED, EXIT_INVALID = 0, 1, 2

EXIT_CODES_HELP = """\b
Exit codes:
  0  every account was scored (or every ruleset is valid)
  1  some accounts could not be scored; they are still in the
     output, with status "error" and the reason in "errors"
  2  a ruleset, an input file or the command line is invalid
"""


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_INVALID)


def _warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


def plugin_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--plugin", "plugins", multiple=True, metavar="MODULE",
                        help="Also load this plugin module (importable path); repeatable.")(command)


def _registry(plugins: tuple[str, ...]):
    from .plugins import default_registry, load_registry

    try:
        registry = load_registry(plugins) if plugins else default_registry()
    except HealthcoreError as exc:
        _fail(str(exc))
    for problem in registry.problems:
        _warn(problem)
    return registry


def _load(path: str, registry):
    from .loader import load_ruleset

    try:
        return load_ruleset(path, registry=registry)
    except RulesetError as exc:
        for diagnostic in exc.diagnostics:
            click.echo(str(diagnostic), err=True)
        count = len(exc.diagnostics)
        _fail(f"{path}: {count} problem{'s' if count > 1 else ''}; the ruleset was not used")


@click.group(epilog=EXIT_CODES_HELP)
@click.version_option(package_name="healthcore")
def main() -> None:
    """Score customer health from a YAML ruleset.

    \b
    Try it:
      healthcore evaluate rulesets/saas-b2b.yaml rulesets/saas-b2b.accounts.csv
    """


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("ruleset", type=click.Path(dir_okay=False))
@click.argument("accounts", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("-f", "--format", "fmt",
              type=click.Choice(["table", "json", "jsonl", "csv", "parquet"]),
              help="Output format. Default: from the -o extension, else table.")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write the results to this file (atomically) instead of standard output.")
@click.option("--input-format", type=click.Choice(["csv", "tsv", "json", "jsonl", "parquet"]),
              help="Format of ACCOUNTS when its extension does not tell (or it is '-').")
@click.option("--limit", default=100, show_default=True,
              help="Rows shown by the table format, worst first (0: all).")
@plugin_option
def evaluate(ruleset: str, accounts: str, fmt: str | None, output: str | None,
             input_format: str | None, limit: int, plugins: tuple[str, ...]) -> None:
    """Score ACCOUNTS (CSV, TSV, JSON, JSONL or Parquet; '-' for standard input) with RULESET.

    \b
    Examples:
      healthcore evaluate rulesets/saas-b2b.yaml rulesets/saas-b2b.accounts.csv
      healthcore evaluate rulesets/saas-b2b.yaml accounts.parquet -o scores.parquet
      cat accounts.jsonl | healthcore evaluate rulesets/saas-b2b.yaml - -f json
    """
    from .io.readers import read_accounts
    from .io.writers import write_file, write_stdout

    fmt = fmt or _output_format(output)
    if output and fmt == "table":
        _fail("the table format is for the terminal; write files with -f json, jsonl, csv "
              "or parquet")
    compiled = _load(ruleset, _registry(plugins))
    try:
        results = compiled.score(read_accounts(accounts, input_format), explain=True)
    except HealthcoreError as exc:
        _fail(str(exc))
    for warning in results.warnings:
        _warn(warning)
    if fmt == "table":
        from rich.console import Console

        from .display import render_table
        render_table(results, Console(), limit)
    elif output:
        write_file(results, fmt, output)
    else:
        write_stdout(results, fmt)
    if results.unscorable:
        _warn(f"{results.unscorable} of {len(results)} accounts could not be scored "
              "(status: error)")
        sys.exit(EXIT_UNSCORED)


def _output_format(output: str | None) -> str:
    if not output:
        return "table"
    from .io.readers import format_of

    found = format_of(output)
    if found in ("json", "jsonl", "csv", "parquet"):
        return found
    _fail(f"cannot tell the output format from '{output}': give -f json, jsonl, csv or parquet")


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("rulesets", nargs=-1, required=True, type=click.Path(dir_okay=False))
@plugin_option
def validate(rulesets: tuple[str, ...], plugins: tuple[str, ...]) -> None:
    """Check RULESETS without scoring anything; report every problem of each file.

    \b
    Example:
      healthcore validate rulesets/*.yaml
    """
    from .loader import load_ruleset

    registry = _registry(plugins)
    failed = 0
    for path in rulesets:
        try:
            compiled = load_ruleset(path, registry=registry)
        except RulesetError as exc:
            failed += 1
            for diagnostic in exc.diagnostics:
                click.echo(str(diagnostic), err=True)
            continue
        click.echo(f"{path}: ok ({len(compiled.indicators)} indicators, "
                   f"{len(compiled.actions)} actions, {len(compiled.tiers)} tiers)")
    if failed:
        _fail(f"{failed} of {len(rulesets)} rulesets are invalid")


@main.command(name="plugins", epilog=EXIT_CODES_HELP)
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@plugin_option
def plugins_command(fmt: str, plugins: tuple[str, ...]) -> None:
    """List the plugins, their metrics with each metric's parameters, and the functions.

    \b
    Example:
      healthcore plugins --plugin my_company.health_metrics
    """
    registry = _registry(plugins)
    catalogue = {
        "plugins": [{"name": p.name, "source": p.source, "version": p.version}
                    for p in registry.plugins],
        "metrics": [{"name": m.name, "plugin": m.plugin, "summary": m.summary,
                     "per_account": m.per_account, "inputs": dict(m.inputs),
                     "parameters": dict(m.parameters)}
                    for m in sorted(registry.metrics.values(), key=lambda m: m.name)],
        "functions": [{"name": f.name, "plugin": f.plugin, "summary": f.summary}
                      for f in sorted(registry.functions.values(), key=lambda f: f.name)],
        "problems": registry.problems,
    }
    if fmt == "json":
        click.echo(json.dumps(catalogue, indent=2))
        return
    click.echo("Plugins:")
    for plugin in catalogue["plugins"]:
        version = f" {plugin['version']}" if plugin["version"] else ""
        click.echo(f"  {plugin['name']}{version} ({plugin['source']})")
    click.echo("\nMetrics:")
    for metric in catalogue["metrics"]:
        click.echo(f"  {metric['name']}: {metric['summary']}  [{metric['plugin']}]")
        spec = metric["parameters"]
        required = set(spec.get("required", []))
        for name, prop in spec.get("properties", {}).items():
            details = [prop.get("type", "any")]
            if name in metric["inputs"]:
                details.append(f"{metric['inputs'][name]} field"
                               if metric["inputs"][name] != "expression" else "expression")
            if name in required:
                details.append("required")
            if "default" in prop:
                details.append(f"default {prop['default']!r}")
            click.echo(f"      {name} ({', '.join(details)}): {prop.get('description', '')}")
    click.echo("\nFunctions in expressions:")
    for function in catalogue["functions"]:
        click.echo(f"  {function['name']}: {function['summary']}  [{function['plugin']}]")


if __name__ == "__main__":
    main()
