"""The alerts in the database: the states of a ruleset's alerts in a new run (from what the
history holds before it, see :mod:`healthcore.history.alerts`), and the alerts open now."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from healthcore.history import alerts as alerting
from healthcore.history.alerts import SEVERITY_ORDER
from healthcore.history.dates import FIRST_DAY, days_before
from healthcore.history.session import frame_of, read_frame
from healthcore.history.tables import tables
from healthcore.io.database import sqlalchemy_module

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from healthcore.ruleset import Ruleset


def states(connection: "Connection", ruleset: "Ruleset", frame: pl.DataFrame, day: str
           ) -> pl.DataFrame:
    """The states of the ruleset's alerts in the run of ``day`` (churned accounts left
    out), from what the history holds before that day."""
    if not ruleset.alerts:
        return pl.DataFrame(schema=alerting.STATE_COLUMNS)
    sqlalchemy = sqlalchemy_module()
    t = tables()
    earlier = connection.execute(
        sqlalchemy.select(t.runs.c.id, t.runs.c.as_of)
        .where(t.runs.c.ruleset == ruleset.name, t.runs.c.as_of < day)
        .order_by(t.runs.c.as_of.desc())).fetchall()
    context = alerting.Context(day)
    if earlier:
        context.previous_as_of = earlier[0].as_of
        context.previous = read_frame(connection, sqlalchemy.select(
            t.scores.c.account_id, t.scores.c.tier).where(t.scores.c.run_id == earlier[0].id),
            {"account_id": pl.String, "tier": pl.String})
        since = min(earlier[0].as_of,
                    days_before(day, alerting.longest_cooldown(ruleset)) or FIRST_DAY)
        states = read_frame(connection, sqlalchemy.select(
            t.alerts.c.alert, t.alerts.c.account_id, t.runs.c.as_of, t.alerts.c.since,
            t.alerts.c.baseline)
            .select_from(t.alerts.join(t.runs, t.alerts.c.run_id == t.runs.c.id))
            .where(t.runs.c.ruleset == ruleset.name, t.runs.c.as_of < day,
                   t.runs.c.as_of >= since),
            {"alert": pl.String, "account_id": pl.String, "as_of": pl.String,
             "since": pl.String, "baseline": pl.String})
        context.last_states = states.sort("as_of").group_by(
            "alert", "account_id", maintain_order=True).last()
    for days in alerting.needs_peaks(ruleset):
        context.peaks[days] = read_frame(connection, sqlalchemy.select(
            t.scores.c.account_id, sqlalchemy.func.max(t.scores.c.score))
            .select_from(t.scores.join(t.runs, t.scores.c.run_id == t.runs.c.id))
            .where(t.runs.c.ruleset == ruleset.name, t.runs.c.as_of < day,
                   t.runs.c.as_of >= (days_before(day, days) or FIRST_DAY))
            .group_by(t.scores.c.account_id), {"account_id": pl.String, "peak": pl.Float64})
    for count in alerting.needs_streaks(ruleset):
        if len(earlier) >= count - 1:
            run_ids = [run.id for run in earlier[:count - 1]]
            context.streaks[count] = read_frame(connection, sqlalchemy.select(
                t.scores.c.account_id, t.scores.c.tier).where(t.scores.c.run_id.in_(run_ids)),
                {"account_id": pl.String, "tier": pl.String})
    churned = frame.filter(pl.col("override").str.starts_with("churned").fill_null(False))
    current = frame.join(churned.select("account_id"), on="account_id", how="anti")
    return alerting.evaluate(ruleset, current, context)


def open_alerts(connection: "Connection", ruleset_name: str | None = None) -> pl.DataFrame:
    """The alerts holding in the latest run of each ruleset (or of ``ruleset_name``):
    ``ruleset``, ``as_of``, ``alert``, ``severity``, ``account_id``, ``since``,
    ``raised`` (raised by that run), ``message``, ``score``, ``tier``; most severe first."""
    sqlalchemy = sqlalchemy_module()
    t = tables()
    latest = (sqlalchemy.select(t.runs.c.ruleset, sqlalchemy.func.max(t.runs.c.as_of)
                                .label("as_of")).group_by(t.runs.c.ruleset)).subquery()
    statement = (
        sqlalchemy.select(t.runs.c.ruleset, t.runs.c.as_of, t.alerts.c.alert,
                          t.alerts.c.severity, t.alerts.c.account_id, t.alerts.c.since,
                          t.alerts.c.raised, t.alerts.c.message, t.scores.c.score,
                          t.scores.c.tier)
        .select_from(t.alerts.join(t.runs, t.alerts.c.run_id == t.runs.c.id)
                     .join(latest, (latest.c.ruleset == t.runs.c.ruleset)
                           & (latest.c.as_of == t.runs.c.as_of))
                     .join(t.scores, (t.scores.c.run_id == t.alerts.c.run_id)
                           & (t.scores.c.account_id == t.alerts.c.account_id))))
    if ruleset_name is not None:
        statement = statement.where(t.runs.c.ruleset == ruleset_name)
    found = frame_of(connection.execute(statement), {
        "ruleset": pl.String, "as_of": pl.String, "alert": pl.String,
        "severity": pl.String, "account_id": pl.String, "since": pl.String,
        "raised": pl.Boolean, "message": pl.String, "score": pl.Float64,
        "tier": pl.String})
    order = pl.col("severity").replace_strict(SEVERITY_ORDER, default=len(SEVERITY_ORDER))
    return found.sort([order, "since", "ruleset", "account_id", "alert"])
