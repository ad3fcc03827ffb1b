"""The manual overrides of a score history: recording one, and listing those in force, as
``healthcore override`` and ``healthcore overrides`` do."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

import polars as pl

from healthcore.history import Override, as_of_date
from healthcore.history import open as open_history
from healthcore.history.overrides import after_runs, current_author, in_force_everywhere


def record_override(history: str, account: str, kind: str, *, reason: str,
                    tier: str | None = None, author: str | None = None,
                    starts: str | _dt.date | None = None, until: str | _dt.date | None = None,
                    ruleset: str | None = None) -> Override:
    """Record in ``history`` the override ``kind`` (``tier``, ``freeze``, ``churned`` or
    ``clear``) of ``account``, from ``starts`` (default: today) to ``until`` (default: until
    cleared), for ``ruleset`` (default: every ruleset), by ``author`` (default: the login
    name); return it as recorded."""
    override = Override(account_id=account, kind=kind, tier=tier, reason=reason,
                        author=author or current_author(), starts=as_of_date(starts),
                        until=None if until is None else as_of_date(until), ruleset=ruleset)
    with open_history(history) as store:
        store.add_override(override)
    return override


@dataclass
class OverrideListing:
    """The overrides of :func:`list_overrides`."""

    day: str
    """The date they are in force on."""
    overrides: pl.DataFrame
    """Those in force on :attr:`day` (or, for the trail, every change, oldest first)."""
    after_runs: pl.DataFrame | None
    """Those in force on :attr:`day` but recorded after the run of that date of some
    rulesets, which apply them from their next run on (None for the trail)."""


def list_overrides(history: str, account: str | None = None, *,
                   as_of: str | _dt.date | None = None, trail: bool = False) -> OverrideListing:
    """The overrides of ``account`` (of every account by default) in force on ``as_of``
    (default: today), exactly as the runs recorded in ``history`` apply them; with ``trail``,
    every change ever recorded instead."""
    day = as_of_date(as_of)
    with open_history(history, read_only=True) as store:
        rows = store.override_trail(account)
        applied = store.overrides_applied(day)
    if trail:
        return OverrideListing(day, rows, None)
    rows = in_force_everywhere(rows, day)
    late = after_runs(rows, applied)
    rows = rows.join(late.select("id"), on="id", how="anti", maintain_order="left")
    return OverrideListing(day, rows, late)
