"""``healthcore history``: one account's scores over the runs recorded with ``--history``."""

from __future__ import annotations

import json

import click

from ..errors import HealthcoreError
from .common import EXIT_CODES_HELP, fail, show


@click.command(name="history", epilog=EXIT_CODES_HELP)
@click.argument("account")
@click.option("--history", "db", metavar="DB", required=True,
              help="The score history: the SQLite file or PostgreSQL URL given to "
                   "healthcore evaluate --history.")
@click.option("--ruleset", metavar="NAME",
              help="The ruleset (its name) whose runs to show; needed only when the account "
                   "was scored by several.")
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text for people, json for tools.")
def command(account: str, db: str, ruleset: str | None, fmt: str) -> None:
    """Show the timeline of ACCOUNT: for each recorded run, its as-of date, score, tier,
    change since the previous run and the indicators whose points moved most, with a
    sparkline of the score.

    \b
    Examples:
      healthcore evaluate rulesets/saas-b2b.yaml accounts.csv --history history.db
      healthcore history ACC-1001 --history history.db
      healthcore history ACC-1001 --history postgresql://cs@db/health --ruleset saas-b2b -f json
    """
    from ..history import open as open_history
    from ..history import sparkline

    try:
        with open_history(db, create=False) as store:
            entries = store.timeline(account, ruleset)
    except HealthcoreError as exc:
        fail(str(exc))
    line = sparkline([entry.score for entry in entries])
    if fmt == "json":
        click.echo(json.dumps({"account_id": account, "ruleset": entries[0].ruleset,
                               "sparkline": line,
                               "runs": [entry.to_dict() for entry in entries]}, indent=2))
        return
    show(f"{account} ({entries[0].ruleset}): {len(entries)} "
               f"run{'s' if len(entries) != 1 else ''}  {line}")
    rows = [("as of", "score", "tier", "delta", "moved most")]
    for entry in entries:
        moved = ", ".join(f"{m['indicator']} {m['change']:+.1f} ({m['previous']:.1f} -> "
                          f"{m['points']:.1f})" for m in entry.movers)
        rows.append((entry.as_of, _number(entry.score), entry.tier or "not scored",
                     _number(entry.delta, sign=True), moved))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        show(f"{row[0]:<{widths[0]}}  {row[1]:>{widths[1]}}  {row[2]:<{widths[2]}}  "
             f"{row[3]:>{widths[3]}}  {row[4]}".rstrip())


def _number(value: float | None, *, sign: bool = False) -> str:
    if value is None:
        return ""
    return f"{value:+.1f}" if sign else f"{value:.1f}"
