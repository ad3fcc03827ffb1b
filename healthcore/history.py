"""The score history: every run of ``healthcore evaluate --history DB``, kept in a database.

A run is one ruleset (by name) on one as-of date: its content hash, and per account the score,
tier, segment and each indicator's points. Recording a run is one transaction; recording the
same ruleset name for the same as-of date again replaces that run. The database is a SQLite
file (a plain path, or ``sqlite:///path.db``) or PostgreSQL (``postgresql://user:pass@host/db``).

The schema is versioned: the table ``healthcore_schema_version`` holds the version, and
:func:`open` applies the missing upgrades of :data:`MIGRATIONS`, in order, in one transaction.
Writers are serialized (``BEGIN IMMEDIATE`` on SQLite, an advisory lock on PostgreSQL), so
concurrent runs never lose or mix each other's rows.

SQLAlchemy (Core) is imported only when a history is used.

    >>> store = open("history.db")
    >>> store.record(ruleset.score(accounts), "2024-03-01")
    >>> store.previous("saas-b2b", "2024-04-01")      # the run before that date, as a DataFrame
    >>> store.timeline("ACC-1001", "saas-b2b")        # one account's runs, oldest first
"""

from __future__ import annotations

import datetime as _dt
import difflib
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

import polars as pl

from .errors import InputError
from .io.database import _parse, _reason, _sqlalchemy, create_engine, safe_url

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

    from .results import Results

SCHEMA_VERSION_TABLE = "healthcore_schema_version"
RUNS, SCORES, POINTS = "healthcore_runs", "healthcore_scores", "healthcore_points"
INSERT_BATCH = 10_000
LOCK_KEY = 0x6863_6869  # the PostgreSQL advisory lock that serializes writers ("hchi")
SQLITE_TIMEOUT = 60.0
"""Seconds a SQLite writer waits for another one to finish."""
MOVERS = 3
"""Indicators listed per run of a timeline: those whose points moved most."""


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


MIGRATIONS: list[tuple[int, str, Callable[["Connection"], None]]] = [
    (1, "runs, scores and indicator points", _v1),
]
"""The schema's upgrades, in order: (version, what it does, the function that applies it on a
connection inside the upgrade's transaction). Append new versions; never change old ones."""


def database_url(target: str) -> str:
    """``target`` as a database URL: a path without ``://`` is a SQLite file."""
    if "://" in target:
        return target
    if not target.strip():
        raise InputError("--history needs a SQLite file path or a database URL")
    return f"sqlite:///{Path(target).expanduser().resolve()}"


def _before_commit(connection: "Connection") -> None:
    """Called inside :meth:`HistoryStore.record`'s transaction just before it commits (tests
    replace it to stop a writer half way)."""


@dataclass
class Entry:
    """One run of an account's timeline."""

    as_of: str
    ruleset: str
    content_hash: str
    status: str
    score: float | None
    tier: str | None
    segment: str | None
    delta: float | None
    """The change of the score since the previous run of the ruleset (None: not in it)."""
    points: dict[str, float | None] = field(default_factory=dict)
    movers: list[dict[str, Any]] = field(default_factory=list)
    """The indicators whose points moved most since the previous run, biggest move first:
    ``{"indicator", "previous", "points", "change"}``."""

    def to_dict(self) -> dict[str, Any]:
        return {"as_of": self.as_of, "ruleset": self.ruleset, "content_hash": self.content_hash,
                "status": self.status, "score": self.score, "tier": self.tier,
                "segment": self.segment, "delta": self.delta, "points": self.points,
                "movers": self.movers}


class HistoryStore:
    """A history database; see the module's documentation. Get one with :func:`open`."""

    def __init__(self, url: str, engine: "Engine"):
        self.url = url
        self.name = safe_url(url)
        self._engine = engine

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> "HistoryStore":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # ------------------------------------------------------------------ transactions

    @contextmanager
    def _transaction(self, what: str, *, write: bool) -> Iterator["Connection"]:
        sqlalchemy = _sqlalchemy()
        try:
            connection = self._engine.connect()
        except sqlalchemy.exc.DBAPIError as exc:
            raise InputError(f"cannot open the history {self.name}: {_reason(exc)}; check the "
                             "path, or that the database server is running and the URL's "
                             "host, port, user, password and database name") from None
        try:
            with connection, connection.begin():
                if write and connection.dialect.name == "postgresql":
                    connection.execute(sqlalchemy.text("SELECT pg_advisory_xact_lock(:key)"),
                                       {"key": LOCK_KEY})
                yield connection
        except sqlalchemy.exc.DBAPIError as exc:
            raise InputError(f"{self.name}: cannot {what}: {_reason(exc)}; nothing was "
                             "changed") from None

    def _tables(self):
        sqlalchemy = _sqlalchemy()
        metadata = sqlalchemy.MetaData()
        Column, types = sqlalchemy.Column, sqlalchemy.types
        runs = sqlalchemy.Table(RUNS, metadata, Column("id", types.Integer),
                                Column("ruleset", types.Text), Column("as_of", types.Text),
                                Column("content_hash", types.Text),
                                Column("recorded_at", types.Text),
                                Column("accounts", types.Integer))
        scores = sqlalchemy.Table(SCORES, metadata, Column("run_id", types.Integer),
                                  Column("account_id", types.Text), Column("status", types.Text),
                                  Column("score", types.Double), Column("tier", types.Text),
                                  Column("segment", types.Text))
        points = sqlalchemy.Table(POINTS, metadata, Column("run_id", types.Integer),
                                  Column("account_id", types.Text),
                                  Column("indicator", types.Text), Column("points", types.Double))
        return runs, scores, points

    # ------------------------------------------------------------------------ schema

    def version(self) -> int:
        """The schema version of the database (0: no history tables yet)."""
        with self._transaction("read the schema version", write=False) as connection:
            return _current_version(connection)

    def upgrade(self) -> int:
        """Create the tables, or apply the missing upgrades in order, in one transaction.
        Returns the schema version."""
        sqlalchemy = _sqlalchemy()
        latest = MIGRATIONS[-1][0] if MIGRATIONS else 0
        with self._transaction("create or upgrade the history tables", write=True) as connection:
            sqlalchemy.Table(SCHEMA_VERSION_TABLE, sqlalchemy.MetaData(),
                             sqlalchemy.Column("version", sqlalchemy.Integer, primary_key=True),
                             sqlalchemy.Column("applied_at", sqlalchemy.String(32)),
                             sqlalchemy.Column("description", sqlalchemy.Text)
                             ).create(connection, checkfirst=True)
            current = _current_version(connection)
            if current > latest:
                raise InputError(f"{self.name}: the history has schema version {current}, "
                                 f"newer than this healthcore knows ({latest}); upgrade "
                                 "healthcore (pip install -U healthcore)")
            for version, description, apply in MIGRATIONS:
                if version > current:
                    apply(connection)
                    connection.execute(sqlalchemy.text(
                        f"INSERT INTO {SCHEMA_VERSION_TABLE} (version, applied_at, description) "
                        "VALUES (:v, :at, :d)"), {"v": version, "at": _now(), "d": description})
            return max(current, latest)

    # ------------------------------------------------------------------------ writing

    def record(self, results: "Results", as_of: str | _dt.date | None = None) -> int:
        """Record ``results`` as the run of their ruleset on ``as_of`` (default: today), in
        one transaction, replacing a run of the same ruleset name on the same date. Accounts
        without an id are not recorded; duplicate ids are an error. Returns the run's id."""
        sqlalchemy = _sqlalchemy()
        day = as_of_date(as_of)
        ruleset = results.ruleset
        rows = _score_rows(results, self.name)
        indicators = [indicator.id for indicator in ruleset.indicators]
        runs, scores, points = self._tables()
        with self._transaction(f"record the run of {ruleset.name} on {day}",
                               write=True) as connection:
            old = connection.execute(sqlalchemy.select(runs.c.id).where(
                runs.c.ruleset == ruleset.name, runs.c.as_of == day)).scalar()
            if old is not None:
                connection.execute(points.delete().where(points.c.run_id == old))
                connection.execute(scores.delete().where(scores.c.run_id == old))
                connection.execute(runs.delete().where(runs.c.id == old))
            run_id = connection.execute(runs.insert().values(
                ruleset=ruleset.name, as_of=day, content_hash=ruleset.content_hash,
                recorded_at=_now(), accounts=len(rows)).returning(runs.c.id)).scalar_one()
            for start in range(0, len(rows), INSERT_BATCH):
                batch = rows[start:start + INSERT_BATCH]
                connection.execute(scores.insert(), [
                    {"run_id": run_id, "account_id": r["account_id"], "status": r["status"],
                     "score": r["score"], "tier": r["tier"], "segment": r["segment"]}
                    for r in batch])
                if indicators:
                    connection.execute(points.insert(), [
                        {"run_id": run_id, "account_id": r["account_id"], "indicator": ind,
                         "points": r[f"{ind}.points"]} for r in batch for ind in indicators])
            _before_commit(connection)
        return run_id

    # ------------------------------------------------------------------------ reading

    def runs(self, ruleset_name: str | None = None) -> pl.DataFrame:
        """The recorded runs (``ruleset``, ``as_of``, ``content_hash``, ``recorded_at``,
        ``accounts``), by ruleset then date."""
        sqlalchemy = _sqlalchemy()
        runs, _, _ = self._tables()
        statement = sqlalchemy.select(runs.c.ruleset, runs.c.as_of, runs.c.content_hash,
                                      runs.c.recorded_at, runs.c.accounts
                                      ).order_by(runs.c.ruleset, runs.c.as_of)
        if ruleset_name is not None:
            statement = statement.where(runs.c.ruleset == ruleset_name)
        with self._transaction("read the runs", write=False) as connection:
            found = connection.execute(statement).fetchall()
        return pl.DataFrame([tuple(r) for r in found], orient="row", schema={
            "ruleset": pl.String, "as_of": pl.String, "content_hash": pl.String,
            "recorded_at": pl.String, "accounts": pl.Int64})

    def previous(self, ruleset_name: str, as_of: str | _dt.date | None = None) -> pl.DataFrame:
        """The accounts of the latest run of ``ruleset_name`` before ``as_of``: columns
        ``account_id``, ``as_of``, ``score``, ``tier``, ``segment`` (no rows when there is no
        earlier run)."""
        sqlalchemy = _sqlalchemy()
        day = as_of_date(as_of)
        runs, scores, _ = self._tables()
        with self._transaction("read the previous run", write=False) as connection:
            earlier = connection.execute(
                sqlalchemy.select(runs.c.id, runs.c.as_of)
                .where(runs.c.ruleset == ruleset_name, runs.c.as_of < day)
                .order_by(runs.c.as_of.desc()).limit(1)).first()
            found = [] if earlier is None else connection.execute(
                sqlalchemy.select(scores.c.account_id, scores.c.score, scores.c.tier,
                                  scores.c.segment).where(scores.c.run_id == earlier.id)
            ).fetchall()
        return pl.DataFrame([(r[0], earlier.as_of, r[1], r[2], r[3]) for r in found],
                            orient="row", schema={"account_id": pl.String, "as_of": pl.String,
                                                  "score": pl.Float64, "tier": pl.String,
                                                  "segment": pl.String})

    def timeline(self, account: str, ruleset_name: str | None = None) -> list[Entry]:
        """The runs of ``ruleset_name`` (may be left out when the account is in one ruleset's
        history only) that scored ``account``, oldest first, each with its change since the
        previous run of the ruleset and the indicators whose points moved most."""
        sqlalchemy = _sqlalchemy()
        runs, scores, points = self._tables()
        account = str(account)
        with self._transaction("read the timeline", write=False) as connection:
            names = [r[0] for r in connection.execute(
                sqlalchemy.select(runs.c.ruleset).distinct()
                .select_from(runs.join(scores, scores.c.run_id == runs.c.id))
                .where(scores.c.account_id == account).order_by(runs.c.ruleset))]
            if ruleset_name is None:
                if not names:
                    raise InputError(self._unknown(connection, account, None))
                if len(names) > 1:
                    raise InputError(f"{self.name}: account '{account}' is in the history of "
                                     f"several rulesets ({', '.join(names)}); choose one with "
                                     "--ruleset NAME")
                ruleset_name = names[0]
            elif ruleset_name not in names:
                raise InputError(self._unknown(connection, account, ruleset_name))
            all_runs = connection.execute(
                sqlalchemy.select(runs.c.id, runs.c.as_of, runs.c.content_hash)
                .where(runs.c.ruleset == ruleset_name).order_by(runs.c.as_of)).fetchall()
            run_ids = [r.id for r in all_runs]
            own = {r.run_id: r for r in connection.execute(
                sqlalchemy.select(scores).where(scores.c.account_id == account,
                                                scores.c.run_id.in_(run_ids)))}
            by_run: dict[int, dict[str, float | None]] = {}
            for r in connection.execute(
                    sqlalchemy.select(points.c.run_id, points.c.indicator, points.c.points)
                    .where(points.c.account_id == account, points.c.run_id.in_(run_ids))
                    .order_by(points.c.run_id, points.c.indicator)):
                by_run.setdefault(r.run_id, {})[r.indicator] = r.points
        entries: list[Entry] = []
        before = None
        for run in all_runs:
            row = own.get(run.id)
            if row is not None:
                now = by_run.get(run.id, {})
                was = by_run.get(before.id, {}) if before is not None and before.id in own \
                    else None
                previous_score = own[before.id].score if was is not None else None
                entries.append(Entry(
                    as_of=run.as_of, ruleset=ruleset_name, content_hash=run.content_hash,
                    status=row.status, score=row.score, tier=row.tier, segment=row.segment,
                    delta=_delta(row.score, previous_score), points=now,
                    movers=_movers(was, now) if was is not None else []))
            before = run
        return entries

    def _unknown(self, connection: "Connection", account: str, ruleset_name: str | None) -> str:
        sqlalchemy = _sqlalchemy()
        runs, scores, _ = self._tables()
        statement = sqlalchemy.select(scores.c.account_id).distinct()
        if ruleset_name is not None:
            statement = statement.select_from(scores.join(runs, scores.c.run_id == runs.c.id)
                                              ).where(runs.c.ruleset == ruleset_name)
        known = [r[0] for r in connection.execute(statement.limit(100_000))]
        where = f" for ruleset '{ruleset_name}'" if ruleset_name else ""
        message = f"{self.name}: no history of account '{account}'{where}"
        if ruleset_name is not None:
            rulesets = [r[0] for r in connection.execute(
                sqlalchemy.select(runs.c.ruleset).distinct().order_by(runs.c.ruleset))]
            if ruleset_name not in rulesets:
                close = difflib.get_close_matches(ruleset_name, rulesets, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                return (f"{self.name}: no run of ruleset '{ruleset_name}'{hint}; rulesets "
                        f"recorded: {', '.join(rulesets) or 'none'}")
        close = difflib.get_close_matches(account, known, n=1)
        if close:
            return message + f" (did you mean '{close[0]}'?)"
        if not known:
            return message + ("; nothing is recorded yet: record runs with healthcore evaluate "
                              "RULESET ACCOUNTS --history DB")
        return message + "; check the account id (as written in the accounts' id field)"


# ---------------------------------------------------------------------------- opening

def open(url: str, *, create: bool = True, upgrade: bool = True) -> HistoryStore:  # noqa: A001
    """The history at ``url`` (a SQLite file path, ``sqlite:///path.db`` or a PostgreSQL
    URL), its schema created or upgraded if needed. With ``create=False``, a SQLite file that
    does not exist is an error."""
    url = database_url(url)
    parsed = _parse(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:") or database.startswith("file:"):
            raise InputError(f"{safe_url(url)}: give the path of a SQLite file for the history, "
                             "as in --history history.db or sqlite:////data/history.db")
        if not create and not Path(database).is_file():
            raise InputError(f"no history at {safe_url(url)}: the file '{database}' does not exist; "
                             "record runs with healthcore evaluate RULESET ACCOUNTS "
                             "--history DB, or check the path")
        if not Path(database).parent.is_dir():
            raise InputError(f"{safe_url(url)}: the folder '{Path(database).parent}' does not "
                             "exist; create it or give another path for the history")
    engine = create_engine(url, parsed, sqlite_writer=True, sqlite_timeout=SQLITE_TIMEOUT)
    store = HistoryStore(url, engine)
    if upgrade:
        try:
            store.upgrade()
        except BaseException:
            store.close()
            raise
    return store


# ---------------------------------------------------------------------------- helpers

def as_of_date(value: str | _dt.date | None) -> str:
    """``value`` as an ISO date ``YYYY-MM-DD`` (None: today)."""
    if value is None:
        return _dt.date.today().isoformat()
    if isinstance(value, _dt.datetime):
        return value.date().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    try:
        return _dt.date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise InputError(f"'{value}' is not a date: write the as-of date as YYYY-MM-DD, as in "
                         "2024-03-31") from None


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _current_version(connection: "Connection") -> int:
    sqlalchemy = _sqlalchemy()
    if not sqlalchemy.inspect(connection).has_table(SCHEMA_VERSION_TABLE):
        return 0
    found = connection.execute(sqlalchemy.text(
        f"SELECT MAX(version) FROM {SCHEMA_VERSION_TABLE}")).scalar()
    return int(found or 0)


def _score_rows(results: "Results", name: str) -> list[dict[str, Any]]:
    """The rows to record: one per account with an id, ids as text."""
    ruleset = results.ruleset
    frame = results.scores
    columns = ["account_id", "status", "score", "tier",
               *(["segment"] if "segment" in frame.columns else []),
               *(f"{ind.id}.points" for ind in ruleset.indicators)]
    frame = frame.select(columns).with_columns(pl.col("account_id").cast(pl.String)
                                               ).filter(pl.col("account_id").is_not_null())
    duplicated = frame.filter(pl.col("account_id").is_duplicated())["account_id"].unique(
        maintain_order=True).to_list()
    if duplicated:
        shown = ", ".join(duplicated[:10]) + (", ..." if len(duplicated) > 10 else "")
        raise InputError(f"{name}: cannot record the run: account ids must be unique to keep "
                         f"a history, and these appear more than once: {shown}; fix the "
                         f"accounts' '{ruleset.account_id}' field")
    rows = frame.to_dicts()
    for row in rows:
        row.setdefault("segment", None)
    return rows


def _delta(score: float | None, previous: float | None) -> float | None:
    return None if score is None or previous is None else score - previous


def _movers(was: dict[str, float | None], now: dict[str, float | None]) -> list[dict[str, Any]]:
    moved = []
    for indicator, points in now.items():
        before = was.get(indicator)
        if points is None or before is None or points == before:
            continue
        moved.append({"indicator": indicator, "previous": before, "points": points,
                      "change": points - before})
    moved.sort(key=lambda m: (-abs(m["change"]), m["indicator"]))
    return moved[:MOVERS]


SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(scores: list[float | None]) -> str:
    """The scores (0 to 100) as unicode blocks, one per run; a space for no score."""
    top = len(SPARKS) - 1
    return "".join(" " if s is None else SPARKS[min(top, max(0, int(s / 100 * len(SPARKS))))]
                   for s in scores)


def record_run(results: "Results", url: str, as_of: str | _dt.date | None = None) -> "Results":
    """What ``healthcore evaluate --history URL`` does: ``results`` with their trend against
    the previous run of the ruleset (:meth:`Results.with_trend`), recorded as the run of
    ``as_of`` (default: today)."""
    day = as_of_date(as_of)
    with open(url) as store:
        trended = results.with_trend(store.previous(results.ruleset.name, day))
        store.record(trended, day)
    return trended
