"""The alerts' outbox: every alert a run raises is delivered at least once to each plugin that
delivers alerts, with a stable id so that a receiver can drop a duplicate.

When a run is recorded, its raised alerts are queued in the history, in the same transaction,
once per delivering plugin (``healthcore_outbox``). After the commit each plugin's hook is
called with what is pending for it, and its alerts are marked delivered once the hook returned.
A plugin that raises, or a run killed while a plugin works, leaves them pending: the next run
recorded in the history, or ``healthcore deliver --history DB``, delivers them. A plugin is
queued only the alerts raised while it was installed.

An alert's id is the same wherever and whenever its episode is seen: a hash of the ruleset
name, the alert's id, the account and the date its episode began.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any, Sequence

from healthcore.io.database import INSERT_BATCH, sqlalchemy_module
from healthcore.history.tables import tables

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection


def alert_id(ruleset: str, alert: str, account_id: str, since: str) -> str:
    """The stable id of an alert episode: 20 hexadecimal characters."""
    key = "\x1f".join((ruleset, alert, account_id, since)).encode("utf-8", "surrogatepass")
    return hashlib.sha256(key).hexdigest()[:20]


def queue(connection: "Connection", alerts: list[dict[str, Any]], plugins: Sequence[str],
          raised_at: str) -> None:
    """Queue ``alerts`` (with their ``id``) for each of ``plugins``; an alert already queued
    for a plugin (a run recorded again) keeps its row and its delivery."""
    if not alerts or not plugins:
        return
    sqlalchemy_module()
    from sqlalchemy.dialects import postgresql, sqlite

    table = tables().outbox
    rows = [{"alert_id": alert["id"], "plugin": plugin, "ruleset": alert["ruleset"],
             "as_of": alert["as_of"], "raised_at": raised_at,
             "payload": json.dumps(alert, ensure_ascii=False)}
            for plugin in plugins for alert in alerts]
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    insert = dialect.insert(table).on_conflict_do_nothing()
    for start in range(0, len(rows), INSERT_BATCH):
        connection.execute(insert, rows[start:start + INSERT_BATCH])


def pending(connection: "Connection") -> dict[str, list[dict[str, Any]]]:
    """The alerts not yet delivered, by plugin, in the order they were raised."""
    sqlalchemy = sqlalchemy_module()
    table = tables().outbox
    found: dict[str, list[dict[str, Any]]] = {}
    for row in connection.execute(
            sqlalchemy.select(table.c.plugin, table.c.payload)
            .where(table.c.delivered_at.is_(None))
            .order_by(table.c.plugin, table.c.raised_at, table.c.as_of, table.c.alert_id)):
        found.setdefault(row.plugin, []).append(json.loads(row.payload))
    return found


def withdraw(connection: "Connection", ruleset: str, as_of: str, kept: set[str]) -> int:
    """Drop the undelivered alerts that the run of ``ruleset`` on ``as_of`` queued and that are
    not in ``kept`` (the run was deleted, or recorded again without raising them): an alert
    no recorded run raises is not sent. Returns how many deliveries were dropped."""
    sqlalchemy = sqlalchemy_module()
    table = tables().outbox
    waiting = {row[0] for row in connection.execute(
        sqlalchemy.select(table.c.alert_id).where(
            table.c.ruleset == ruleset, table.c.as_of == as_of,
            table.c.delivered_at.is_(None)))}
    stale = sorted(waiting - kept)
    dropped = 0
    for start in range(0, len(stale), INSERT_BATCH):
        dropped += connection.execute(table.delete().where(
            table.c.ruleset == ruleset, table.c.as_of == as_of, table.c.delivered_at.is_(None),
            table.c.alert_id.in_(stale[start:start + INSERT_BATCH]))).rowcount
    return dropped


def mark_delivered(connection: "Connection", plugin: str, alert_ids: Sequence[str],
                   delivered_at: str) -> None:
    """Mark ``alert_ids`` as delivered to ``plugin``."""
    table = tables().outbox
    ids = list(alert_ids)
    for start in range(0, len(ids), INSERT_BATCH):
        connection.execute(table.update().where(
            table.c.plugin == plugin, table.c.alert_id.in_(ids[start:start + INSERT_BATCH]),
            table.c.delivered_at.is_(None)).values(delivered_at=delivered_at))
