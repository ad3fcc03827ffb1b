"""``healthcore alerts``: the alerts open in a score history."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from healthcore.errors import HealthcoreError
from healthcore.cli.commands.common import EXIT_CODES_HELP, fail

if TYPE_CHECKING:
    import polars as pl

TABLE_LIMIT = 100
"""Accounts the table shows by default."""

ACCOUNT = ("ruleset", "account_id")
"""The columns naming one account's alerts (an account may be in several rulesets)."""


@click.command(name="alerts", epilog=EXIT_CODES_HELP)
@click.option("--history", "db", metavar="DB", required=True,
              help="The score history: the SQLite file or PostgreSQL URL given to "
                   "healthcore evaluate --history.")
@click.option("--ruleset", metavar="NAME", help="Only the alerts of this ruleset (its name).")
@click.option("--new", "new_only", is_flag=True,
              help="Only the alerts the latest run raised (not those of episodes going on).")
@click.option("--limit", type=click.IntRange(min=0), metavar="N",
              help=f"The alerts of the first N accounts only (0: all). Default: "
                   f"{TABLE_LIMIT} with the table, all with json.")
@click.option("-f", "--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="table for people, json for tools.")
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
    from healthcore.history import open as open_history

    try:
        with open_history(db, read_only=True) as store:
            found = store.open_alerts(ruleset)
    except HealthcoreError as exc:
        fail(str(exc))
    if new_only:
        found = found.filter(found["raised"])
    found = by_account(found)
    if limit is None:
        limit = TABLE_LIMIT if fmt == "table" else 0
    shown = first_accounts(found, limit)
    if fmt == "json":
        click.echo(json.dumps({"alerts": shown.to_dicts(),
                               "not_shown": found.height - shown.height}, indent=2))
        return
    _table(found, shown)


def by_account(found: "pl.DataFrame") -> "pl.DataFrame":
    """``found`` with each account's alerts together: the accounts whose most severe alert is
    the most severe first, then the lowest score first; within an account, most severe
    first."""
    import polars as pl

    from healthcore.history.alerts import SEVERITY_ORDER

    rank = pl.col("severity").replace_strict(SEVERITY_ORDER, default=len(SEVERITY_ORDER))
    return (found.with_columns(_rank=rank)
            .with_columns(_worst=pl.col("_rank").min().over(ACCOUNT))
            .sort(["_worst", "score", *ACCOUNT, "_rank", "since", "alert"], nulls_last=True)
            .drop("_rank", "_worst"))


def first_accounts(found: "pl.DataFrame", limit: int) -> "pl.DataFrame":
    """The alerts of the first ``limit`` accounts of ``found`` (0: all), as
    :func:`by_account` orders them."""
    if not limit:
        return found
    import polars as pl

    starts = pl.any_horizontal(pl.col(c).ne_missing(pl.col(c).shift()) for c in ACCOUNT)
    return found.filter(starts.cum_sum() <= limit)


def _accounts(frame: "pl.DataFrame") -> int:
    return frame.select(ACCOUNT).n_unique() if frame.height else 0


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'s' if count != 1 else ''}"


def _table(found: "pl.DataFrame", shown: "pl.DataFrame") -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from healthcore.cli.render import text_cell

    if found.is_empty():
        click.echo("no open alerts")
        return
    styles = {"critical": "bold red", "warning": "yellow", "info": "cyan"}
    runs = found.select("ruleset", "as_of").unique(maintain_order=True)
    several = runs.height > 1
    where = "" if several else f" in {runs['ruleset'][0]} on {runs['as_of'][0]}"
    title = (f"{_plural(found.height, 'open alert')} on {_plural(_accounts(found), 'account')}"
             f"{where} (new: raised by the latest run)")
    table = Table(title=text_cell(title), title_justify="left", box=box.SIMPLE_HEAD,
                  padding=(0, 1))
    table.add_column("alert", no_wrap=True)
    table.add_column("account", overflow="fold", min_width=8, max_width=16)
    table.add_column("score", justify="right", no_wrap=True)
    table.add_column("tier", overflow="fold", max_width=14)
    table.add_column("why", overflow="fold", ratio=1, min_width=20)
    if several:
        table.add_column("ruleset", overflow="fold", max_width=20)
    for _, alerts in shown.group_by(ACCOUNT, maintain_order=True):
        first = alerts.row(0, named=True)
        alert = Text("\n").join(
            Text("\n").join([
                text_cell(row["alert"]),
                text_cell(row["severity"], styles.get(row["severity"], ""))
                + Text(" new" if row["raised"] else "", "bold"),
                text_cell(f"since {row['since']}")])
            for row in alerts.iter_rows(named=True))
        why = "\n".join(alerts["message"].cast(str).fill_null("").to_list())
        cells = (first["account_id"],
                 "" if first["score"] is None else f"{first['score']:.1f}", first["tier"],
                 why, *([f"{first['ruleset']} {first['as_of']}"] if several else []))
        table.add_row(alert, *map(text_cell, cells))
    console = Console()
    console.print(table)
    hidden = found.height - shown.height
    if hidden:
        console.print(text_cell(
            f"{_plural(_accounts(found) - _accounts(shown), 'more account')} "
            f"({_plural(hidden, 'alert')}) not shown: --limit N shows more, --limit 0 all"))
