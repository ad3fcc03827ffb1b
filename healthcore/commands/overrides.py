"""``healthcore overrides``: the manual overrides in force, or their whole audit trail."""

from __future__ import annotations

import json

import click

from ..errors import HealthcoreError
from .common import EXIT_CODES_HELP, fail


@click.command(name="overrides", epilog=EXIT_CODES_HELP)
@click.argument("account", required=False)
@click.option("--history", "db", metavar="DB", required=True,
              help="The score history: the SQLite file or PostgreSQL URL.")
@click.option("--all", "trail", is_flag=True,
              help="Every change ever recorded (the audit trail), not only those in force.")
@click.option("--as-of", metavar="DATE", help="Those in force on this date (default: today).")
@click.option("-f", "--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="table for people, json for tools.")
def command(account: str | None, db: str, trail: bool, as_of: str | None, fmt: str) -> None:
    """List the manual overrides in force (of ACCOUNT, or of every account), or with --all
    every change made with healthcore override: who, why, when, from and until.

    \b
    Examples:
      healthcore overrides --history history.db
      healthcore overrides ACC-1001 --history history.db --all -f json
    """
    from ..history import as_of_date
    from ..history import open as open_history
    from ..history.overrides import in_force

    try:
        day = as_of_date(as_of)
        with open_history(db, create=False) as store:
            rows = store.override_trail(account)
    except HealthcoreError as exc:
        fail(str(exc))
    if not trail:
        rows = in_force(rows, None, day)
    if fmt == "json":
        click.echo(json.dumps({"overrides": rows.to_dicts()}, indent=2))
        return
    if rows.is_empty():
        click.echo("no override recorded" if trail else f"no override in force on {day}")
        return
    from rich.console import Console
    from rich.table import Table

    from ..display import text_cell

    title = "every override change, oldest first" if trail else f"overrides in force on {day}"
    table = Table(title=title, title_justify="left")
    for name in ("account", "kind", "tier", "ruleset", "from", "until", "by", "recorded"):
        table.add_column(name, no_wrap=True)
    table.add_column("reason", overflow="fold", ratio=1)
    for row in rows.iter_rows(named=True):
        table.add_row(*map(text_cell, (
            row["account_id"], row["kind"], row["tier"], row["ruleset"] or "all", row["starts"],
            row["until"], row["author"], row["recorded_at"][:10], row["reason"])))
    Console().print(table)
