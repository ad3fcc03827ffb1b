"""Reading accounts from, and writing results to, a SQL database.

The driver layer is SQLAlchemy 2 (Core only): SQLite through Python's own ``sqlite3`` module
(``sqlite:///path.db``) and PostgreSQL through psycopg 3 (``postgresql://user:pass@host/db``,
the ``postgres`` extra). Both are imported only when a database is used, so the command starts
as fast without them.

Every error is an :class:`~healthcore.errors.InputError` naming the URL (never its password),
the table or the query, and what to do.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import difflib
import re
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Collection, Iterable, Iterator, Sequence

import polars as pl

from healthcore.errors import InputError
from healthcore.extras import require
from healthcore.io.readers import only_read

if TYPE_CHECKING:
    from sqlalchemy.engine import URL, Connection, Engine

    from healthcore.engine.results import Results

INSERT_BATCH = 10_000
"""Rows sent to the database per INSERT batch."""
SQLITE_BATCH = 200_000
"""Rows handed to SQLite's ``executemany`` at once (their Python values are built per batch,
column by column)."""

_DRIVERS = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg",
            "sqlite": "sqlite"}


def sqlalchemy_module():
    """The ``sqlalchemy`` module, imported on first use (an :class:`InputError` saying what
    to install when it is missing)."""
    try:
        import sqlalchemy
    except ImportError:  # pragma: no cover - a dependency of healthcore
        raise InputError("database access needs SQLAlchemy: pip install 'SQLAlchemy>=2.0'") from None
    return sqlalchemy


_SECRET_SETTING = re.compile(
    r"(?i)\b((?:ssl)?password|passwd|pwd)(\s*=\s*)"
    r"('(?:[^'\\]|\\.)*'?|\"(?:[^\"\\]|\\.)*\"?|(?!\*\*\*)[^&\s]+)")
"""A ``password=...`` setting: in a URL's query, or in a keyword/value connection string
(quoted or not)."""
_URL_IN_TEXT = re.compile(r"\b[A-Za-z][\w+.-]*://\S+")


def safe_url(url: str) -> str:
    """``url`` as it may be shown: every password in it replaced by ``***``, whatever its form
    (``user:password@`` with or without an unencoded ``@`` in the password, a ``password=``
    query parameter, a keyword/value connection string)."""
    return _SECRET_SETTING.sub(r"\1\2***", _without_userinfo_password(url))


def redact(text: str) -> str:
    """``text`` (a message) with the password of every URL and ``password=`` setting in it
    replaced by ``***``."""
    return _SECRET_SETTING.sub(r"\1\2***", _URL_IN_TEXT.sub(
        lambda found: _without_userinfo_password(found.group(0)), text))


def _without_userinfo_password(url: str) -> str:
    """``scheme://user:password@host...`` as ``scheme://user:***@host...``; the password ends
    at the last ``@`` (an unencoded ``@`` in it is taken as part of it)."""
    scheme, separator, rest = url.partition("://")
    at = rest.rfind("@")
    if not separator or at < 0:
        return url
    user, colon, _ = rest[:at].partition(":")
    if not colon or "/" in user:
        return url
    return f"{scheme}://{user}:***{rest[at:]}"


def parse_url(url: str) -> "URL":
    """``url`` (SQLite or PostgreSQL) parsed, with the driver healthcore uses; an
    :class:`InputError` for anything else."""
    sqlalchemy = sqlalchemy_module()
    try:
        parsed = sqlalchemy.engine.make_url(_password_at_encoded(url))
    except Exception:
        raise InputError(f"'{safe_url(url)}' is not a database URL; write "
                         "sqlite:///path/to/file.db or postgresql://user:password@host/database"
                         ) from None
    backend = parsed.drivername.split("+", 1)[0]
    if backend not in _DRIVERS:
        raise InputError(f"{safe_url(url)}: unsupported database '{backend}'; use sqlite:/// "
                         "or postgresql://")
    if "+" not in parsed.drivername:
        parsed = parsed.set(drivername=_DRIVERS[backend])
    return parsed


def _password_at_encoded(url: str) -> str:
    """``url`` with each ``@`` of its password written ``%40``: in ``u:p@ss@host/db`` the
    password is ``p@ss`` (not ``p`` on the host ``ss@host``, which would show it in the
    driver's messages)."""
    scheme, separator, rest = url.partition("://")
    authority = rest.split("?", 1)[0].split("#", 1)[0]
    at = authority.rfind("@")
    user, colon, password = authority[:max(at, 0)].partition(":")
    if not separator or "@" not in password or "/" in user:
        return url
    return f"{scheme}://{user}:{password.replace('@', '%40')}{rest[at:]}"


def _engine(url: str, *, must_exist: bool) -> "Engine":
    """An engine for ``url``; with SQLite, a real transaction around DDL too."""
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:") or database.startswith("file:"):
            raise InputError(f"{safe_url(url)}: give the path of a SQLite file, as in "
                             "sqlite:///accounts.db (relative) or sqlite:////data/accounts.db "
                             "(absolute)")
        if must_exist and not Path(database).is_file():
            raise InputError(f"{safe_url(url)}: no SQLite file '{safe_url(database)}'; check the path "
                             "(sqlite:///relative/path.db, sqlite:////absolute/path.db)")
    return create_engine(url, parsed)


def create_engine(url: str, parsed: "URL", *, sqlite_writer: bool = False,
                  sqlite_timeout: float = 5.0) -> "Engine":
    """An engine for ``parsed`` (``url`` names it in messages). With SQLite, every transaction
    is a real one, DDL included (Python's sqlite3 opens transactions only before
    INSERT/UPDATE/DELETE; this is SQLAlchemy's documented recipe); a ``sqlite_writer`` begins
    them with BEGIN IMMEDIATE, taking the write lock at once so that writers queue (up to
    ``sqlite_timeout`` seconds) instead of failing, and enforces foreign keys; a connection
    whose ``info["healthcore_reading"]`` is true begins a plain (reading) transaction, which
    never waits for the writers."""
    sqlalchemy = sqlalchemy_module()
    backend = parsed.get_backend_name()
    sqlite = backend == "sqlite"
    if backend == "postgresql":
        require("psycopg", f"the PostgreSQL database {safe_url(url)}")
    engine = sqlalchemy.create_engine(
        parsed, poolclass=sqlalchemy.pool.NullPool,
        connect_args={"timeout": sqlite_timeout} if sqlite else {})
    if sqlite:
        @sqlalchemy.event.listens_for(engine, "connect")
        def _connect(dbapi_connection, _record):
            dbapi_connection.isolation_level = None
            if sqlite_writer:
                dbapi_connection.execute("PRAGMA foreign_keys = ON")

        @sqlalchemy.event.listens_for(engine, "begin")
        def _begin(connection):
            reading = connection.info.get("healthcore_reading", False)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if sqlite_writer and not reading
                                       else "BEGIN")
    return engine


def driver_message(exc: BaseException) -> str:
    """The database's own message of a driver error, on one line."""
    original = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(original).strip().splitlines() if line.strip()]
    return " ".join(lines) if lines else type(original).__name__


@contextmanager
def _connected(url: str, *, must_exist: bool, transaction: bool = False
               ) -> Iterator["Connection"]:
    sqlalchemy = sqlalchemy_module()
    engine = _engine(url, must_exist=must_exist)
    try:
        try:
            connection = engine.connect()
        except sqlalchemy.exc.DBAPIError as exc:
            raise InputError(f"cannot connect to {safe_url(url)}: {driver_message(exc)}; "
                             "check that the database server is running and the URL's host, "
                             "port, user, password and database name") from None
        with connection:
            if transaction:
                with connection.begin():
                    yield connection
            else:
                yield connection
    finally:
        engine.dispose()


def _split(name: str) -> tuple[str | None, str]:
    schema, _, table = name.rpartition(".")
    return (schema or None), table


def _table_names(connection: "Connection", schema: str | None) -> list[str]:
    inspector = sqlalchemy_module().inspect(connection)
    return sorted({*inspector.get_table_names(schema=schema),
                   *inspector.get_view_names(schema=schema)})


def read_database(url: str, *, query: str | None = None, table: str | None = None,
                  columns: Collection[str] | None = None) -> pl.DataFrame:
    """The rows of ``query`` (SQL) or of ``table`` in the database at ``url``.

    Column types follow the database's: numbers stay numbers, text stays text; a column mixing
    kinds (SQLite allows it) is read as text and checked by the engine like a CSV cell. With
    ``columns`` (the fields a ruleset reads), a table's other columns are not selected: they
    are kept by name, empty (a query selects what it says).
    """
    if (query is None) == (table is None):
        raise InputError("give either a query or a table to read from the database")
    sqlalchemy = sqlalchemy_module()
    with _connected(url, must_exist=True) as connection:
        if table is not None:
            schema, name = _split(table)
            try:
                reflected = sqlalchemy.Table(name, sqlalchemy.MetaData(), schema=schema,
                                             autoload_with=connection)
            except sqlalchemy.exc.NoSuchTableError:
                raise InputError(_no_table(url, table, connection, schema)) from None
            except sqlalchemy.exc.DBAPIError as exc:
                raise InputError(f"{safe_url(url)}: cannot read table '{table}': "
                                 f"{driver_message(exc)}") from None
            names = [column.name for column in reflected.columns]
            statement = sqlalchemy.select(*(column for index, column in
                                            enumerate(reflected.columns)
                                            if columns is None or index == 0
                                            or column.name in columns))
            what = f"table '{table}'"
        else:
            statement = sqlalchemy.text(query)
            what = f"query {_short(query)}"
        try:
            result = connection.execute(statement)
            if not result.returns_rows:
                raise InputError(f"{safe_url(url)}: the {what} returns no rows; give a SELECT")
            selected = list(result.keys())
            rows = result.fetchall()
        except sqlalchemy.exc.DBAPIError as exc:
            connection.rollback()
            raise InputError(f"{safe_url(url)}: the {what} failed: {driver_message(exc)}; "
                             "check the SQL") from None
    frame = _frame(selected, rows, f"{safe_url(url)} ({what})")
    return frame if table is None or columns is None else only_read(frame, names)


def _short(query: str, width: int = 120) -> str:
    text = " ".join(query.split())
    return repr(text if len(text) <= width else text[: width - 3] + "...")


def _no_table(url: str, table: str, connection: "Connection", schema: str | None) -> str:
    try:
        names = _table_names(connection, schema)
    except Exception:
        names = []
    _, name = _split(table)
    where = f" in schema '{schema}'" if schema else ""
    message = f"{safe_url(url)}: no table '{table}'{where}"
    close = difflib.get_close_matches(name, names, n=1)
    if close:
        message += f" (did you mean '{close[0]}'?)"
    if names:
        shown = ", ".join(names[:20]) + (", ..." if len(names) > 20 else "")
        return message + f"; tables: {shown}"
    return message + "; the database has no tables: check the URL"


def _frame(columns: list[str], rows: list[Any], name: str) -> pl.DataFrame:
    from healthcore.io.records import frame_from_columns

    seen: set[str] = set()
    for column in columns:
        if column in seen:
            raise InputError(f"{name}: the column '{column}' appears twice; give each column "
                             "its own name (SELECT ... AS name)")
        seen.add(column)
    values = list(zip(*rows)) if rows else [() for _ in columns]
    return frame_from_columns({column: [_plain(v) for v in cells]
                               for column, cells in zip(columns, values)})


def _plain(value: Any) -> Any:
    """A database value as the engine reads JSON values: numbers, text, booleans, None."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, _dt.timedelta):
        return value.total_seconds()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    return str(value)


# ------------------------------------------------------------------------------ writing

def _sql_type(dtype: pl.DataType):
    types = sqlalchemy_module().types
    if dtype == pl.Boolean:
        return types.Boolean()
    if dtype.is_integer():
        return types.BigInteger()
    if dtype.is_numeric():
        return types.Double()
    return types.Text()


HISTORY_TABLE_PREFIX = "healthcore_"
"""The score history keeps its tables under names beginning with this prefix; results are never
written into a table so named."""
STAGING_SUFFIX = "__healthcore_new"
"""The suffix of the table that the results are written into before it replaces the old one."""
TEMPORARY_SCHEMAS = ("temp", "pg_temp")
"""Schemas whose tables the database drops when the connection closes."""


def check_names(url: str, table: str, columns: Iterable[str]) -> None:
    """Raise :class:`~healthcore.errors.InputError` now if ``table`` (a name or
    ``schema.name``) or one of ``columns`` cannot be a name in the database at ``url`` (too
    long: PostgreSQL would cut it to 63 bytes, and cut names collide), or if the table would
    be temporary, so that nothing is scored or written for a table that cannot be kept."""
    parsed = parse_url(url)
    backend = "PostgreSQL" if parsed.get_backend_name() == "postgresql" else "SQLite"
    limit = parsed.get_dialect().max_identifier_length
    schema, name = _split(table)
    if not name:
        raise InputError(f"'{table}' is not a table name")
    if schema and schema.lower().startswith(TEMPORARY_SCHEMAS):
        raise InputError(f"{safe_url(url)}: the table '{table}' would be in the temporary "
                         f"schema '{schema}', which {backend} empties when the run ends: nothing "
                         "would be kept; give a table of a lasting schema")
    unit = "bytes" if backend == "PostgreSQL" else "characters"
    most = limit - len(STAGING_SUFFIX)
    if _length(name, backend) > most:
        raise InputError(f"{safe_url(url)}: the table name '{name}' is {_length(name, backend)} "
                         f"{unit} long; {backend} names are at most {limit} {unit}, and the "
                         f"results are first written into '{name}{STAGING_SUFFIX}': give a "
                         f"table name of at most {most} {unit}")
    for column in columns:
        if _length(column, backend) > limit:
            raise InputError(f"{safe_url(url)}: the column '{column}' of the results is "
                             f"{_length(column, backend)} {unit} long; {backend} names are at "
                             f"most {limit} {unit} (longer ones are cut and may collide): give "
                             "the indicator or group it comes from a shorter id")


def check_not_history_table(table: str) -> None:
    """Refuse ``table`` (``name`` or ``schema.name``) as a table to write results into when it
    is named like a table of the score history (:data:`HISTORY_TABLE_PREFIX`): replacing it
    would destroy the history."""
    name = table.rpartition(".")[2].strip().strip('"').lower()
    if name.startswith(HISTORY_TABLE_PREFIX):
        raise InputError(f"'{table}' is a table of the score history, or named like one "
                         f"(healthcore keeps the history in the tables whose names begin with "
                         f"{HISTORY_TABLE_PREFIX}): writing results into it would destroy the "
                         "history; choose another table name")


def _length(name: str, backend: str) -> int:
    """The length of ``name`` as ``backend`` counts it: PostgreSQL in bytes (UTF-8)."""
    return len(name.encode("utf-8")) if backend == "PostgreSQL" else len(name)


def write_table(results: "Results", url: str, table: str, *,
                columns: Sequence[str] | None = None,
                on_rows: Callable[[int], None] | None = None) -> int:
    """Replace the content of ``table`` at ``url`` with the flat results, atomically.

    The rows go to a new table that replaces the old one (drop, then rename) in the same
    transaction: a failed run leaves the previous content. Columns are those of the CSV
    output (``columns`` chooses some, as :meth:`Results.lazy` takes them); lists are text
    joined by ``'; '``. Returns the number of rows written. ``on_rows`` is called with the
    number of rows after each batch.
    """
    from healthcore.io.writers import flat_for_csv

    frame = flat_for_csv(results, columns).collect()
    return write_frame(frame, url, table, on_rows=on_rows)


def write_frame(frame: pl.DataFrame, url: str, table: str, *,
                on_rows: Callable[[int], None] | None = None) -> int:
    """:func:`write_table` for any flat frame (its names checked first by
    :func:`check_names`). A table of the score history (whose replacement would destroy it)
    is refused with an :class:`InputError` (:func:`check_not_history_table`)."""
    sqlalchemy = sqlalchemy_module()
    check_names(url, table, frame.columns)
    schema, name = _split(table)
    check_not_history_table(table)
    frame = frame.with_columns(pl.col(c).cast(pl.String) for c, dtype in frame.schema.items()
                               if not (dtype == pl.Boolean or dtype.is_numeric()
                                       or dtype == pl.String))
    staging = f"{name}{STAGING_SUFFIX}"
    metadata = sqlalchemy.MetaData()
    new = sqlalchemy.Table(staging, metadata,
                           *(sqlalchemy.Column(column, _sql_type(dtype))
                             for column, dtype in frame.schema.items()), schema=schema)
    old = sqlalchemy.Table(name, metadata, schema=schema)
    step = f"cannot create table '{table}'"
    try:
        with _connected(url, must_exist=False, transaction=True) as connection:
            preparer = connection.dialect.identifier_preparer
            new.drop(connection, checkfirst=True)
            new.create(connection)
            step = f"cannot write the results into table '{table}'"
            written = 0
            for batch in frame.iter_slices(INSERT_BATCH):
                _insert(connection, new, batch)
                written += batch.height
                if on_rows:
                    on_rows(written)
            step = f"cannot replace table '{table}'"
            old.drop(connection, checkfirst=True)
            connection.exec_driver_sql(f"ALTER TABLE {preparer.format_table(new)} "
                                       f"RENAME TO {preparer.quote(name)}")
    except sqlalchemy.exc.DBAPIError as exc:
        raise InputError(f"{safe_url(url)}: {step}: {driver_message(exc)}; the table keeps its "
                         "previous content") from None
    return frame.height


def _insert(connection: "Connection", table: Any, rows: pl.DataFrame) -> None:
    """Insert a batch of rows (a separate function so tests can make a write fail)."""
    insert_frame(connection, table, rows)


def insert_frame(connection: "Connection", table: Any, frame: pl.DataFrame) -> None:
    """Insert the rows of ``frame`` (its columns named like the table's) into ``table`` (a
    SQLAlchemy Table) inside the connection's transaction, through the driver's bulk path:
    PostgreSQL's COPY, SQLite's executemany."""
    if frame.is_empty():
        return
    preparer = connection.dialect.identifier_preparer
    columns = ", ".join(preparer.quote(column) for column in frame.columns)
    target = preparer.format_table(table)
    driver = connection.connection.dbapi_connection
    if connection.dialect.name == "postgresql":
        data = frame.write_csv(include_header=False, null_value=r"\N", quote_style="non_numeric")
        with driver.cursor() as cursor, cursor.copy(
                f"COPY {target} ({columns}) FROM STDIN WITH (FORMAT csv, NULL '\\N')") as copy:
            copy.write(data)
    elif connection.dialect.name == "sqlite":
        marks = ", ".join("?" * frame.width)
        statement = f"INSERT INTO {target} ({columns}) VALUES ({marks})"
        for batch in frame.iter_slices(SQLITE_BATCH):
            driver.executemany(statement, zip(*(batch[column].to_list()
                                                for column in batch.columns)))
    else:
        connection.execute(table.insert(), frame.to_dicts())
