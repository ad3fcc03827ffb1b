"""``healthcore overrides``: the manual overrides in force, or their whole audit trail (a thin
layer over :func:`healthcore.jobs.overrides.list_overrides`)."""

from __future__ import annotations

import json

import click

from healthcore.cli.commands.common import EXIT_CODES_HELP, fail, format_option
from healthcore.errors import HealthcoreError


@click.command(name="overrides", epilog=EXIT_CODES_HELP)
@click.argument("account", required=False)
@click.option("--history", "db", metavar="DB", required=True,
              help="The score history: the SQLite file or PostgreSQL URL.")
@click.option("--all", "trail", is_flag=True,
              help="Every change ever recorded (the audit trail), not only those in force.")
@click.option("--as-of", metavar="DATE", help="Those in force on this date (default: today).")
@format_option("text", "json")
def command(account: str | None, db: str, trail: bool, as_of: str | None, fmt: str) -> None:
    """List the manual overrides in force (of ACCOUNT, or of every account), exactly as the
    runs of healthcore evaluate --history apply them, or with --all every change made with
    healthcore override: who, why, when, from and until.

    \b
    Examples:
      healthcore overrides --history history.db
      healthcore overrides ACC-1001 --history history.db --all -f json
    """
    from healthcore.jobs.overrides import list_overrides

    try:
        listing = list_overrides(db, account, as_of=as_of, trail=trail)
    except HealthcoreError as exc:
        fail(str(exc))
    rows, late, day = listing.overrides, listing.after_runs, listing.day
    if fmt == "json":
        click.echo(json.dumps({"overrides": rows.to_dicts(),
                               **({} if late is None else {"after_runs": late.to_dicts()})},
                              indent=2))
        return
    from rich.console import Console

    from healthcore.cli.render.history import overrides_table

    if rows.is_empty():
        click.echo("no override recorded" if trail else f"no override in force on {day}")
    else:
        Console().print(overrides_table(rows, "every override change, oldest first" if trail
                                        else f"overrides in force on {day}"))
    if late is not None and not late.is_empty():
        Console().print(overrides_table(late, f"recorded after the run of {day}: not in force "
                                              f"on {day} for these rulesets, from their next "
                                              "run on"))
