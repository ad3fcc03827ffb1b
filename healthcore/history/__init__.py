"""The score history: every run of ``healthcore evaluate --history DB``, kept in a database,
with the alerts of each run and the manual overrides.

A SQLite file (a plain path, or ``sqlite:///path.db``) is the embedded default; PostgreSQL
(``postgresql://user:pass@host/db``) serves teams. SQLAlchemy is imported only when a history is
used.

    >>> results = evaluate(ruleset, accounts, "history.db", "2024-03-01")
    >>> results.alerts                         # the alerts this run raised
    >>> with open("history.db") as store:
    ...     store.timeline("ACC-1001", "saas-b2b")  # one account's runs, oldest first
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

import polars as pl

from healthcore.errors import InputError
from healthcore.history.dates import as_of_date, check_not_future
from healthcore.history.overrides import Override, in_force, unknown_tiers, with_overrides
from healthcore.history.recording import Recorded, recorded_frame
from healthcore.history.session import database_url
from healthcore.history.store import HistoryStore, open
from healthcore.history.timeline import Entry, sparkline
from healthcore.engine import score

if TYPE_CHECKING:
    from healthcore.plugin.registry import Registry
    from healthcore.engine.results import Results
    from healthcore.ruleset import Ruleset

__all__ = ["Delivery", "Entry", "HistoryStore", "Override", "Recorded", "as_of_date",
           "database_url", "deliver", "evaluate", "open", "sparkline"]


def evaluate(ruleset: "Ruleset", accounts: Any, history: str,
             as_of: str | _dt.date | None = None, *, explain: bool = True,
             registry: "Registry | None" = None, strict: bool = False,
             before_recording: "Callable[[Results], None] | None" = None,
             after_recording: "Callable[[Results], None] | None" = None,
             allow_future: bool = False) -> "Results":
    """Score ``accounts`` as the run of ``as_of`` (default: today) and record it in
    ``history``: ``previous(...)`` reads the earlier runs, the overrides in force apply
    (churned accounts keep their last score and are left out of percentile tiers and alerts),
    each result gets its trend against the previous run, the alerts are evaluated, and those
    raised are queued for, then delivered to, the ``healthcore_deliver_alerts`` hook of each
    plugin of ``registry`` (default: the installed plugins), with whatever earlier runs left
    undelivered (see :mod:`healthcore.history.outbox`; problems are added to the results'
    warnings). What :command:`healthcore evaluate --history` does.

    Everything from reading the baseline to recording is one writing transaction: a run of
    another date, or an override, recorded at the same time comes wholly before or after it.
    ``before_recording`` (writing the outputs, say) is called with the results once they are
    known to be recordable and before the run is recorded: if it raises, nothing is recorded
    and no alert is raised. ``after_recording`` is called once the run is committed, before
    the alerts are delivered. Refused with an :class:`~healthcore.errors.InputError`: an as-of
    date after tomorrow (unless ``allow_future``) or before a recorded run of the ruleset, and
    accounts of which none can be recorded or scored (an empty or wrong export)."""
    day = as_of_date(as_of)
    if not allow_future:
        check_not_future(day)
    if registry is None:
        from healthcore.plugin.registry import default_registry

        registry = default_registry()
    with open(history) as store:
        with store.writing(f"record the run of {ruleset.name} on {day}"):
            store.check_in_order(ruleset.name, day)
            trail = store.override_trail()
            overrides, warnings = unknown_tiers(in_force(trail, ruleset.name, day), ruleset)
            keeping = overrides.filter(pl.col("kind").is_in(["freeze", "churned"]))
            churned = overrides.filter(pl.col("kind") == "churned")["account_id"].to_list()
            looked_back = store.look_back(ruleset, day) if ruleset.history_references else None
            results = score(ruleset, accounts, explain=explain, looked_back=looked_back,
                                    unranked=churned, strict=strict)
            kept = store.kept_scores(ruleset.name, day, keeping["account_id"].to_list())
            results = with_overrides(results, overrides, kept).with_trend(
                store.previous(ruleset.name, day))
            if before_recording is not None:
                recorded_frame(results, store.name)  # refuse what cannot be recorded first
                before_recording(results)
            recorded = store.record(
                results, day, deliver_to=[receiver.plugin for receiver in
                                          registry.alert_receivers],
                overrides_upto=trail["id"].max() if trail.height else 0)
        results.warnings = [*results.warnings, *warnings]
        results.alerts = recorded.raised
        if after_recording is not None:
            after_recording(results)
        results.warnings += deliver(store, registry).problems
    return results


@dataclass
class Delivery:
    """What :func:`deliver` did: alerts delivered per plugin, and the problems (a plugin that
    raised, alerts waiting for a plugin that is not installed)."""

    delivered: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def deliver(store: HistoryStore, registry: "Registry") -> Delivery:
    """Hand every alert waiting in the outbox of ``store`` to its plugin's
    ``healthcore_deliver_alerts`` hook, marking them delivered once the hook returned. A
    plugin that raises is named in the problems and its alerts stay pending; the others still
    get theirs."""
    waiting = store.pending_alerts()
    done = Delivery()
    for receiver in registry.alert_receivers:
        alerts = waiting.pop(receiver.plugin, [])
        if not alerts:
            continue
        try:
            receiver.function(**({"alerts": alerts} if "alerts" in receiver.argnames else {}))
        except Exception as exc:  # a plugin's fault must not lose the recorded run
            done.failed[receiver.plugin] = len(alerts)
            done.problems.append(
                f"plugin '{receiver.plugin}' failed to deliver {_count(alerts)}: "
                f"{type(exc).__name__}: {exc}; they stay in the history's outbox and are "
                "delivered again by the next run or by healthcore deliver --history DB")
            continue
        done.delivered[receiver.plugin] = len(alerts)
        try:
            store.mark_delivered(receiver.plugin, [alert["id"] for alert in alerts])
        except InputError as exc:  # delivered, not marked: they go again (at least once)
            done.problems.append(f"plugin '{receiver.plugin}' took {_count(alerts)}, but they "
                                 f"could not be marked delivered ({exc}); they will be "
                                 "delivered again, with the same ids")
    for plugin, alerts in sorted(waiting.items()):
        done.problems.append(
            f"{_count(alerts)} wait for plugin '{plugin}', which is not installed or not "
            "loaded: install it (or give --plugin MODULE) and run healthcore deliver "
            "--history DB")
    return done


def _count(alerts: list[Any]) -> str:
    return f"{len(alerts):,} alert{'s' if len(alerts) != 1 else ''}"
