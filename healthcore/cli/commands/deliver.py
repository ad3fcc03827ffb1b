"""``healthcore deliver``: deliver the alerts waiting in a score history's outbox."""

from __future__ import annotations

import click

from healthcore.errors import HealthcoreError
from healthcore.cli.commands.common import (EXIT_UNSCORED, fail, plugin_option, registry_or_fail,
                                            warn)


EXIT_CODES = """\b
Exit codes:
  0  every alert waiting for an installed plugin was delivered
  1  a plugin failed: its alerts stay waiting for the next try
  2  the history or the command line is invalid
  130  interrupted (Ctrl-C); alerts whose plugin had not returned stay waiting
"""


@click.command(name="deliver", epilog=EXIT_CODES)
@click.option("--history", "db", metavar="DB", required=True,
              help="The score history: the SQLite file or PostgreSQL URL given to "
                   "healthcore evaluate --history.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@plugin_option
def command(db: str, quiet: bool, plugins: tuple[str, ...]) -> None:
    """Deliver the alerts that runs raised and a plugin has not yet taken: those of a run
    killed while a plugin delivered them, or whose plugin failed. Each alert goes once to each
    plugin that delivers alerts, with a stable id (the same on a second delivery) so that a
    receiver can drop duplicates.

    \b
    Examples:
      healthcore deliver --history history.db
      healthcore deliver --history history.db --plugin my_alerts
    """
    from healthcore.history import deliver, open as open_history

    say = (lambda message: None) if quiet else warn
    registry = registry_or_fail(plugins, say)
    try:
        with open_history(db, create=False) as store:
            done = deliver(store, registry)
    except HealthcoreError as exc:
        fail(str(exc))
    for problem in done.problems:
        warn(problem)
    if not quiet:
        click.echo(_summary(done.delivered))
    if done.failed:
        raise SystemExit(EXIT_UNSCORED)


def _summary(delivered: dict[str, int]) -> str:
    """One line: what was delivered to whom."""
    if not delivered:
        return "no alert delivered: none was waiting for an installed plugin"
    return "delivered " + ", ".join(f"{count:,} alert{'s' if count != 1 else ''} to plugin "
                                    f"'{plugin}'" for plugin, count in sorted(delivered.items()))
