"""``healthcore diff``: what a new version of a ruleset does to the scores of the accounts."""

from __future__ import annotations

import json
import sys

import click

from healthcore.errors import HealthcoreError
from healthcore.cli.commands.common import (EXIT_CODES_HELP, EXIT_UNSCORED, fail, format_option,
                                            input_options, plugin_option, registry_or_fail,
                                            ruleset_or_fail, show, warn)


@click.command(name="diff", epilog=EXIT_CODES_HELP)
@click.argument("old", type=click.Path(dir_okay=False))
@click.argument("new", type=click.Path(dir_okay=False))
@click.argument("accounts", type=click.Path(dir_okay=False, allow_dash=True))
@format_option("text", "json", help="text for people, json for automation.")
@click.option("--top", default=10, show_default=True, type=click.IntRange(min=0),
              help="How many of the biggest movers to list (0: none).")
@input_options
@plugin_option
def command(old: str, new: str, accounts: str, fmt: str, top: int, input_format: str | None,
            delimiter: str | None, encoding: str | None, plugins: tuple[str, ...]) -> None:
    """Score ACCOUNTS with the OLD and the NEW ruleset and show what changes: how many
    accounts change tier (old tier x new tier), how the scores shift (mean, median, min, max
    and a histogram) and the accounts that move most.

    \b
    Examples:
      healthcore diff rulesets/saas-b2b.yaml acme.yaml rulesets/saas-b2b.accounts.csv
      healthcore diff old.yaml new.yaml accounts.parquet --format json --top 50
    """
    from healthcore.analysis.diff import compare
    from healthcore.cli.render.analysis import render_diff
    from healthcore.io.readers import read_accounts

    registry = registry_or_fail(plugins)
    before = ruleset_or_fail(old, registry)
    after = ruleset_or_fail(new, registry)
    try:
        frame = read_accounts(accounts, input_format, delimiter=delimiter, encoding=encoding)
        impact = compare(before, after, frame, top=top)
    except HealthcoreError as exc:
        fail(str(exc))
    if fmt == "json":
        click.echo(json.dumps(impact.to_dict(), indent=2))
    else:
        show(render_diff(impact, old, new))
    unscored = impact.frame.filter((impact.frame["old_score"].is_null())
                                   | (impact.frame["new_score"].is_null())).height
    if unscored:
        warn(f"{unscored} of {impact.accounts} accounts could not be scored by one ruleset or "
             "both (tier: unscored)")
        sys.exit(EXIT_UNSCORED)
