"""What a plugin receives through ``healthcore_deliver_alerts``: :class:`Alert`."""

from __future__ import annotations

from typing import Literal, TypedDict

Severity = Literal["info", "warning", "critical"]
"""How urgent an alert is, as its ruleset declares it."""


class Alert(TypedDict):
    """One raised alert, as handed to ``healthcore_deliver_alerts`` (a plain dict).

    ``id`` is stable: the same for the same episode (ruleset, alert, account and the date the
    episode began) on every delivery, so that a receiver can drop duplicates.
    """

    id: str
    """The episode's stable id: 20 hexadecimal characters."""
    alert: str
    """The alert's id in the ruleset."""
    label: str
    """The alert's label in the ruleset (its id when it has none)."""
    severity: Severity
    account_id: str
    score: float | None
    """The account's score in the run that raised it (None when the account had none)."""
    tier: str | None
    """The account's tier in the run that raised it (None when the account had none)."""
    since: str
    """The date its episode began (ISO ``YYYY-MM-DD``)."""
    message: str
    """What happened, with the figures (``tier fell from healthy to at-risk``)."""
    ruleset: str
    """The name of the ruleset."""
    as_of: str
    """The as-of date of the run that raised it (ISO ``YYYY-MM-DD``)."""
