"""The score history: every run of ``healthcore evaluate --history DB``, kept in a database.

A run is one ruleset (by name) on one as-of date: its content hash, and per account the score,
tier, segment and each indicator's points. Recording a run is one transaction; recording the
same ruleset name for the same as-of date again replaces that run. The database is a SQLite
file (a plain path, or ``sqlite:///path.db``) or PostgreSQL (``postgresql://user:pass@host/db``).

The schema is versioned: the table ``healthcore_schema_version`` holds the version, and
:func:`open` applies the missing upgrades of :data:`MIGRATIONS`, in order, in one transaction.
Writers are serialized (``BEGIN IMMEDIATE`` on SQLite, an advisory lock on PostgreSQL), so
concurrent runs never lose or mix each other's rows; readers never take that lock. A run is
scored and recorded inside one writing transaction (:meth:`HistoryStore.writing`): it reads its
baseline (the previous run, ``previous(...)`` values, overrides) after taking the lock, so runs
of different dates at the same time give the history they would give one after the other. A
run dated before a recorded run of the same ruleset is refused: the later runs' trends, alerts
and ``previous(...)`` values were computed without it.

SQLAlchemy (Core) is imported only when a history is used.

    >>> store = open("history.db")
    >>> store.record(ruleset.score(accounts), "2024-03-01")
    >>> store.previous("saas-b2b", "2024-04-01")      # the run before that date, as a DataFrame
    >>> store.timeline("ACC-1001", "saas-b2b")        # one account's runs, oldest first
"""

from __future__ import annotations

import datetime as _dt
import difflib
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import polars as pl

from healthcore.errors import InputError
from healthcore.engine.results import listed
from healthcore.io.database import (_parse, _reason, _sqlalchemy, create_engine, insert_frame,
                           safe_url)
from healthcore.history import alerts as alerting
from healthcore.history import lock, outbox
from healthcore.history.dates import FIRST_DAY, as_of_date, days_before
from healthcore.history.overrides import COLUMNS as OVERRIDE_COLUMNS
from healthcore.history.overrides import Override
from healthcore.history.tables import (MIGRATIONS, RUNS, RUNS_FIRST_COLUMNS, SCHEMA_VERSION_TABLE,
                     TABLE_NAMES, tables)
from healthcore.history.timeline import Entry, delta, movers

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

    from healthcore.engine.results import Results
    from healthcore.ruleset.model import Ruleset

INSERT_BATCH = 10_000
SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}
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


def _before_commit(connection: "Connection") -> None:
    """Called inside :meth:`HistoryStore.record`'s transaction just before it commits (tests
    replace it to stop a writer half way)."""


@dataclass
class Recorded:
    """What recording a run did: its id, and the alerts it raised (as plain dicts)."""

    run_id: int
    raised: list[dict[str, Any]]


class HistoryStore:
    """A history database; see the module's documentation. Get one with :func:`open`."""

    def __init__(self, url: str, engine: "Engine", wait: float = DEFAULT_WAIT,
                 sqlite_file: Path | None = None):
        self.url = url
        self.name = safe_url(url)
        self.wait = wait
        self._engine = engine
        self._bound: "Connection | None" = None
        self._note = lock.note_path(sqlite_file) if sqlite_file is not None else None

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> "HistoryStore":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # ------------------------------------------------------------------ transactions

    @contextmanager
    def _transaction(self, what: str, *, write: bool) -> Iterator["Connection"]:
        """A transaction on the history; a writing one holds the writers' lock (a reading one
        never waits for it). Inside :meth:`writing`, every call shares its transaction."""
        if self._bound is not None:
            yield self._bound
            return
        sqlalchemy = _sqlalchemy()
        try:
            connection = self._engine.connect()
        except sqlalchemy.exc.DBAPIError as exc:
            hint = ("check the path and that you may read and write the file and its folder"
                    if self._engine.dialect.name == "sqlite" else
                    "check that the database server is running and the URL's host, port, "
                    "user, password and database name")
            raise InputError(f"cannot open the history {self.name}: {_reason(exc)}; {hint}"
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
            raise InputError(f"{self.name}: cannot {what}: {_reason(exc)}; nothing was "
                             "changed") from None
        finally:
            if write:
                lock.withdraw(self._note)

    def _lock(self, connection: "Connection", what: str) -> None:
        """Take the writers' lock (SQLite took it with BEGIN IMMEDIATE) and say who holds it."""
        if connection.dialect.name == "postgresql":
            sqlalchemy = _sqlalchemy()
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
        sqlalchemy = _sqlalchemy()
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
    def writing(self, what: str) -> Iterator["HistoryStore"]:
        """One writing transaction for everything done with the store inside the block
        (reads included): the writers' lock is taken first, so what is read cannot change
        before the block's writes commit. An exception rolls everything back."""
        if self._bound is not None:
            yield self
            return
        with self._transaction(what, write=True) as connection:
            self._bound = connection
            try:
                yield self
            finally:
                self._bound = None

    # ------------------------------------------------------------------------ schema

    def version(self) -> int:
        """The schema version of the database (0: no history tables yet)."""
        with self._transaction("read the schema version", write=False) as connection:
            return _current_version(connection, self.name)

    def upgrade(self) -> int:
        """Create the tables, or apply the missing upgrades in order, in one transaction.
        Returns the schema version. A database whose tables of these names healthcore did not
        create is refused before anything is created in it."""
        sqlalchemy = _sqlalchemy()
        latest = latest_version()
        with self._transaction("create or upgrade the history tables", write=True) as connection:
            _check_ours(connection, self.name)
            sqlalchemy.Table(SCHEMA_VERSION_TABLE, sqlalchemy.MetaData(),
                             sqlalchemy.Column("version", sqlalchemy.Integer, primary_key=True),
                             sqlalchemy.Column("applied_at", sqlalchemy.String(32)),
                             sqlalchemy.Column("description", sqlalchemy.Text)
                             ).create(connection, checkfirst=True)
            current = _current_version(connection, self.name)
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

    def record(self, results: "Results", as_of: str | _dt.date | None = None, *,
               deliver_to: Sequence[str] = (), overrides_upto: int | None = None
               ) -> Recorded:
        """Record ``results`` as the run of their ruleset on ``as_of`` (default: today), in
        one transaction, replacing a run of the same ruleset name on the same date, with the
        states of the ruleset's alerts. The alerts raised go to the outbox of each plugin named
        in ``deliver_to`` (see :mod:`healthcore.history.outbox`); ``overrides_upto`` is the
        last override the results applied. Accounts without an id are not recorded; duplicate
        ids, no account to record or none scored, and a date before a recorded run of the
        ruleset are errors. Returns the run's id and the alerts it raised (an alert the
        replaced run had raised already is not raised again; one it raised and this run does
        not leaves the outbox if it was not delivered yet)."""
        sqlalchemy = _sqlalchemy()
        day = as_of_date(as_of)
        ruleset = results.ruleset
        frame = recorded_frame(results, self.name)
        indicators = [indicator.id for indicator in ruleset.indicators]
        t = tables()
        with self._transaction(f"record the run of {ruleset.name} on {day}",
                               write=True) as connection:
            self.check_in_order(ruleset.name, day)
            old = connection.execute(sqlalchemy.select(t.runs.c.id).where(
                t.runs.c.ruleset == ruleset.name, t.runs.c.as_of == day)).scalar()
            raised_before: set[tuple[str, str]] = set()
            if old is not None:
                raised_before = {(r.alert, r.account_id) for r in connection.execute(
                    sqlalchemy.select(t.alerts.c.alert, t.alerts.c.account_id)
                    .where(t.alerts.c.run_id == old, t.alerts.c.raised))}
                _delete_run(connection, old)
            states = self._alert_states(connection, ruleset, frame, day)
            recorded_at = _now()
            run_id = connection.execute(t.runs.insert().values(
                ruleset=ruleset.name, as_of=day, content_hash=ruleset.content_hash,
                recorded_at=recorded_at, accounts=frame.height, overrides_upto=overrides_upto
            ).returning(t.runs.c.id)).scalar_one()
            run = pl.lit(run_id, pl.Int64).alias("run_id")
            insert_frame(connection, t.scores, frame.select(
                run, "account_id", "status", "score", "tier", "segment", "override"))
            for indicator in indicators:
                insert_frame(connection, t.points, frame.select(
                    run, "account_id", pl.lit(indicator).alias("indicator"),
                    pl.col(f"{indicator}.points").alias("points"),
                    pl.col(f"{indicator}.value").alias("value")))
            insert_frame(connection, t.alerts, states.select(run, pl.all()))
            raised = alerting.to_records(states, ruleset, day, frame)
            if old is not None:
                outbox.withdraw(connection, ruleset.name, day, {alert["id"] for alert in raised})
            outbox.queue(connection, raised, deliver_to, recorded_at)
            _before_commit(connection)
        return Recorded(run_id, [alert for alert in raised
                                 if (alert["alert"], alert["account_id"]) not in raised_before])

    def check_in_order(self, ruleset_name: str, day: str) -> None:
        """Refuse a run of ``ruleset_name`` dated ``day`` when the history has a later run of
        it (re-recording the latest date is fine)."""
        sqlalchemy = _sqlalchemy()
        runs = tables().runs
        with self._transaction("read the runs", write=False) as connection:
            later = [r[0] for r in connection.execute(
                sqlalchemy.select(runs.c.as_of).where(runs.c.ruleset == ruleset_name,
                                                      runs.c.as_of > day)
                .order_by(runs.c.as_of).limit(6))]
        if later:
            shown = ", ".join(later[:5]) + (", ..." if len(later) > 5 else "")
            raise InputError(
                f"{self.name}: cannot record the run of {ruleset_name} on {day}: the history "
                f"already has later runs of this ruleset ({shown}), whose trends, alerts and "
                f"previous(...) values were computed without it; nothing was recorded. Runs "
                f"are recorded in date order: to add {day}, delete the later runs "
                "(HistoryStore.delete_run), then record them again after it")

    # ------------------------------------------------------------------------ the outbox

    def pending_alerts(self) -> dict[str, list[dict[str, Any]]]:
        """The raised alerts not yet taken by each plugin, by plugin name, oldest first."""
        with self._transaction("read the alerts waiting for delivery", write=False
                               ) as connection:
            return outbox.pending(connection)

    def mark_delivered(self, plugin: str, alert_ids: Sequence[str]) -> None:
        """Mark ``alert_ids`` as taken by ``plugin`` (its hook returned)."""
        with self._transaction(f"mark the alerts delivered to plugin '{plugin}'",
                               write=True) as connection:
            outbox.mark_delivered(connection, plugin, alert_ids, _now())

    def delete_run(self, as_of: str | _dt.date, ruleset_name: str | None = None
                   ) -> dict[str, Any]:
        """Delete the run of ``ruleset_name`` on ``as_of`` (the ruleset may be left out when
        one ruleset only has a run that day) with its scores, points and alert states, and the
        deliveries of its alerts still waiting in the outbox, in one transaction. Returns what
        was deleted: ``ruleset``, ``as_of``, ``accounts`` and ``alerts`` (the alert
        states)."""
        sqlalchemy = _sqlalchemy()
        day = as_of_date(as_of)
        runs = tables().runs
        with self._transaction(f"delete the run of {day}", write=True) as connection:
            found = connection.execute(
                sqlalchemy.select(runs.c.id, runs.c.ruleset, runs.c.accounts)
                .where(runs.c.as_of == day).order_by(runs.c.ruleset)).fetchall()
            chosen = [run for run in found if ruleset_name in (None, run.ruleset)]
            if len(chosen) != 1:
                raise InputError(self._no_single_run(connection, day, ruleset_name,
                                                     [run.ruleset for run in found]))
            run = chosen[0]
            alerts = _delete_run(connection, run.id)
            outbox.withdraw(connection, run.ruleset, day, set())
        return {"ruleset": run.ruleset, "as_of": day, "accounts": run.accounts,
                "alerts": alerts}

    def _no_single_run(self, connection: "Connection", day: str, ruleset_name: str | None,
                       that_day: list[str]) -> str:
        """Why :meth:`delete_run` found no run, or several, to delete."""
        if len(that_day) > 1 and ruleset_name is None:
            return (f"{self.name}: several rulesets have a run on {day} ({', '.join(that_day)}); "
                    "choose one with ruleset=NAME")
        sqlalchemy = _sqlalchemy()
        runs = tables().runs
        latest = [f"{r.ruleset} {r.as_of}" for r in connection.execute(
            sqlalchemy.select(runs.c.ruleset, runs.c.as_of)
            .order_by(runs.c.as_of.desc(), runs.c.ruleset).limit(10))]
        what = f"ruleset '{ruleset_name}'" if ruleset_name else "any ruleset"
        return (f"{self.name}: no run of {what} on {day}; latest runs: "
                f"{', '.join(latest) or 'none'}")

    def _alert_states(self, connection: "Connection", ruleset: "Ruleset", frame: pl.DataFrame,
                      day: str) -> pl.DataFrame:
        """The states of the ruleset's alerts in the run of ``day`` (churned accounts left
        out), from what the history holds before that day."""
        if not ruleset.alerts:
            return pl.DataFrame(schema=alerting.STATE_COLUMNS)
        sqlalchemy = _sqlalchemy()
        t = tables()
        earlier = connection.execute(
            sqlalchemy.select(t.runs.c.id, t.runs.c.as_of)
            .where(t.runs.c.ruleset == ruleset.name, t.runs.c.as_of < day)
            .order_by(t.runs.c.as_of.desc())).fetchall()
        context = alerting.Context(day)
        if earlier:
            context.previous_as_of = earlier[0].as_of
            context.previous = _frame(connection.execute(
                sqlalchemy.select(t.scores.c.account_id, t.scores.c.tier)
                .where(t.scores.c.run_id == earlier[0].id)), {"account_id": pl.String,
                                                              "tier": pl.String})
            since = min(earlier[0].as_of,
                        days_before(day, alerting.longest_cooldown(ruleset)) or FIRST_DAY)
            states = _frame(connection.execute(
                sqlalchemy.select(t.alerts.c.alert, t.alerts.c.account_id, t.runs.c.as_of,
                                  t.alerts.c.since, t.alerts.c.baseline)
                .select_from(t.alerts.join(t.runs, t.alerts.c.run_id == t.runs.c.id))
                .where(t.runs.c.ruleset == ruleset.name, t.runs.c.as_of < day,
                       t.runs.c.as_of >= since)),
                {"alert": pl.String, "account_id": pl.String, "as_of": pl.String,
                 "since": pl.String, "baseline": pl.String})
            context.last_states = states.sort("as_of").group_by(
                "alert", "account_id", maintain_order=True).last()
        for days in alerting.needs_peaks(ruleset):
            context.peaks[days] = _frame(connection.execute(
                sqlalchemy.select(t.scores.c.account_id, sqlalchemy.func.max(t.scores.c.score))
                .select_from(t.scores.join(t.runs, t.scores.c.run_id == t.runs.c.id))
                .where(t.runs.c.ruleset == ruleset.name, t.runs.c.as_of < day,
                       t.runs.c.as_of >= (days_before(day, days) or FIRST_DAY))
                .group_by(t.scores.c.account_id)), {"account_id": pl.String, "peak": pl.Float64})
        for count in alerting.needs_streaks(ruleset):
            if len(earlier) >= count - 1:
                run_ids = [run.id for run in earlier[:count - 1]]
                context.streaks[count] = _frame(connection.execute(
                    sqlalchemy.select(t.scores.c.account_id, t.scores.c.tier)
                    .where(t.scores.c.run_id.in_(run_ids))),
                    {"account_id": pl.String, "tier": pl.String})
        churned = frame.filter(pl.col("override").str.starts_with("churned").fill_null(False))
        current = frame.join(churned.select("account_id"), on="account_id", how="anti")
        return alerting.evaluate(ruleset, current, context)

    # ------------------------------------------------------------------------ reading

    def runs(self, ruleset_name: str | None = None) -> pl.DataFrame:
        """The recorded runs (``ruleset``, ``as_of``, ``content_hash``, ``recorded_at``,
        ``accounts``), by ruleset then date."""
        sqlalchemy = _sqlalchemy()
        runs = tables().runs
        statement = sqlalchemy.select(runs.c.ruleset, runs.c.as_of, runs.c.content_hash,
                                      runs.c.recorded_at, runs.c.accounts
                                      ).order_by(runs.c.ruleset, runs.c.as_of)
        if ruleset_name is not None:
            statement = statement.where(runs.c.ruleset == ruleset_name)
        with self._transaction("read the runs", write=False) as connection:
            found = connection.execute(statement).fetchall()
        return _frame(found, {"ruleset": pl.String, "as_of": pl.String,
                              "content_hash": pl.String, "recorded_at": pl.String,
                              "accounts": pl.Int64})

    def overrides_applied(self, as_of: str | _dt.date) -> dict[str, int | None]:
        """Per ruleset with a run on ``as_of``: the id of the last override that run applied
        (an override recorded after it has a higher id; None for runs recorded before
        healthcore kept it)."""
        sqlalchemy = _sqlalchemy()
        runs = tables().runs
        with self._transaction("read the runs", write=False) as connection:
            return {row.ruleset: row.overrides_upto for row in connection.execute(
                sqlalchemy.select(runs.c.ruleset, runs.c.overrides_upto)
                .where(runs.c.as_of == as_of_date(as_of)))}

    def previous(self, ruleset_name: str, as_of: str | _dt.date | None = None) -> pl.DataFrame:
        """The accounts of the latest run of ``ruleset_name`` before ``as_of``: columns
        ``account_id``, ``as_of``, ``score``, ``tier``, ``segment`` (no rows when there is no
        earlier run)."""
        sqlalchemy = _sqlalchemy()
        day = as_of_date(as_of)
        runs, scores = tables()[:2]
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
        runs, scores, points = tables()[:3]
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
                                     "ruleset=NAME")
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
                    delta=delta(row.score, previous_score), points=now, override=row.override,
                    movers=movers(was, now) if was is not None else []))
            before = run
        return entries

    def tier_mix(self, ruleset_name: str) -> pl.DataFrame:
        """Per run of ``ruleset_name`` and tier: ``as_of``, ``tier`` (null: not scored),
        ``accounts`` and their ``mean_score``; by date, then tier name."""
        sqlalchemy = _sqlalchemy()
        runs, scores = tables()[:2]
        with self._transaction("read the tier mix", write=False) as connection:
            found = connection.execute(
                sqlalchemy.select(runs.c.as_of, scores.c.tier, sqlalchemy.func.count(),
                                  sqlalchemy.func.avg(scores.c.score))
                .select_from(scores.join(runs, scores.c.run_id == runs.c.id))
                .where(runs.c.ruleset == ruleset_name)
                .group_by(runs.c.as_of, scores.c.tier)
                .order_by(runs.c.as_of, scores.c.tier))
            return _frame(found, {"as_of": pl.String, "tier": pl.String, "accounts": pl.Int64,
                                  "mean_score": pl.Float64})

    def look_back(self, ruleset: "Ruleset", as_of: str | _dt.date | None = None
                  ) -> pl.DataFrame:
        """The values the ruleset's ``previous(...)`` read for the run of ``as_of``:
        ``account_id`` and one column per reference (null where the account was not in that
        run, or there is no such run)."""
        sqlalchemy = _sqlalchemy()
        day = as_of_date(as_of)
        t = tables()
        looked = pl.DataFrame(schema={"account_id": pl.String})
        with self._transaction("read previous runs", write=False) as connection:
            for name, (reference, days) in sorted(ruleset.history_references.items()):
                run = self._latest_run(connection, ruleset.name, day, days)
                schema = {"account_id": pl.String,
                          name: pl.String if reference == "tier" else pl.Float64}
                if run is None:
                    values = pl.DataFrame(schema=schema)
                elif reference in ("score", "tier"):
                    values = _frame(connection.execute(
                        sqlalchemy.select(t.scores.c.account_id, t.scores.c[reference])
                        .where(t.scores.c.run_id == run)), schema)
                else:
                    values = _frame(connection.execute(
                        sqlalchemy.select(t.points.c.account_id, t.points.c.value)
                        .where(t.points.c.run_id == run, t.points.c.indicator == reference)),
                        schema)
                looked = looked.join(values, on="account_id", how="full", coalesce=True)
        return looked

    @staticmethod
    def _latest_run(connection: "Connection", ruleset_name: str, day: str, days: int
                    ) -> int | None:
        """The id of the latest run of ``ruleset_name`` at least ``days`` days before
        ``day`` (0: the latest before it), if any."""
        sqlalchemy = _sqlalchemy()
        runs = tables().runs
        latest = days_before(day, days)
        if latest is None:  # before 0001-01-01: no run is that old
            return None
        window = runs.c.as_of < day if days == 0 else runs.c.as_of <= latest
        return connection.execute(
            sqlalchemy.select(runs.c.id).where(runs.c.ruleset == ruleset_name, window)
            .order_by(runs.c.as_of.desc()).limit(1)).scalar()

    # ------------------------------------------------------------------------ overrides

    def add_override(self, override: Override) -> int:
        """Record a change of an account's override (never changing earlier ones); returns
        its id."""
        overrides = tables().overrides
        with self._transaction(f"record the override of account '{override.account_id}'",
                               write=True) as connection:
            return connection.execute(overrides.insert().values(
                account_id=str(override.account_id), ruleset=override.ruleset,
                kind=override.kind, tier=override.tier, reason=override.reason,
                author=override.author, recorded_at=_now(), starts=override.starts,
                until=override.until).returning(overrides.c.id)).scalar_one()

    def override_trail(self, account: str | None = None) -> pl.DataFrame:
        """Every override change (of ``account``, or of all), oldest first: the audit trail."""
        sqlalchemy = _sqlalchemy()
        overrides = tables().overrides
        statement = sqlalchemy.select(*(overrides.c[name] for name in OVERRIDE_COLUMNS)
                                      ).order_by(overrides.c.id)
        if account is not None:
            statement = statement.where(overrides.c.account_id == str(account))
        with self._transaction("read the overrides", write=False) as connection:
            return _frame(connection.execute(statement), OVERRIDE_COLUMNS)

    def kept_scores(self, ruleset_name: str, as_of: str | _dt.date | None,
                    accounts: list[str]) -> pl.DataFrame:
        """The latest recorded ``score`` and ``tier`` of each of ``accounts`` in a run of
        ``ruleset_name`` before ``as_of`` (what a freeze keeps)."""
        sqlalchemy = _sqlalchemy()
        day = as_of_date(as_of)
        runs, scores = tables()[:2]
        schema = {"account_id": pl.String, "as_of": pl.String, "score": pl.Float64,
                  "tier": pl.String}
        found = [pl.DataFrame(schema=schema)]
        with self._transaction("read the frozen scores", write=False) as connection:
            for start in range(0, len(accounts), INSERT_BATCH):
                found.append(_frame(connection.execute(
                    sqlalchemy.select(scores.c.account_id, runs.c.as_of, scores.c.score,
                                      scores.c.tier)
                    .select_from(scores.join(runs, scores.c.run_id == runs.c.id))
                    .where(runs.c.ruleset == ruleset_name, runs.c.as_of < day,
                           scores.c.score.is_not(None),
                           scores.c.account_id.in_(accounts[start:start + INSERT_BATCH]))),
                    schema))
        return pl.concat(found).sort("as_of").group_by("account_id", maintain_order=True).last()

    # ------------------------------------------------------------------------ alerts

    def open_alerts(self, ruleset_name: str | None = None) -> pl.DataFrame:
        """The alerts holding in the latest run of each ruleset (or of ``ruleset_name``):
        ``ruleset``, ``as_of``, ``alert``, ``severity``, ``account_id``, ``since``,
        ``raised`` (raised by that run), ``message``, ``score``, ``tier``; most severe first."""
        sqlalchemy = _sqlalchemy()
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
        with self._transaction("read the alerts", write=False) as connection:
            found = _frame(connection.execute(statement), {
                "ruleset": pl.String, "as_of": pl.String, "alert": pl.String,
                "severity": pl.String, "account_id": pl.String, "since": pl.String,
                "raised": pl.Boolean, "message": pl.String, "score": pl.Float64,
                "tier": pl.String})
        order = pl.col("severity").replace_strict(SEVERITY_ORDER, default=len(SEVERITY_ORDER))
        return found.sort([order, "since", "ruleset", "account_id", "alert"])

    def _unknown(self, connection: "Connection", account: str, ruleset_name: str | None) -> str:
        sqlalchemy = _sqlalchemy()
        runs, scores = tables()[:2]
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
            return message + ("; nothing is recorded yet: record runs with "
                              "evaluate(ruleset, accounts, history=DB)")
        return message + "; check the account id (as written in the accounts' id field)"


# ---------------------------------------------------------------------------- opening

def open(url: str, *, create: bool = True, upgrade: bool = True,  # noqa: A001
         read_only: bool = False) -> HistoryStore:
    """The history at ``url`` (a SQLite file path, ``sqlite:///path.db`` or a PostgreSQL
    URL), its schema created or upgraded if needed. With ``create=False``, a SQLite file that
    does not exist is an error. With ``read_only=True`` nothing is created or upgraded and the
    writers' lock is never taken: a history without the current schema is an error saying
    how to upgrade it."""
    url = database_url(url)
    parsed = _parse(url)
    sqlite_file = None
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:") or database.startswith("file:"):
            raise InputError(f"{safe_url(url)}: give the path of a SQLite file for the history, "
                             "as in history.db or sqlite:////data/history.db")
        sqlite_file = Path(database)
        _check_sqlite_file(sqlite_file)
        if (not create or read_only) and not sqlite_file.is_file():
            raise InputError(f"no history at {safe_url(url)}: the file '{safe_url(database)}' "
                             "does not exist; record runs with evaluate(ruleset, accounts, "
                             "history=DB), or check the path")
        if not sqlite_file.parent.is_dir():
            raise InputError(f"{safe_url(url)}: the folder '{sqlite_file.parent}' does not "
                             "exist; create it or give another path for the history")
    wait = _wait_seconds()
    engine = create_engine(url, parsed, sqlite_writer=True, sqlite_timeout=wait)
    store = HistoryStore(url, engine, wait, sqlite_file)
    try:
        if read_only:
            _check_current(store)
        elif upgrade and store.version() != latest_version():
            store.upgrade()
    except BaseException:
        store.close()
        raise
    return store


def latest_version() -> int:
    """The schema version this healthcore writes."""
    return MIGRATIONS[-1][0] if MIGRATIONS else 0


def _check_current(store: HistoryStore) -> None:
    """Refuse to read a history whose schema is not the current one, or tables of another
    tool."""
    with store._transaction("read the schema version", write=False) as connection:
        _check_ours(connection, store.name)
    version = store.version()
    if version == 0:
        raise InputError(f"no history at {store.name}: it has no history tables; record runs "
                         "with evaluate(ruleset, accounts, history=DB)")
    if version < latest_version():
        raise InputError(f"{store.name}: the history has schema version {version}, older than "
                         f"this healthcore's ({latest_version()}); upgrade it once by recording "
                         "a run (evaluate(ruleset, accounts, history=DB)) or by delivering its "
                         "alerts (deliver(store, registry)), then read it")
    if version > latest_version():
        raise InputError(f"{store.name}: the history has schema version {version}, newer than "
                         f"this healthcore knows ({latest_version()}); upgrade healthcore (pip "
                         "install -U healthcore)")


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


# ---------------------------------------------------------------------------- helpers

def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _current_version(connection: "Connection", name: str = "the database") -> int:
    """The schema version recorded in ``connection``'s database (0: none); a version table
    that healthcore did not write is refused (``name`` names the database)."""
    sqlalchemy = _sqlalchemy()
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


def _check_ours(connection: "Connection", name: str) -> None:
    """Refuse a database holding tables named like the history's that healthcore did not
    create: history tables without a schema version, or a runs table without its columns."""
    sqlalchemy = _sqlalchemy()
    inspector = sqlalchemy.inspect(connection)
    present = [table for table in TABLE_NAMES if inspector.has_table(table)]
    if not present:
        return
    if _current_version(connection, name) == 0:
        raise InputError(_not_ours(name, present[0], "columns " + ", ".join(
            column["name"] for column in inspector.get_columns(present[0]))))
    if RUNS in present:
        columns = [column["name"] for column in inspector.get_columns(RUNS)]
        if not set(RUNS_FIRST_COLUMNS) <= set(columns):
            raise InputError(_not_ours(name, RUNS, "columns " + ", ".join(columns)))


def _not_ours(name: str, table: str, detail: str) -> str:
    return (f"{name} has a table {table} that healthcore did not create ({detail}): use another "
            "database, or another PostgreSQL schema, for the history; nothing was changed")


def _delete_run(connection: "Connection", run_id: int) -> int:
    """Delete the run ``run_id`` with its alert states, points and scores; returns how many
    alert states were deleted."""
    t = tables()
    alerts = connection.execute(t.alerts.delete().where(t.alerts.c.run_id == run_id)).rowcount
    for table in (t.points, t.scores):
        connection.execute(table.delete().where(table.c.run_id == run_id))
    connection.execute(t.runs.delete().where(t.runs.c.id == run_id))
    return alerts


def check_not_history_table(table: str) -> None:
    """Refuse ``table`` (``name`` or ``schema.name``) as a table to write results into when it
    is one of the score history's tables: replacing it would destroy the history."""
    name = table.rpartition(".")[2].strip().strip('"').lower()
    if name in (*TABLE_NAMES, SCHEMA_VERSION_TABLE):
        raise InputError(f"'{table}' is a table of the score history (healthcore keeps "
                         f"{', '.join(TABLE_NAMES)} and {SCHEMA_VERSION_TABLE}): writing results "
                         "into it would destroy the history; choose another table name")


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


def _frame(rows: Any, schema: dict[str, Any]) -> pl.DataFrame:
    """Query result rows as a DataFrame with ``schema``."""
    return pl.DataFrame([tuple(row) for row in rows], schema=schema, orient="row")

