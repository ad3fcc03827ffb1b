"""Recording a run in the history, replacing the run of the same ruleset and date, and deleting
a run: its scores, points, alert states and the alerts' outbox, inside one writing transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

import polars as pl

from healthcore.engine.results import listed
from healthcore.errors import InputError
from healthcore.history import alert_states, outbox, runs
from healthcore.history import alerts as alerting
from healthcore.history.session import now
from healthcore.history.tables import tables
from healthcore.io.database import insert_frame, sqlalchemy_module

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from healthcore.engine.results import Results
    from healthcore.ruleset import Ruleset


POINTS_BATCH = 1_000_000
"""Rows of the points table built and inserted at once."""


def _points(accounts: pl.DataFrame, run: pl.Expr, indicators: list[str]) -> pl.DataFrame:
    """The rows of the points table for ``accounts`` (sorted by id): one per account and
    indicator (``indicators`` sorted), in the order of the table's key, so that they are
    appended to its index."""
    return accounts.select(
        run, "account_id", pl.lit(pl.Series([indicators])).first().alias("indicator"),
        pl.concat_list([pl.col(f"{indicator}.points") for indicator in indicators])
        .alias("points"),
        pl.concat_list([pl.col(f"{indicator}.value") for indicator in indicators])
        .alias("value")).explode(["indicator", "points", "value"])


def _before_commit(connection: "Connection") -> None:
    """Called inside :func:`record`'s transaction just before it commits (tests replace it to
    stop a writer half way)."""


@dataclass
class Recorded:
    """What recording a run did: its id, and the alerts it raised (as plain dicts)."""

    run_id: int
    raised: list[dict[str, Any]]


def record(connection: "Connection", name: str, ruleset: "Ruleset", frame: pl.DataFrame,
           day: str, *, deliver_to: Sequence[str] = (), overrides_upto: int | None = None
           ) -> Recorded:
    """Record ``frame`` (from :func:`recorded_frame`) as the run of ``ruleset`` on ``day`` in
    the history ``name``, inside the writing transaction of ``connection``; see
    :meth:`healthcore.history.HistoryStore.record`."""
    sqlalchemy = sqlalchemy_module()
    indicators = sorted(indicator.id for indicator in ruleset.indicators)
    t = tables()
    runs.check_in_order(connection, name, ruleset.name, day)
    old = connection.execute(sqlalchemy.select(t.runs.c.id).where(
        t.runs.c.ruleset == ruleset.name, t.runs.c.as_of == day)).scalar()
    raised_before: set[tuple[str, str]] = set()
    if old is not None:
        raised_before = {(r.alert, r.account_id) for r in connection.execute(
            sqlalchemy.select(t.alerts.c.alert, t.alerts.c.account_id)
            .where(t.alerts.c.run_id == old, t.alerts.c.raised))}
        _delete_run(connection, old)
    states = alert_states.states(connection, ruleset, frame, day)
    recorded_at = now()
    run_id = connection.execute(t.runs.insert().values(
        ruleset=ruleset.name, as_of=day, content_hash=ruleset.content_hash,
        recorded_at=recorded_at, accounts=frame.height, overrides_upto=overrides_upto
    ).returning(t.runs.c.id)).scalar_one()
    run = pl.lit(run_id, pl.Int64).alias("run_id")
    insert_frame(connection, t.scores, frame.select(
        run, "account_id", "status", "score", "tier", "segment", "override"))
    if indicators:
        columns = [f"{indicator}.{part}" for indicator in indicators
                   for part in ("points", "value")]
        by_id = frame.select("account_id", *columns).sort("account_id")
        for accounts in by_id.iter_slices(POINTS_BATCH // len(indicators)):
            insert_frame(connection, t.points, _points(accounts, run, indicators))
    insert_frame(connection, t.alerts, states.select(run, pl.all()))
    raised = alerting.to_records(states, ruleset, day, frame)
    if old is not None:
        outbox.withdraw(connection, ruleset.name, day, {alert["id"] for alert in raised})
    outbox.queue(connection, raised, deliver_to, recorded_at)
    _before_commit(connection)
    return Recorded(run_id, [alert for alert in raised
                             if (alert["alert"], alert["account_id"]) not in raised_before])


def delete_run(connection: "Connection", name: str, day: str, ruleset_name: str | None
               ) -> dict[str, Any]:
    """Delete the run of ``ruleset_name`` on ``day`` from the history ``name``; see
    :meth:`healthcore.history.HistoryStore.delete_run`."""
    sqlalchemy = sqlalchemy_module()
    table = tables().runs
    found = connection.execute(
        sqlalchemy.select(table.c.id, table.c.ruleset, table.c.accounts)
        .where(table.c.as_of == day).order_by(table.c.ruleset)).fetchall()
    chosen = [run for run in found if ruleset_name in (None, run.ruleset)]
    if len(chosen) != 1:
        raise InputError(runs.no_single_run(connection, name, day, ruleset_name,
                                            [run.ruleset for run in found]))
    run = chosen[0]
    alerts = _delete_run(connection, run.id)
    outbox.withdraw(connection, run.ruleset, day, set())
    return {"ruleset": run.ruleset, "as_of": day, "accounts": run.accounts,
            "alerts": alerts}


def _delete_run(connection: "Connection", run_id: int) -> int:
    """Delete the run ``run_id`` with its alert states, points and scores; returns how many
    alert states were deleted."""
    t = tables()
    alerts = connection.execute(t.alerts.delete().where(t.alerts.c.run_id == run_id)).rowcount
    for table in (t.points, t.scores):
        connection.execute(table.delete().where(table.c.run_id == run_id))
    connection.execute(t.runs.delete().where(t.runs.c.id == run_id))
    return alerts


def recorded_frame(results: "Results", name: str) -> pl.DataFrame:
    """What a run of ``results`` records in the history ``name``: one row per account with an
    id (as text): status, score, tier, segment and override (null when the results have none),
    each indicator's points and value. An :class:`InputError` when an id appears twice or no
    account is left to record (an empty export is a broken one: recording it would end every
    account's trend and alert episodes)."""
    ruleset = results.ruleset
    frame = results.scores
    optional = [pl.col(column) if column in frame.columns else pl.lit(None, pl.String)
                .alias(column) for column in ("segment", "override")]
    frame = frame.select(
        pl.col("account_id").cast(pl.String), "status", "score", "tier", *optional,
        *(pl.col(f"{ind.id}.{part}").cast(pl.Float64, strict=False)
          for ind in ruleset.indicators for part in ("points", "value"))
    ).filter(pl.col("account_id").is_not_null())
    repeated = results.repeated_ids()
    if repeated:
        raise InputError(f"{name}: cannot record the run: account ids must be unique to keep "
                         f"a history, and these appear more than once: {listed(repeated)}; "
                         f"fix the accounts' '{ruleset.account_id}' field")
    if frame.is_empty():
        why = ("the accounts are empty" if len(results) == 0 else
               f"none of the {len(results)} accounts has an id in field '{ruleset.account_id}'")
        raise InputError(f"{name}: no accounts to record: {why}; nothing was recorded (an "
                         "empty export is usually a failed one: check it, then run again)")
    if frame["score"].is_null().all():
        raise InputError(f"{name}: cannot record the run: none of its {frame.height:,} accounts "
                         f"could be scored ({_first_error(results)}); nothing was recorded, and "
                         "the runs already recorded are kept. This is usually the wrong file "
                         "or an export whose columns were renamed: check it, then run again")
    return frame


def _first_error(results: "Results") -> str:
    """The first account's reason for having no score, as an example."""
    errors = (results.frame["errors"].head(1).to_list() or [[]])[0] or ["no score"]
    more = f"; and {len(errors) - 2} more" if len(errors) > 2 else ""
    return f"the first one: {'; '.join(errors[:2])}{more}"
