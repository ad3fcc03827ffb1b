"""The overrides' audit trail in the database: every change is a new row, never an update
(what the rows mean is :mod:`healthcore.history.overrides`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from healthcore.history.overrides import COLUMNS as OVERRIDE_COLUMNS
from healthcore.history.overrides import Override
from healthcore.history.session import frame_of, now
from healthcore.history.tables import tables
from healthcore.io.database import sqlalchemy_module

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection


def add(connection: "Connection", override: Override) -> int:
    """Record a change of an account's override (never changing earlier ones); returns
    its id."""
    overrides = tables().overrides
    return connection.execute(overrides.insert().values(
        account_id=str(override.account_id), ruleset=override.ruleset,
        kind=override.kind, tier=override.tier, reason=override.reason,
        author=override.author, recorded_at=now(), starts=override.starts,
        until=override.until).returning(overrides.c.id)).scalar_one()


def trail(connection: "Connection", account: str | None = None) -> pl.DataFrame:
    """Every override change (of ``account``, or of all), oldest first: the audit trail."""
    sqlalchemy = sqlalchemy_module()
    overrides = tables().overrides
    statement = sqlalchemy.select(*(overrides.c[name] for name in OVERRIDE_COLUMNS)
                                  ).order_by(overrides.c.id)
    if account is not None:
        statement = statement.where(overrides.c.account_id == str(account))
    return frame_of(connection.execute(statement), OVERRIDE_COLUMNS)
