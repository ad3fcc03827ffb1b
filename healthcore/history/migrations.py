"""The history's versioned schema: the upgrades, and applying those a database lacks.

The table ``healthcore_schema_version`` holds the version; :data:`MIGRATIONS` are the upgrades,
applied in order in one transaction by :func:`upgrade`. Each upgrade is frozen once released:
append new versions, never change old ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from healthcore.errors import InputError
from healthcore.history.tables import (ALERTS, OUTBOX, OVERRIDES, POINTS, RUNS,
                                       RUNS_FIRST_COLUMNS, SCHEMA_VERSION_TABLE, SCORES,
                                       TABLE_NAMES)
from healthcore.history.session import now
from healthcore.io.database import sqlalchemy_module

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection


def _v1(connection: "Connection") -> None:
    """The first schema: runs, each account's score and each indicator's points."""
    sqlalchemy = sqlalchemy_module()
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
    sqlalchemy = sqlalchemy_module()
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
    sqlalchemy = sqlalchemy_module()
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



def latest_version() -> int:
    """The schema version this healthcore writes."""
    return MIGRATIONS[-1][0] if MIGRATIONS else 0


def upgrade(connection: "Connection", name: str) -> int:
    """Create the tables, or apply the missing upgrades in order, inside the transaction of
    ``connection``; returns the schema version. A database (``name`` in messages) whose tables
    of these names healthcore did not create is refused before anything is created in it."""
    sqlalchemy = sqlalchemy_module()
    latest = latest_version()
    check_ours(connection, name)
    sqlalchemy.Table(SCHEMA_VERSION_TABLE, sqlalchemy.MetaData(),
                     sqlalchemy.Column("version", sqlalchemy.Integer, primary_key=True),
                     sqlalchemy.Column("applied_at", sqlalchemy.String(32)),
                     sqlalchemy.Column("description", sqlalchemy.Text)
                     ).create(connection, checkfirst=True)
    current = current_version(connection, name)
    if current > latest:
        raise InputError(f"{name}: the history has schema version {current}, newer than this "
                         f"healthcore knows ({latest}); upgrade healthcore (pip install -U "
                         "healthcore)")
    for version, description, apply in MIGRATIONS:
        if version > current:
            apply(connection)
            connection.execute(sqlalchemy.text(
                f"INSERT INTO {SCHEMA_VERSION_TABLE} (version, applied_at, description) "
                "VALUES (:v, :at, :d)"), {"v": version, "at": now(), "d": description})
    return max(current, latest)


def check_current(version: int, name: str) -> None:
    """Refuse to read the history ``name`` whose schema ``version`` is not the current one."""
    if version == 0:
        raise InputError(f"no history at {name}: it has no history tables; record runs "
                         "with healthcore evaluate RULESET ACCOUNTS --history DB")
    if version < latest_version():
        raise InputError(f"{name}: the history has schema version {version}, older than "
                         f"this healthcore's ({latest_version()}); upgrade it once by recording "
                         "a run (healthcore evaluate --history DB) or with healthcore deliver "
                         "--history DB, then read it")
    if version > latest_version():
        raise InputError(f"{name}: the history has schema version {version}, newer than "
                         f"this healthcore knows ({latest_version()}); upgrade healthcore (pip "
                         "install -U healthcore)")


def current_version(connection: "Connection", name: str = "the database") -> int:
    """The schema version recorded in ``connection``'s database (0: none); a version table
    that healthcore did not write is refused (``name`` names the database)."""
    sqlalchemy = sqlalchemy_module()
    inspector = sqlalchemy.inspect(connection)
    if not inspector.has_table(SCHEMA_VERSION_TABLE):
        return 0
    columns = [column["name"] for column in inspector.get_columns(SCHEMA_VERSION_TABLE)]
    if set(columns) != {"version", "applied_at", "description"}:
        raise InputError(_not_ours(name, SCHEMA_VERSION_TABLE, f"columns {', '.join(columns)}"))
    found = connection.execute(sqlalchemy.text(
        f"SELECT MAX(version) FROM {SCHEMA_VERSION_TABLE}")).scalar()
    try:
        return int(found or 0)
    except (TypeError, ValueError):
        raise InputError(_not_ours(name, SCHEMA_VERSION_TABLE,
                                   f"its version {found!r} is not a number")) from None


def check_ours(connection: "Connection", name: str) -> None:
    """Refuse a database holding tables named like the history's that healthcore did not
    create: history tables without a schema version, or a runs table without its columns."""
    sqlalchemy = sqlalchemy_module()
    inspector = sqlalchemy.inspect(connection)
    present = [table for table in TABLE_NAMES if inspector.has_table(table)]
    if not present:
        return
    if current_version(connection, name) == 0:
        raise InputError(_not_ours(name, present[0], "columns " + ", ".join(
            column["name"] for column in inspector.get_columns(present[0]))))
    if RUNS in present:
        columns = [column["name"] for column in inspector.get_columns(RUNS)]
        if not set(RUNS_FIRST_COLUMNS) <= set(columns):
            raise InputError(_not_ours(name, RUNS, "columns " + ", ".join(columns)))


def _not_ours(name: str, table: str, detail: str) -> str:
    return (f"{name} has a table {table} that healthcore did not create ({detail}): use another "
            "database, or another PostgreSQL schema, for the history; nothing was changed")
