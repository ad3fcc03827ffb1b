"""``healthcore alerts``: the alerts open in a score history (a thin layer over
:func:`healthcore.jobs.alerts.open_alerts`)."""

from __future__ import annotations

import json

import click

from healthcore.cli.commands.common import EXIT_CODES_HELP, fail, format_option
from healthcore.errors import HealthcoreError

TEXT_LIMIT = 100
"""Accounts the text format shows by default."""


@click.command(name="alerts", epilog=EXIT_CODES_HELP)
@click.option("--history", "db", metavar="DB", required=True,
              help="The score history: the SQLite file or PostgreSQL URL given to "
                   "healthcore evaluate --history.")
@click.option("--ruleset", metavar="NAME", help="Only the alerts of this ruleset (its name).")
@click.option("--new", "new_only", is_flag=True,
              help="Only the alerts the latest run raised (not those of episodes going on).")
@click.option("--limit", type=click.IntRange(min=0), metavar="N",
              help=f"The alerts of the first N accounts only (0: all). Default: "
                   f"{TEXT_LIMIT} with the text format, all with json.")
@format_option("text", "json")
def command(db: str, ruleset: str | None, new_only: bool, limit: int | None, fmt: str) -> None:
    """List the alerts open in the latest run of each ruleset, grouped by account: the
    accounts with the most severe alert first, then the lowest score; which alerts, since
    when (the start of their episode), and why.

    Alerts are declared in the ruleset's alerts: section and evaluated by healthcore
    evaluate --history; an alert is raised once per episode.

    \b
    Examples:
      healthcore alerts --history history.db
      healthcore alerts --history history.db --ruleset saas-b2b --new -f json
    """
    from healthcore.jobs.alerts import first_accounts, open_alerts

    try:
        found = open_alerts(db, ruleset, new_only=new_only)
    except HealthcoreError as exc:
        fail(str(exc))
    if limit is None:
        limit = TEXT_LIMIT if fmt == "text" else 0
    shown = first_accounts(found, limit)
    if fmt == "json":
        click.echo(json.dumps({"alerts": shown.to_dicts(),
                               "not_shown": found.height - shown.height}, indent=2))
        return
    if found.is_empty():
        click.echo("no open alerts")
        return
    from rich.console import Console

    from healthcore.cli.render.history import render_alerts

    render_alerts(found, shown, Console())
