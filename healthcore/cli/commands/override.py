"""``healthcore override``: put an account in a tier, freeze it or mark it churned, by hand."""

from __future__ import annotations

import click

from healthcore.errors import HealthcoreError
from healthcore.cli.commands.common import EXIT_CODES_HELP, fail, show


@click.command(name="override", epilog=EXIT_CODES_HELP)
@click.argument("account")
@click.option("--history", "db", metavar="DB", required=True,
              help="The score history (SQLite file or PostgreSQL URL) where the override is "
                   "kept and from which healthcore evaluate --history applies it.")
@click.option("--tier", metavar="TIER", help="Put the account in this tier (its score stays "
                                             "what the data says).")
@click.option("--freeze", is_flag=True,
              help="Keep the score and tier of the account's last recorded run.")
@click.option("--churned", is_flag=True,
              help="The account has churned: it keeps its last score and is left out of "
                   "percentile tiers and alerts.")
@click.option("--clear", is_flag=True, help="End the account's override.")
@click.option("--reason", required=True, metavar="TEXT",
              help="Why: kept in the audit trail and shown with every result.")
@click.option("--until", metavar="DATE",
              help="The last day the override applies (YYYY-MM-DD). Default: until cleared.")
@click.option("--from", "starts", metavar="DATE",
              help="The first day it applies (YYYY-MM-DD). Default: today.")
@click.option("--by", "author", metavar="NAME",
              help="Who decides it. Default: your login name.")
@click.option("--ruleset", metavar="NAME",
              help="Only for this ruleset (its name). Default: every ruleset.")
def command(account: str, db: str, tier: str | None, freeze: bool, churned: bool, clear: bool,
            reason: str, until: str | None, starts: str | None, author: str | None,
            ruleset: str | None) -> None:
    """Record a manual override of ACCOUNT in the history: a tier (--tier), a freeze
    (--freeze), churned (--churned), or the end of one (--clear). Every change is kept with
    who, why, from and until (healthcore overrides --all shows the trail); the runs of
    healthcore evaluate --history apply the one in force and show it in every result.

    \b
    Examples:
      healthcore override ACC-1001 --history history.db --tier at_risk \\
          --reason "champion left" --until 2024-06-30
      healthcore override ACC-1002 --history history.db --churned --reason "did not renew"
      healthcore override ACC-1001 --history history.db --clear --reason "new champion"
    """
    from healthcore.history import as_of_date
    from healthcore.history.overrides import validated_date
    from healthcore.jobs.overrides import record_override

    chosen = [name for name, given in (("tier", tier is not None), ("freeze", freeze),
                                       ("churned", churned), ("clear", clear)) if given]
    if len(chosen) != 1:
        fail("give exactly one of --tier TIER, --freeze, --churned or --clear")
    if not reason.strip():
        fail("give a --reason: every override is kept with who made it and why")
    try:
        starts, until = validated_date(starts, "--from"), validated_date(until, "--until")
        starts = starts or as_of_date(None)
        if until is not None and until < starts:
            fail(f"--until {until} is before the override starts ({starts}): it would never "
                 "apply")
        override = record_override(db, account, chosen[0], reason=reason, tier=tier,
                                   author=author, starts=starts, until=until, ruleset=ruleset)
    except HealthcoreError as exc:
        fail(str(exc))
    what = {"tier": f"in tier {tier}", "freeze": "frozen", "churned": "churned",
            "clear": "no longer overridden"}[override.kind]
    scope = f" for ruleset {ruleset}" if ruleset else ""
    span = f" from {override.starts}" + (f" until {override.until}" if override.until else "")
    show(f"{account} {what}{scope}{span} (by {override.author}: {reason})")
