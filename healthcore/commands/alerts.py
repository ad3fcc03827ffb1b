"""``healthcore alerts``: the alerts open in a score history."""

from __future__ import annotations

import json

import click

from ..errors import HealthcoreError
from .common import EXIT_CODES_HELP, fail


@click.command(name="alerts", epilog=EXIT_CODES_HELP)
@click.option("--history", "db", metavar="DB", required=True,
              help="The score history: the SQLite file or PostgreSQL URL given to "
                   "healthcore evaluate --history.")
@click.option("--ruleset", metavar="NAME", help="Only the alerts of this ruleset (its name).")
@click.option("--new", "new_only", is_flag=True,
              help="Only the alerts the latest run raised (not those of episodes going on).")
@click.option("-f", "--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="table for people, json for tools.")
def command(db: str, ruleset: str | None, new_only: bool, fmt: str) -> None:
    """List the alerts open in the latest run of each ruleset, most severe first: which
    alert, which account, since when (the start of its episode), and why.

    Alerts are declared in the ruleset's alerts: section and evaluated by healthcore
    evaluate --history; an alert is raised once per episode.

    \b
    Examples:
      healthcore alerts --history history.db
      healthcore alerts --history history.db --ruleset saas-b2b --new -f json
    """
    from ..history import open as open_history

    try:
        with open_history(db, read_only=True) as store:
            found = store.open_alerts(ruleset)
    except HealthcoreError as exc:
        fail(str(exc))
    if new_only:
        found = found.filter(found["raised"])
    if fmt == "json":
        click.echo(json.dumps({"alerts": found.to_dicts()}, indent=2))
        return
    _table(found)


def _table(found) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from ..display import text_cell

    if found.is_empty():
        click.echo("no open alerts")
        return
    styles = {"critical": "bold red", "warning": "yellow", "info": "cyan"}
    runs = found.select("ruleset", "as_of").unique(maintain_order=True)
    several = runs.height > 1
    where = "" if several else f" in {runs['ruleset'][0]} on {runs['as_of'][0]}"
    title = (f"{found.height} open alert{'s' if found.height != 1 else ''}{where} "
             "(new: raised by the latest run)")
    table = Table(title=text_cell(title), title_justify="left", box=box.SIMPLE_HEAD,
                  padding=(0, 1))
    table.add_column("alert", no_wrap=True)
    table.add_column("account", overflow="fold", min_width=8, max_width=16)
    table.add_column("score", justify="right", no_wrap=True)
    table.add_column("tier", overflow="fold", max_width=14)
    table.add_column("why", overflow="fold", ratio=1, min_width=20)
    if several:
        table.add_column("ruleset", overflow="fold", max_width=20)
    for row in found.iter_rows(named=True):
        alert = Text("\n").join([
            text_cell(row["alert"]),
            text_cell(row["severity"], styles.get(row["severity"], ""))
            + Text(" new" if row["raised"] else "", "bold"),
            text_cell(f"since {row['since']}")])
        cells = (row["account_id"], "" if row["score"] is None else f"{row['score']:.1f}",
                 row["tier"],
                 row["message"], *([f"{row['ruleset']} {row['as_of']}"] if several else []))
        table.add_row(alert, *map(text_cell, cells))
    Console().print(table)
