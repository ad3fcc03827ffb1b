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
from typing import TYPE_CHECKING, Any, Callable

import polars as pl

from .dates import as_of_date, check_not_future
from .overrides import Override, in_force, unknown_tiers
from .store import HistoryStore, Recorded, database_url, open, recorded_frame
from .timeline import Entry, sparkline

if TYPE_CHECKING:
    from ..plugins import Registry
    from ..results import Results
    from ..ruleset import Ruleset

__all__ = ["Entry", "HistoryStore", "Override", "Recorded", "as_of_date", "database_url",
           "deliver", "evaluate", "open", "sparkline"]


def evaluate(ruleset: "Ruleset", accounts: Any, history: str,
             as_of: str | _dt.date | None = None, *, explain: bool = True,
             registry: "Registry | None" = None, strict: bool = False,
             before_recording: "Callable[[Results], None] | None" = None,
             allow_future: bool = False) -> "Results":
    """Score ``accounts`` as the run of ``as_of`` (default: today) and record it in
    ``history``: ``previous(...)`` reads the earlier runs, the overrides in force apply
    (churned accounts keep their last score and are left out of percentile tiers and alerts),
    each result gets its trend against the previous run, the alerts are evaluated, and those
    raised go to the plugins' ``healthcore_deliver_alerts`` hook (their problems are added to
    the results' warnings). What :command:`healthcore evaluate --history` does.

    ``before_recording`` (writing the outputs, say) is called with the results once they are
    known to be recordable and before the run is recorded: if it raises, nothing is recorded
    and no alert is raised. Refused with an :class:`~healthcore.errors.InputError`: an as-of
    date after tomorrow (unless ``allow_future``), and accounts of which none can be recorded
    (an empty export)."""
    day = as_of_date(as_of)
    if not allow_future:
        check_not_future(day)
    with open(history) as store:
        trail = store.override_trail()
        overrides, warnings = unknown_tiers(in_force(trail, ruleset.name, day), ruleset)
        keeping = overrides.filter(pl.col("kind").is_in(["freeze", "churned"]))
        churned = overrides.filter(pl.col("kind") == "churned")["account_id"].to_list()
        looked_back = store.look_back(ruleset, day) if ruleset.history_references else None
        results = ruleset.score(accounts, explain=explain, looked_back=looked_back,
                                unranked=churned, strict=strict)
        kept = store.kept_scores(ruleset.name, day, keeping["account_id"].to_list())
        results = (results.with_overrides(overrides, kept)
                   .with_trend(store.previous(ruleset.name, day)))
        if before_recording is not None:
            recorded_frame(results, store.name)  # refuse what cannot be recorded first
            before_recording(results)
        recorded = store.record(results, day)
    results.warnings = [*results.warnings, *warnings]
    results.alerts = recorded.raised
    if registry is not None and recorded.raised:
        results.warnings += deliver(registry, recorded.raised)
    return results


def deliver(registry: "Registry", alerts: list[dict[str, Any]]) -> list[str]:
    """Hand ``alerts`` to every plugin implementing ``healthcore_deliver_alerts``; a plugin
    that raises is named in the returned problems and the others still get them."""
    problems = []
    for receiver in registry.alert_receivers:
        try:
            receiver.function(**({"alerts": alerts} if "alerts" in receiver.argnames else {}))
        except Exception as exc:  # a plugin's fault must not lose the recorded run
            problems.append(f"plugin '{receiver.plugin}' failed to deliver {len(alerts)} "
                            f"alert{'s' if len(alerts) != 1 else ''}: {type(exc).__name__}: "
                            f"{exc}; they are kept in the history (healthcore alerts)")
    return problems
