"""The history's tables: their names, and their latest shape for the queries (:func:`tables`).

Every name begins with :data:`~healthcore.io.database.HISTORY_TABLE_PREFIX`, which the writers of
results refuse. How the tables are created and upgraded is :mod:`healthcore.history.migrations`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from healthcore.io.database import HISTORY_TABLE_PREFIX, sqlalchemy_module

if TYPE_CHECKING:
    from sqlalchemy import Table

SCHEMA_VERSION_TABLE = f"{HISTORY_TABLE_PREFIX}schema_version"
RUNS, SCORES, POINTS = (f"{HISTORY_TABLE_PREFIX}{name}" for name in ("runs", "scores", "points"))
OVERRIDES, ALERTS = f"{HISTORY_TABLE_PREFIX}overrides", f"{HISTORY_TABLE_PREFIX}alerts"
OUTBOX = f"{HISTORY_TABLE_PREFIX}outbox"
TABLE_NAMES = (RUNS, SCORES, POINTS, OVERRIDES, ALERTS, OUTBOX)
RUNS_FIRST_COLUMNS = ("id", "ruleset", "as_of", "content_hash", "recorded_at", "accounts")
"""The columns of the runs table since the first version (how a history is told from another
tool's table of the same name)."""


class Tables(NamedTuple):
    """The history's tables in their latest shape (for queries, not for creating them)."""

    runs: "Table"
    scores: "Table"
    points: "Table"
    overrides: "Table"
    alerts: "Table"
    outbox: "Table"


def tables() -> Tables:
    """The tables of the latest schema version."""
    sqlalchemy = sqlalchemy_module()
    metadata = sqlalchemy.MetaData()
    Column, types = sqlalchemy.Column, sqlalchemy.types
    text, integer, double = types.Text, types.Integer, types.Double
    return Tables(
        runs=sqlalchemy.Table(RUNS, metadata, Column("id", integer), Column("ruleset", text),
                              Column("as_of", text), Column("content_hash", text),
                              Column("recorded_at", text), Column("accounts", integer),
                              Column("overrides_upto", integer)),
        scores=sqlalchemy.Table(SCORES, metadata, Column("run_id", integer),
                                Column("account_id", text), Column("status", text),
                                Column("score", double), Column("tier", text),
                                Column("segment", text), Column("override", text)),
        points=sqlalchemy.Table(POINTS, metadata, Column("run_id", integer),
                                Column("account_id", text), Column("indicator", text),
                                Column("points", double), Column("value", double)),
        overrides=sqlalchemy.Table(OVERRIDES, metadata, Column("id", integer),
                                   Column("account_id", text), Column("ruleset", text),
                                   Column("kind", text), Column("tier", text),
                                   Column("reason", text), Column("author", text),
                                   Column("recorded_at", text), Column("starts", text),
                                   Column("until", text)),
        alerts=sqlalchemy.Table(ALERTS, metadata, Column("run_id", integer),
                                Column("alert", text), Column("account_id", text),
                                Column("since", text), Column("raised", types.Boolean),
                                Column("severity", text), Column("baseline", text),
                                Column("message", text)),
        outbox=sqlalchemy.Table(OUTBOX, metadata, Column("alert_id", text),
                                Column("plugin", text), Column("ruleset", text),
                                Column("as_of", text), Column("raised_at", text),
                                Column("payload", text), Column("delivered_at", text)))
