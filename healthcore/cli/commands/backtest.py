"""``healthcore backtest``: how well a ruleset's scores foretold known outcomes."""

from __future__ import annotations

import json
import sys
from typing import Any, Callable

import click

from healthcore.errors import HealthcoreError
from healthcore.cli.commands.common import (EXIT_CODES_HELP, EXIT_UNSCORED, accounts_or_fail, fail,
                                            format_option, input_options, plugin_option,
                                            registry_or_fail, ruleset_or_fail, show, warn)


def outcome_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options that say where the outcome is and how to read it, and the accounts'
    format (shared with ``healthcore calibrate``)."""
    options = [
        click.option("--outcome", required=True, metavar="FIELD",
                     help="The accounts' field holding the known outcome (churned or not, "
                          "renewed or not)."),
        click.option("--good-when", "good_when", multiple=True, metavar="VALUE",
                     help="A value of FIELD that means a good outcome (retained, renewed); "
                          "repeatable. --good-when yes for a field such as 'renewed'."),
        click.option("--bad-when", "bad_when", multiple=True, metavar="VALUE",
                     help="A value of FIELD that means a bad outcome (churned, lost); "
                          "repeatable."),
    ]
    for option in reversed(options):
        command = option(command)
    return input_options(command)


@click.command(name="backtest", epilog=EXIT_CODES_HELP)
@click.argument("ruleset", type=click.Path(dir_okay=False))
@click.argument("accounts", type=click.Path(dir_okay=False, allow_dash=True))
@outcome_options
@format_option("text", "json")
@plugin_option
def command(ruleset: str, accounts: str, outcome: str, good_when: tuple[str, ...],
            bad_when: tuple[str, ...], input_format: str | None, delimiter: str | None,
            encoding: str | None, fmt: str,
            plugins: tuple[str, ...]) -> None:
    """Score ACCOUNTS, whose outcome is known, with RULESET and measure how well the score
    foretold it: the churn rate and lift of each tier, the AUC of the score, and for each
    indicator its AUC, coverage and contribution, flagging those that do not separate the
    outcomes or point the wrong way.

    \b
    Examples:
      healthcore backtest rulesets/telco.yaml telco-customer-churn.csv --outcome Churn
      healthcore backtest acme.yaml accounts.parquet --outcome renewed --good-when yes -f json
    """
    from healthcore.analysis.backtest import UNSCORED, backtest
    from healthcore.cli.render.analysis import render_backtest

    registry = registry_or_fail(plugins)
    compiled = ruleset_or_fail(ruleset, registry)
    frame = accounts_or_fail(accounts, input_format, delimiter=delimiter,
                             encoding=encoding)
    try:
        result = backtest(compiled, frame, outcome, good_when=good_when or None,
                          bad_when=bad_when or None)
    except HealthcoreError as exc:
        fail(str(exc))
    for message in result.warnings:
        warn(message)
    show(json.dumps(result.to_dict(), indent=2) if fmt == "json" else render_backtest(result))
    unscored = sum(t.accounts for t in result.tiers if t.tier == UNSCORED)
    if unscored:
        warn(f"{unscored} of the {result.labelled} accounts with a known outcome could not be "
             "scored; they are left out of the AUC (tier: unscored)")
        sys.exit(EXIT_UNSCORED)
