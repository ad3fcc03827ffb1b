"""``healthcore history``: one account's scores over the runs recorded with ``--history``, or
the deletion of a run."""

from __future__ import annotations

import json

import click

from healthcore.errors import HealthcoreError
from healthcore.cli.commands.common import EXIT_CODES_HELP, fail, format_option, show


@click.command(name="history", epilog=EXIT_CODES_HELP)
@click.argument("account", required=False)
@click.option("--history", "db", metavar="DB", required=True,
              help="The score history: the SQLite file or PostgreSQL URL given to "
                   "healthcore evaluate --history.")
@click.option("--ruleset", metavar="NAME",
              help="The ruleset (its name) whose runs to show, or whose run to delete; "
                   "needed only when the account was scored by several, or several rulesets "
                   "have a run that day.")
@click.option("--delete", is_flag=True,
              help="Delete the run of --as-of (with its scores, points and alerts) instead "
                   "of showing an account.")
@click.option("--as-of", metavar="YYYY-MM-DD", help="With --delete: the date of the run.")
@format_option("text", "json")
def command(account: str | None, db: str, ruleset: str | None, delete: bool,
            as_of: str | None, fmt: str) -> None:
    """Show the timeline of ACCOUNT: for each recorded run, its as-of date, score, tier,
    change since the previous run and the indicators whose points moved most, with a
    sparkline of the score. With --delete --as-of DATE, delete the run of that date instead.

    \b
    Examples:
      healthcore evaluate rulesets/saas-b2b.yaml accounts.csv --history history.db
      healthcore history ACC-1001 --history history.db
      healthcore history ACC-1001 --history postgresql://cs@db/health --ruleset saas-b2b -f json
      healthcore history --delete --as-of 2204-01-31 --ruleset saas-b2b --history history.db
    """
    from healthcore.history import open as open_history
    from healthcore.history import sparkline

    if delete:
        _delete(account, db, ruleset, as_of, fmt)
        return
    if account is None:
        fail("give the ACCOUNT whose history to show, or --delete --as-of DATE to delete a run")
    if as_of is not None:
        fail("--as-of goes with --delete (the run to delete); the history of an account shows "
             "every run")
    try:
        with open_history(db, read_only=True) as store:
            entries = store.timeline(account, ruleset)
    except HealthcoreError as exc:
        fail(str(exc))
    line = sparkline([entry.score for entry in entries])
    if fmt == "json":
        click.echo(json.dumps({"account_id": account, "ruleset": entries[0].ruleset,
                               "sparkline": line,
                               "runs": [entry.to_dict() for entry in entries]}, indent=2))
        return
    from healthcore.cli.render.history import render_timeline

    show(render_timeline(account, entries, line))


def _delete(account: str | None, db: str, ruleset: str | None, as_of: str | None,
            fmt: str) -> None:
    """Delete the run of ``ruleset`` on ``as_of`` and say what was deleted."""
    from healthcore.history import open as open_history
    from healthcore.history.overrides import validated_date

    if account is not None:
        fail(f"--delete deletes a whole run, not the history of one account: leave out "
             f"'{account}'")
    if as_of is None:
        fail("--delete needs the date of the run to delete: --as-of YYYY-MM-DD")
    try:
        day = validated_date(as_of, "--as-of")
        with open_history(db, create=False) as store:
            deleted = store.delete_run(day, ruleset)
    except HealthcoreError as exc:
        fail(str(exc))
    if fmt == "json":
        click.echo(json.dumps({"deleted": deleted}, indent=2))
        return
    from healthcore.cli.render.history import render_deleted

    show(render_deleted(deleted))
