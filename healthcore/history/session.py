"""The connection to a history database: its URL, and the transactions every reading and
writing goes through.

Writers are serialized (``BEGIN IMMEDIATE`` on SQLite, an advisory lock on PostgreSQL), so
concurrent runs never lose or mix each other's rows; readers never take that lock. A writer
waits for another one up to ``HEALTHCORE_HISTORY_WAIT`` seconds, then says who holds the lock.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import polars as pl

from healthcore.errors import InputError
from healthcore.history import lock
from healthcore.io.database import (create_engine, driver_message, parse_url, safe_url,
                                    sqlalchemy_module)

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

LOCK_KEY = 0x6863_6869  # the PostgreSQL advisory lock that serializes writers ("hchi")
WAIT_ENV = "HEALTHCORE_HISTORY_WAIT"
DEFAULT_WAIT = 600.0
"""Seconds a writer waits for another one to finish (``HEALTHCORE_HISTORY_WAIT`` changes it)."""
SQLITE_HEADER = b"SQLite format 3\x00"
"""The first bytes of every SQLite database file."""


_CONNECTION_STRING = re.compile(r"(?:^|\s)(?:host|hostaddr|dbname|user|password)\s*=")
"""The start of a libpq keyword/value setting (``host=... password=...``)."""


def database_url(target: str) -> str:
    """``target`` as a database URL: a path without ``://`` is a SQLite file."""
    if "://" in target:
        return target
    if not target.strip():
        raise InputError("the history needs a SQLite file path or a database URL")
    if _CONNECTION_STRING.search(target):
        raise InputError(f"'{safe_url(target)}' is a keyword/value connection string, not a "
                         "SQLite file path: give a URL, as in postgresql://user:password@host/db")
    return f"sqlite:///{Path(target).expanduser().resolve()}"


def connect(url: str, *, must_exist: bool) -> "Session":
    """A session on the history at ``url`` (a SQLite file path, ``sqlite:///path.db`` or a
    PostgreSQL URL); with ``must_exist``, a SQLite file that does not exist is an error."""
    url = database_url(url)
    parsed = parse_url(url)
    sqlite_file = None
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:") or database.startswith("file:"):
            raise InputError(f"{safe_url(url)}: give the path of a SQLite file for the history, "
                             "as in history.db or sqlite:////data/history.db")
        sqlite_file = Path(database)
        _check_sqlite_file(sqlite_file)
        if must_exist and not sqlite_file.is_file():
            raise InputError(f"no history at {safe_url(url)}: the file '{safe_url(database)}' "
                             "does not exist; record runs with evaluate(ruleset, accounts, "
                             "history=DB), or check the path")
        if not sqlite_file.parent.is_dir():
            raise InputError(f"{safe_url(url)}: the folder '{sqlite_file.parent}' does not "
                             "exist; create it or give another path for the history")
    wait = _wait_seconds()
    engine = create_engine(url, parsed, sqlite_writer=True, sqlite_timeout=wait)
    return Session(url, engine, wait, sqlite_file)


class Session:
    """The transactions on one history database."""

    def __init__(self, url: str, engine: "Engine", wait: float = DEFAULT_WAIT,
                 sqlite_file: Path | None = None):
        self.url = url
        self.name = safe_url(url)
        """The database as messages name it (never its password)."""
        self.wait = wait
        self._engine = engine
        self._bound: "Connection | None" = None
        self._note = lock.note_path(sqlite_file) if sqlite_file is not None else None

    def close(self) -> None:
        """Close the database's connections."""
        self._engine.dispose()

    @contextmanager
    def transaction(self, what: str, *, write: bool) -> Iterator["Connection"]:
        """A transaction on the history; a writing one holds the writers' lock (a reading one
        never waits for it). Inside :meth:`writing`, every call shares its transaction."""
        if self._bound is not None:
            yield self._bound
            return
        sqlalchemy = sqlalchemy_module()
        try:
            connection = self._engine.connect()
        except sqlalchemy.exc.DBAPIError as exc:
            hint = ("check the path and that you may read and write the file and its folder"
                    if self._engine.dialect.name == "sqlite" else
                    "check that the database server is running and the URL's host, port, "
                    "user, password and database name")
            raise InputError(f"cannot open the history {self.name}: {driver_message(exc)}; {hint}"
                             ) from None
        connection.info["healthcore_reading"] = not write
        try:
            with connection, connection.begin():
                if write:
                    self._lock(connection, what)
                yield connection
        except sqlalchemy.exc.DBAPIError as exc:
            if lock.is_timeout(exc):
                raise InputError(self._busy(what)) from None
            raise InputError(f"{self.name}: cannot {what}: {driver_message(exc)}; nothing was "
                             "changed") from None
        finally:
            if write:
                lock.withdraw(self._note)

    def _lock(self, connection: "Connection", what: str) -> None:
        """Take the writers' lock (SQLite took it with BEGIN IMMEDIATE) and say who holds it."""
        if connection.dialect.name == "postgresql":
            sqlalchemy = sqlalchemy_module()
            connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{int(self.wait * 1000)}ms'")
            connection.execute(sqlalchemy.text("SELECT pg_advisory_xact_lock(:key)"),
                               {"key": LOCK_KEY})
            connection.execute(sqlalchemy.text("SELECT set_config('application_name', :n, true)"),
                               {"n": f"healthcore: {what}"[:63]})
        lock.announce(self._note, what)

    def _busy(self, what: str) -> str:
        """Why a writing transaction gave up waiting for the lock."""
        holder = lock.holder(self._note) or self._postgres_writer()
        who = f" ({holder})" if holder else ""
        return (f"{self.name}: cannot {what}: another healthcore run is writing to this "
                f"history{who} and it did not finish within {self.wait:g} s; nothing was "
                f"changed: try again when it has finished (the wait is set by {WAIT_ENV}, in "
                "seconds)")

    def _postgres_writer(self) -> str | None:
        """What the PostgreSQL session holding the writers' lock said it is doing."""
        if self._engine.dialect.name != "postgresql":
            return None
        sqlalchemy = sqlalchemy_module()
        try:
            with self._engine.connect() as connection:
                found = connection.execute(sqlalchemy.text(
                    "SELECT a.application_name, a.xact_start FROM pg_locks l JOIN "
                    "pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND "
                    "l.granted AND l.objid = :key"), {"key": LOCK_KEY}).first()
        except sqlalchemy.exc.DBAPIError:
            return None
        if found is None or not (found[0] or "").startswith("healthcore: "):
            return None
        return f"{found[0].removeprefix('healthcore: ')}, since {found[1]:%Y-%m-%d %H:%M:%S}"

    @contextmanager
    def writing(self, what: str) -> Iterator[None]:
        """One writing transaction for every transaction of the session inside the block
        (reads included): the writers' lock is taken first, so what is read cannot change
        before the block's writes commit. An exception rolls everything back."""
        if self._bound is not None:
            yield
            return
        with self.transaction(what, write=True) as connection:
            self._bound = connection
            try:
                yield
            finally:
                self._bound = None


def _wait_seconds() -> float:
    """How long a writer waits for another one: ``HEALTHCORE_HISTORY_WAIT`` or the default."""
    value = os.environ.get(WAIT_ENV, "").strip()
    if not value:
        return DEFAULT_WAIT
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds < 1e7:
        raise InputError(f"{WAIT_ENV}={value!r}: give the seconds a run waits for another one "
                         "writing to the history, as a positive number")
    return seconds


def _check_sqlite_file(path: Path) -> None:
    """Refuse a directory, or a file that is neither empty nor a SQLite database, as the
    history's SQLite file (a missing one is fine: it is created)."""
    if path.is_dir():
        raise InputError(f"{path} is a directory: give a file path (SQLite), as in "
                         f"{path / 'history.db'}, or a database URL")
    try:
        with path.open("rb") as file:
            start = file.read(len(SQLITE_HEADER))
    except OSError:
        return  # missing or unreadable: opening it says why
    if start and start != SQLITE_HEADER:
        raise InputError(f"{path} is not a SQLite database (it does not begin with SQLite's "
                         "header): give a new file name for the history, or the right file")


def now() -> str:
    """The current time (UTC), as the history records it."""
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def frame_of(rows: Any, schema: dict[str, Any]) -> pl.DataFrame:
    """Query result rows as a DataFrame with ``schema``."""
    return pl.DataFrame([tuple(row) for row in rows], schema=schema, orient="row")


def read_frame(connection: "Connection", statement: Any, schema: dict[str, Any]
               ) -> pl.DataFrame:
    """The rows of ``statement`` (selecting text and number columns in the order of
    ``schema``) as a DataFrame, fetched as the driver returns them, without building a row
    object per row: how the large reads (a whole run's scores or points) are done."""
    rows = connection.execute(statement).cursor.fetchall()
    return pl.DataFrame(rows, schema=schema, orient="row")
