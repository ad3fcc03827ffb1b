"""The history's tables and their versioned schema.

The table ``healthcore_schema_version`` holds the version; :data:`MIGRATIONS` are the upgrades,
applied in order in one transaction by :meth:`HistoryStore.upgrade`. Each upgrade is frozen once
released: append new versions, never change old ones. :func:`tables` describes the latest shape,
for the queries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, NamedTuple

from healthcore.io.database import _sqlalchemy

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection

SCHEMA_VERSION_TABLE = "healthcore_schema_version"
RUNS, SCORES, POINTS = "healthcore_runs", "healthcore_scores", "healthcore_points"
OVERRIDES, ALERTS = "healthcore_overrides", "healthcore_alerts"
OUTBOX = "healthcore_outbox"
TABLE_NAMES = (RUNS, SCORES, POINTS, OVERRIDES, ALERTS, OUTBOX)
RUNS_FIRST_COLUMNS = ("id", "ruleset", "as_of", "content_hash", "recorded_at", "accounts")
"""The columns of the runs table since the first version (how a history is told from another
tool's table of the same name)."""


def _v1(connection: "Connection") -> None:
    """The first schema: runs, each account's score and each indicator's points."""
    sqlalchemy = _sqlalchemy()
    metadata = sqlalchemy.MetaData()
    Column, types = sqlalchemy.Column, sqlalchemy.types
    sqlalchemy.Table(
        RUNS, metadata,
        Column("id", types.Integer, primary_key=True, autoincrement=True),
        Column("ruleset", types.Text, nullable=False),
        Column("as_of", types.String(10), nullable=False),
        Column("content_hash", types.String(64), nullable=False),
        Column("recorded_at", types.String(32), nullable=False),
        Column("accounts", types.Integer, nullable=False),
        sqlalchemy.UniqueConstraint("ruleset", "as_of", name=f"{RUNS}_ruleset_as_of"))
    sqlalchemy.Table(
        SCORES, metadata,
        Column("run_id", types.Integer, sqlalchemy.ForeignKey(f"{RUNS}.id", ondelete="CASCADE"),
               primary_key=True),
        Column("account_id", types.Text, primary_key=True),
        Column("status", types.String(8), nullable=False),
        Column("score", types.Double),
        Column("tier", types.Text),
        Column("segment", types.Text))
    sqlalchemy.Table(
        POINTS, metadata,
        Column("run_id", types.Integer, primary_key=True),
        Column("account_id", types.Text, primary_key=True),
        Column("indicator", types.Text, primary_key=True),
        Column("points", types.Double),
        sqlalchemy.ForeignKeyConstraint(["run_id", "account_id"],
                                        [f"{SCORES}.run_id", f"{SCORES}.account_id"],
                                        ondelete="CASCADE"))
    metadata.create_all(connection)
    connection.exec_driver_sql(f"CREATE INDEX {SCORES}_account ON {SCORES} (account_id)")


def _v2(connection: "Connection") -> None:
    """Indicator values (for ``previous(...)``), overrides with their audit trail, alerts."""
    sqlalchemy = _sqlalchemy()
    double = "DOUBLE PRECISION" if connection.dialect.name == "postgresql" else "FLOAT"
    connection.exec_driver_sql(f"ALTER TABLE {POINTS} ADD COLUMN value {double}")
    connection.exec_driver_sql(f"ALTER TABLE {SCORES} ADD COLUMN override TEXT")
    metadata = sqlalchemy.MetaData()
    Column, types = sqlalchemy.Column, sqlalchemy.types
    sqlalchemy.Table(RUNS, metadata, Column("id", types.Integer, primary_key=True))  # existing
    overrides = sqlalchemy.Table(
        OVERRIDES, metadata,
        Column("id", types.Integer, primary_key=True, autoincrement=True),
        Column("account_id", types.Text, nullable=False),
        Column("ruleset", types.Text),
        Column("kind", types.String(8), nullable=False),
        Column("tier", types.Text),
        Column("reason", types.Text, nullable=False),
        Column("author", types.Text, nullable=False),
        Column("recorded_at", types.String(32), nullable=False),
        Column("starts", types.String(10), nullable=False),
        Column("until", types.String(10)))
    alerts = sqlalchemy.Table(
        ALERTS, metadata,
        Column("run_id", types.Integer, sqlalchemy.ForeignKey(f"{RUNS}.id", ondelete="CASCADE"),
               primary_key=True),
        Column("alert", types.Text, primary_key=True),
        Column("account_id", types.Text, primary_key=True),
        Column("since", types.String(10), nullable=False),
        Column("raised", types.Boolean, nullable=False),
        Column("severity", types.String(8), nullable=False),
        Column("baseline", types.Text),
        Column("message", types.Text, nullable=False))
    metadata.create_all(connection, tables=[overrides, alerts])
    connection.exec_driver_sql(f"CREATE INDEX {OVERRIDES}_account ON {OVERRIDES} (account_id)")
    connection.exec_driver_sql(f"CREATE INDEX {ALERTS}_account ON {ALERTS} (alert, account_id)")


def _v3(connection: "Connection") -> None:
    """The alerts' outbox (one row per raised alert and delivering plugin, marked when the
    plugin took it) and, per run, the last override it applied."""
    sqlalchemy = _sqlalchemy()
    connection.exec_driver_sql(f"ALTER TABLE {RUNS} ADD COLUMN overrides_upto INTEGER")
    Column, types = sqlalchemy.Column, sqlalchemy.types
    outbox = sqlalchemy.Table(
        OUTBOX, sqlalchemy.MetaData(),
        Column("alert_id", types.String(40), primary_key=True),
        Column("plugin", types.Text, primary_key=True),
        Column("ruleset", types.Text, nullable=False),
        Column("as_of", types.String(10), nullable=False),
        Column("raised_at", types.String(32), nullable=False),
        Column("payload", types.Text, nullable=False),
        Column("delivered_at", types.String(32)))
    outbox.create(connection)
    connection.exec_driver_sql(f"CREATE INDEX {OUTBOX}_pending ON {OUTBOX} (plugin, delivered_at)")


MIGRATIONS: list[tuple[int, str, Callable[["Connection"], None]]] = [
    (1, "runs, scores and indicator points", _v1),
    (2, "indicator values, overrides and alerts", _v2),
    (3, "the alerts' outbox and the overrides each run applied", _v3),
]
"""The schema's upgrades, in order: (version, what it does, the function that applies it on a
connection inside the upgrade's transaction)."""


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
    sqlalchemy = _sqlalchemy()
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
