"""``healthcore explain``: one account's score, explained (a thin layer over
:func:`healthcore.jobs.explain.explain_account`)."""

from __future__ import annotations

import json
import sys
import click

from healthcore.errors import HealthcoreError
from healthcore.cli.commands.common import (EXIT_CODES_HELP, EXIT_UNSCORED, fail, format_option,
                                            input_options, plugin_option, registry_or_fail,
                                            ruleset_or_fail, warn)


@click.command(name="explain", epilog=EXIT_CODES_HELP)
@click.argument("ruleset", type=click.Path(dir_okay=False))
@click.argument("accounts", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--account", "account_id", required=True, metavar="ID",
              help="The id of the account to explain (the value of the ruleset's account_id "
                   "field).")
@click.option("--row", type=click.IntRange(min=0), metavar="N",
              help="When the id is on several rows of ACCOUNTS, the one to explain (its "
                   "position in ACCOUNTS, from 0; default: the first).")
@format_option("text", "json", aliases=("panel", "table"))
@input_options
@plugin_option
def command(ruleset: str, accounts: str, account_id: str, row: int | None, fmt: str,
            input_format: str | None, delimiter: str | None, encoding: str | None,
            plugins: tuple[str, ...]) -> None:
    """Explain the score of one account of ACCOUNTS (CSV, TSV, JSON, JSONL or Parquet; '-' for
    standard input) scored with RULESET: each indicator's value, points, weight and
    contribution (by group), the segment, the actions that fired, the tiers' thresholds and
    the reasons. The whole batch is scored, since percentile tiers depend on it.

    \b
    Examples:
      healthcore explain rulesets/saas-b2b.yaml rulesets/saas-b2b.accounts.csv --account ACC-1006
      healthcore explain rulesets/saas-b2b.yaml accounts.parquet --account ACC-1006 -f json

    \b
    The reasons say what each costly indicator cost, with its value:
      Seat usage 0.31 (target 0.8) cost 14.2 points
    """
    from healthcore.io.readers import read_accounts
    from healthcore.jobs.explain import explain_account

    compiled = ruleset_or_fail(ruleset, registry_or_fail(plugins))
    try:
        done = explain_account(compiled, read_accounts(accounts, input_format,
                                                       delimiter=delimiter, encoding=encoding),
                               account_id, row=row)
    except HealthcoreError as exc:
        fail(str(exc))
    for warning in done.warnings:
        warn(warning)
    explained = done.explanation
    if fmt == "json":
        click.echo(json.dumps(explained, indent=2, ensure_ascii=False))
    else:
        from rich.console import Console

        from healthcore.cli.render.explain import render_explanation

        render_explanation(explained, Console())
    if explained["status"] != "ok":
        warn(f"account '{account_id}' could not be scored (status: error): "
             + "; ".join(explained["errors"]))
        sys.exit(EXIT_UNSCORED)
