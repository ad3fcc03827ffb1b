"""What a score history holds, as the CLI shows it: the open alerts, the overrides, one
account's timeline, a deleted run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from healthcore.cli.render import columns, text_cell
from healthcore.cli.render.numbers import fixed, signed
from healthcore.jobs.alerts import ACCOUNT, accounts_in

if TYPE_CHECKING:
    import polars as pl
    from rich.console import Console
    from rich.table import Table

    from healthcore.history import Entry


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'s' if count != 1 else ''}"


def render_alerts(found: "pl.DataFrame", shown: "pl.DataFrame", console: "Console") -> None:
    """Print the open alerts ``shown`` (of all those ``found``: :mod:`healthcore.jobs.alerts`)
    as a table, one row per account, and how many are not shown."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    styles = {"critical": "bold red", "warning": "yellow", "info": "cyan"}
    runs = found.select("ruleset", "as_of").unique(maintain_order=True)
    several = runs.height > 1
    where = "" if several else f" in {runs['ruleset'][0]} on {runs['as_of'][0]}"
    title = (f"{_plural(found.height, 'open alert')} on {_plural(accounts_in(found), 'account')}"
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
    console.print(table)
    hidden = found.height - shown.height
    if hidden:
        console.print(text_cell(
            f"{_plural(accounts_in(found) - accounts_in(shown), 'more account')} "
            f"({_plural(hidden, 'alert')}) not shown: --limit N shows more, --limit 0 all"))


def overrides_table(rows: "pl.DataFrame", title: str) -> "Table":
    """The overrides as a rich table that keeps the reason readable at 80 columns: four
    columns, the override with the rulesets it is for (unless it is for all), and the reason
    with who recorded it and when."""
    from rich.table import Table
    from rich.text import Text

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


def render_timeline(account: str, entries: list["Entry"], sparkline: str) -> str:
    """One account's runs, oldest first: as-of date, score, tier, change and the indicators
    whose points moved most, under a line with the sparkline of the score."""
    rows = []
    for entry in entries:
        moved = ", ".join(f"{m['indicator']} {m['change']:+.1f} ({m['previous']:.1f} -> "
                          f"{m['points']:.1f})" for m in entry.movers)
        rows.append((entry.as_of, fixed(entry.score, 1, missing=""), entry.tier or "not scored",
                     signed(entry.delta), moved))
    return "\n".join([f"{account} ({entries[0].ruleset}): {len(entries)} "
                      f"run{'s' if len(entries) != 1 else ''}  {sparkline}",
                      *columns(("as of", "score", "tier", "delta", "moved most"), rows,
                               left=(0, 2, 4), indent="")])


def render_deleted(deleted: dict[str, Any]) -> str:
    """What :meth:`healthcore.history.HistoryStore.delete_run` deleted, in one line."""
    alerts = deleted["alerts"]
    return (f"deleted the run of {deleted['ruleset']} on {deleted['as_of']}: "
            f"{deleted['accounts']} account{'s' if deleted['accounts'] != 1 else ''}, "
            f"{alerts} alert{'s' if alerts != 1 else ''}")
