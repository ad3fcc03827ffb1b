"""``healthcore summary``: the portfolio view of scored accounts (a thin layer over
:func:`healthcore.jobs.summary.summarize_accounts`)."""

from __future__ import annotations

import json
import sys

import click

from healthcore.errors import HealthcoreError
from healthcore.cli.commands.common import (EXIT_CODES_HELP, EXIT_UNSCORED, accounts_or_fail, fail,
                                            format_option, input_options, plugin_option,
                                            registry_or_fail, ruleset_or_fail, show, warn)


@click.command(name="summary", epilog=EXIT_CODES_HELP)
@click.argument("ruleset", type=click.Path(dir_okay=False))
@click.argument("accounts", type=click.Path(dir_okay=False, allow_dash=True))
@format_option("text", "json")
@input_options
@plugin_option
def command(ruleset: str, accounts: str, fmt: str, input_format: str | None,
            delimiter: str | None, encoding: str | None, plugins: tuple[str, ...]) -> None:
    """Score ACCOUNTS (CSV, TSV, JSON, JSONL or Parquet; '-' for standard input) with RULESET
    and sum up the portfolio, overall, per segment and per tier: accounts, mean score, tier
    mix, and where the ruleset's metrics provide them NPS, CSAT, churn and renewal rates
    (from the summed counts), MRR, ARR and NRR totals, and the MRR at risk (that of the
    accounts in the red tiers, or the lowest tier).

    \b
    Examples:
      healthcore summary rulesets/saas-b2b.yaml rulesets/saas-b2b.accounts.csv
      healthcore summary rulesets/saas-b2b.yaml accounts.parquet -f json
    """
    from healthcore.jobs.summary import summarize_accounts
    from healthcore.cli.render.analysis import render_summary

    compiled = ruleset_or_fail(ruleset, registry_or_fail(plugins))
    frame = accounts_or_fail(accounts, input_format, delimiter=delimiter,
                             encoding=encoding)
    try:
        results, summary = summarize_accounts(compiled, frame)
    except HealthcoreError as exc:
        fail(str(exc))
    for warning in results.warnings:
        warn(warning)
    if fmt == "json":
        click.echo(json.dumps(summary.to_dict(), indent=2))
    else:
        show(render_summary(summary))
    if results.unscorable:
        warn(f"{results.unscorable} of {len(results)} accounts could not be scored "
             "(status: error); they count in the accounts and the business figures, not in "
             "the mean score")
        sys.exit(EXIT_UNSCORED)
