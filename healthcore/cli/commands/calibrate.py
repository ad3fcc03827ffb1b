"""``healthcore calibrate``: weights (and tier thresholds) learned from known outcomes."""

from __future__ import annotations

import json

import click

from healthcore.errors import HealthcoreError
from healthcore.cli.commands.backtest import outcome_options
from healthcore.cli.commands.common import (accounts_or_fail, fail, format_option, plugin_option,
                                            registry_or_fail, ruleset_or_fail, show, warn)

EXIT_CODES_CALIBRATE = """\b
Exit codes:
  0  the weights were learned (and written with -o)
  2  a ruleset, an input file or the command line is invalid,
     or the outcomes do not allow calibrating (nothing is written)
"""


@click.command(name="calibrate", epilog=EXIT_CODES_CALIBRATE)
@click.argument("ruleset", type=click.Path(dir_okay=False))
@click.argument("accounts", type=click.Path(dir_okay=False, allow_dash=True))
@outcome_options
@click.option("-o", "--output", type=click.Path(dir_okay=False), metavar="NEW.yaml",
              help="Write the calibrated ruleset here (without it, only the report is shown).")
@click.option("--force", is_flag=True,
              help="Replace the --output file if it exists, even if it is RULESET itself.")
@click.option("--tiers", is_flag=True,
              help="Also choose the tier thresholds (by default only the weights change).")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=0, show_default=True,
              help="Seed of the choice of the held-out accounts (as numpy takes it: 0 to "
                   "4294967295).")
@click.option("--test-share", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              default=0.3, show_default=True,
              help="Share of the accounts with a known outcome held out to compare the old "
                   "and the new ruleset.")
@format_option("text", "json")
@plugin_option
def command(ruleset: str, accounts: str, outcome: str, good_when: tuple[str, ...],
            bad_when: tuple[str, ...], input_format: str | None, delimiter: str | None,
            encoding: str | None, output: str | None,
            force: bool, tiers: bool, seed: int, test_share: float, fmt: str,
            plugins: tuple[str, ...]) -> None:
    """Learn the weights of RULESET (and with --tiers its tier thresholds) from ACCOUNTS
    whose outcome is known, and show the backtest of the old and the new ruleset on held-out
    accounts side by side. With -o, write the new ruleset: the old one with only those
    numbers changed, comments and all.

    \b
    Examples:
      healthcore calibrate rulesets/telco.yaml telco.csv --outcome Churn -o telco-new.yaml
      healthcore calibrate acme.yaml accounts.csv --outcome renewed --good-when yes --tiers -f json
    """
    from healthcore.jobs.calibrate import calibrate_ruleset
    from healthcore.cli.render.analysis import render_calibration

    registry = registry_or_fail(plugins)
    compiled = ruleset_or_fail(ruleset, registry)
    frame = accounts_or_fail(accounts, input_format, delimiter=delimiter,
                             encoding=encoding)
    try:
        result = calibrate_ruleset(compiled, frame, outcome, output=output or None,
                                   force=force, good_when=good_when or None,
                                   bad_when=bad_when or None, tiers=tiers, seed=seed,
                                   test_share=test_share, registry=registry)
    except HealthcoreError as exc:
        fail(str(exc))
    for message in result.warnings:
        warn(message)
    if fmt == "json":
        click.echo(json.dumps({**result.to_dict(), "written": output}, indent=2))
        return
    show(render_calibration(result))
    click.echo(f"\nwritten: {output}" if output else
               "\nnot written: give -o NEW.yaml to write the calibrated ruleset")
