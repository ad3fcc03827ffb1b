"""``healthcore validate``: check rulesets without scoring anything."""

from __future__ import annotations

import click

from healthcore.cli.commands.common import (EXIT_CODES_HELP, accounts_or_fail, fail, input_options,
                                            plugin_option, registry_or_fail, say_error)
from healthcore.errors import RulesetError


@click.command(name="validate", epilog=EXIT_CODES_HELP)
@click.argument("rulesets", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--sample", type=click.Path(dir_okay=False, allow_dash=True), metavar="ACCOUNTS",
              help="Also check the fields the rulesets read against these accounts (CSV, TSV, "
                   "JSON, JSONL or Parquet; '-' for standard input).")
@input_options(accounts="the --sample file", aliases=("--sample-format",))
@plugin_option
def command(rulesets: tuple[str, ...], sample: str | None, input_format: str | None,
            delimiter: str | None, encoding: str | None, plugins: tuple[str, ...]) -> None:
    """Check RULESETS without scoring anything; report every problem of each file, and
    advice (warnings) on the valid ones.

    \b
    Examples:
      healthcore validate rulesets/*.yaml
      healthcore validate rulesets/saas-b2b.yaml --sample rulesets/saas-b2b.accounts.csv
    """
    from healthcore.authoring.advice import advise
    from healthcore.ruleset import load_ruleset

    registry = registry_or_fail(plugins)
    accounts = (accounts_or_fail(sample, input_format, delimiter=delimiter, encoding=encoding)
                if sample is not None else None)
    failed = 0
    for path in rulesets:
        try:
            compiled = load_ruleset(path, registry=registry)
        except RulesetError as exc:
            failed += 1
            for diagnostic in exc.diagnostics:
                say_error(str(diagnostic))
            continue
        warnings = advise(compiled, sample=accounts,
                          sample_name="<stdin>" if sample == "-" else sample)
        for warning in warnings:
            say_error(str(warning))
        count = len(warnings)
        advice = f"; {count} warning{'s' if count != 1 else ''}" if count else ""
        click.echo(f"{path}: ok ({len(compiled.indicators)} indicators, "
                   f"{len(compiled.actions)} actions, {len(compiled.tiers)} tiers){advice}")
    if failed:
        fail(f"{failed} of {len(rulesets)} rulesets are invalid")
