"""``healthcore report``: one self-contained HTML report of scored accounts (a thin layer over
:func:`healthcore.jobs.report.report`)."""

from __future__ import annotations

import sys

import click

from healthcore.errors import HealthcoreError
from healthcore.cli.commands.common import (EXIT_CODES_HELP, EXIT_UNSCORED, accounts_or_fail, fail,
                                            input_options, plugin_option, registry_or_fail,
                                            ruleset_or_fail, warn)


@click.command(name="report", epilog=EXIT_CODES_HELP)
@click.argument("ruleset", type=click.Path(dir_okay=False))
@click.argument("accounts", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The HTML file to write (atomically), such as report.html.")
@click.option("--outcome", metavar="FIELD",
              help="Add the backtest: the field of ACCOUNTS holding each account's known "
                   "outcome (churned or not).")
@click.option("--history", metavar="DB",
              help="Add the trends: the score history (SQLite file or PostgreSQL URL) where "
                   "runs of RULESET were recorded with healthcore evaluate --history.")
@click.option("--top", default=20, show_default=True, type=click.IntRange(min=1),
              help="How many accounts the attention table lists, lowest score first.")
@input_options
@plugin_option
def command(ruleset: str, accounts: str, output: str, outcome: str | None,
            history: str | None, top: int, input_format: str | None,
            delimiter: str | None, encoding: str | None, plugins: tuple[str, ...]) -> None:
    """Score ACCOUNTS (CSV, TSV, JSON, JSONL or Parquet; '-' for standard input) with RULESET
    and write one HTML report that opens in any browser without a network: the tier
    distribution, the score histogram by tier, the accounts needing attention with their
    reasons, what each indicator brings, the portfolio summary, and with --outcome the
    backtest, with --history the trends.

    \b
    Examples:
      healthcore report rulesets/saas-b2b.yaml rulesets/saas-b2b.accounts.csv -o report.html
      healthcore report ruleset.yaml accounts.csv -o report.html --outcome churned
      healthcore report ruleset.yaml accounts.csv -o report.html --history history.db
    """
    from healthcore.jobs.report import report

    compiled = ruleset_or_fail(ruleset, registry_or_fail(plugins))
    frame = accounts_or_fail(accounts, input_format, delimiter=delimiter,
                             encoding=encoding)
    try:
        results = report(compiled, frame, output, outcome=outcome, history=history, top=top)
    except HealthcoreError as exc:
        fail(str(exc))
    for warning in results.warnings:
        warn(warning)
    if results.unscorable:
        warn(f"{results.unscorable} of {len(results)} accounts could not be scored "
             "(status: error); the report lists them")
        sys.exit(EXIT_UNSCORED)
