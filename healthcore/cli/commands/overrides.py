"""``healthcore overrides``: the manual overrides in force, or their whole audit trail."""

from __future__ import annotations

import json

import click

from healthcore.errors import HealthcoreError
from healthcore.cli.commands.common import EXIT_CODES_HELP, fail, format_option


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
    from healthcore.history import as_of_date
    from healthcore.history import open as open_history
    from healthcore.history.overrides import after_runs, in_force_everywhere

    try:
        day = as_of_date(as_of)
        with open_history(db, read_only=True) as store:
            rows = store.override_trail(account)
            applied = store.overrides_applied(day)
    except HealthcoreError as exc:
        fail(str(exc))
    late = rows.clear()
    if not trail:
        rows = in_force_everywhere(rows, day)
        late = after_runs(rows, applied)
        rows = rows.join(late.select("id"), on="id", how="anti", maintain_order="left")
    if fmt == "json":
        click.echo(json.dumps({"overrides": rows.to_dicts(),
                               **({} if trail else {"after_runs": late.to_dicts()})}, indent=2))
        return
    from rich.console import Console

    if rows.is_empty():
        click.echo("no override recorded" if trail else f"no override in force on {day}")
    else:
        Console().print(_table(rows, "every override change, oldest first" if trail
                               else f"overrides in force on {day}"))
    if not late.is_empty():
        Console().print(_table(late, f"recorded after the run of {day}: not in force on {day} "
                                     "for these rulesets, from their next run on"))


def _table(rows, title: str):
    """The overrides as a rich table that keeps the reason readable at 80 columns: four
    columns, the override with the rulesets it is for (unless it is for all), and the reason
    with who recorded it and when."""
    from rich.table import Table
    from rich.text import Text

    from healthcore.cli.render import text_cell

    table = Table(title=title, title_justify="left")
    table.add_column("account", overflow="fold", max_width=24)
    table.add_column("override", overflow="fold", max_width=20)
    table.add_column("in force", max_width=13)
    table.add_column("reason", overflow="fold")
    for row in rows.iter_rows(named=True):
        override = text_cell(row["kind"] if row["tier"] is None
                             else f"{row['kind']} {row['tier']}")
        rulesets = (", ".join(row["after_runs"]) if "after_runs" in row else
                    row["ruleset"] or (row.get("except_rulesets") and
                                       f"all but {', '.join(row['except_rulesets'])}"))
        if rulesets:
            override += Text("\n") + text_cell(f"for {rulesets}", style="dim")
        until = f" to {row['until']}" if row["until"] else ""
        reason = text_cell(row["reason"]) + Text("\n") + text_cell(
            f"recorded {row['recorded_at'][:10]} by {row['author']}", style="dim")
        table.add_row(text_cell(row["account_id"]), override,
                      text_cell(f"{row['starts']}{until}"), reason)
    return table
