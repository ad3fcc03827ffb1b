"""The score history: every run of ``healthcore evaluate --history DB``, kept in a database.

A run is one ruleset (by name) on one as-of date: its content hash, and per account the score,
tier, segment and each indicator's points. Recording a run is one transaction; recording the
same ruleset name for the same as-of date again replaces that run. The database is a SQLite
file (a plain path, or ``sqlite:///path.db``) or PostgreSQL (``postgresql://user:pass@host/db``).

:class:`HistoryStore` is the face of the history; each of its methods is one transaction
(:mod:`~healthcore.history.session`) running the queries of one job: the schema
(:mod:`~healthcore.history.migrations`, which :func:`open` applies), recording and deleting runs
(:mod:`~healthcore.history.recording`), reading them (:mod:`~healthcore.history.runs`), the
overrides' audit trail (:mod:`~healthcore.history.override_trail`) and the alerts
(:mod:`~healthcore.history.alert_states`, :mod:`~healthcore.history.outbox`). A run is scored
and recorded inside one writing transaction (:meth:`HistoryStore.writing`): it reads its
baseline (the previous run, ``previous(...)`` values, overrides) after taking the writers' lock,
so runs of different dates at the same time give the history they would give one after the
other. A run dated before a recorded run of the same ruleset is refused: the later runs'
trends, alerts and ``previous(...)`` values were computed without it.

SQLAlchemy (Core) is imported only when a history is used.

    >>> store = open("history.db")
    >>> store.record(healthcore.score(ruleset, accounts), "2024-03-01")
    >>> store.previous("saas-b2b", "2024-04-01")      # the run before that date, as a DataFrame
    >>> store.timeline("ACC-1001", "saas-b2b")        # one account's runs, oldest first
"""

from __future__ import annotations

import datetime as _dt
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import polars as pl

from healthcore.history import alert_states, migrations, outbox, override_trail, recording, runs
from healthcore.history.dates import as_of_date
from healthcore.history.overrides import Override
from healthcore.history.recording import Recorded, recorded_frame
from healthcore.history.session import Session, connect, now
from healthcore.history.timeline import Entry

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from healthcore.engine.results import Results
    from healthcore.ruleset import Ruleset

class HistoryStore:
    """A history database; see the module's documentation. Get one with :func:`open`."""

    def __init__(self, session: Session):
        self._session = session
        self.url = session.url
        self.name = session.name
        """The database as messages name it (never its password)."""
        self.wait = session.wait
        """Seconds a writer waits for another one to finish."""

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> "HistoryStore":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _transaction(self, what: str, *, write: bool
                     ) -> AbstractContextManager["Connection"]:
        """A transaction on the history (see
        :meth:`healthcore.history.session.Session.transaction`)."""
        return self._session.transaction(what, write=write)

    @contextmanager
    def writing(self, what: str) -> Iterator["HistoryStore"]:
        """One writing transaction for everything done with the store inside the block
        (reads included): the writers' lock is taken first, so what is read cannot change
        before the block's writes commit. An exception rolls everything back."""
        with self._session.writing(what):
            yield self

    # ------------------------------------------------------------------------ schema

    def version(self) -> int:
        """The schema version of the database (0: no history tables yet)."""
        with self._transaction("read the schema version", write=False) as connection:
            return migrations.current_version(connection, self.name)

    def upgrade(self) -> int:
        """Create the tables, or apply the missing upgrades in order, in one transaction.
        Returns the schema version. A database whose tables of these names healthcore did not
        create is refused before anything is created in it."""
        with self._transaction("create or upgrade the history tables", write=True) as connection:
            return migrations.upgrade(connection, self.name)

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
        day = as_of_date(as_of)
        ruleset = results.ruleset
        frame = recorded_frame(results, self.name)
        with self._transaction(f"record the run of {ruleset.name} on {day}",
                               write=True) as connection:
            return recording.record(connection, self.name, ruleset, frame, day,
                                    deliver_to=deliver_to, overrides_upto=overrides_upto)

    def check_in_order(self, ruleset_name: str, day: str) -> None:
        """Refuse a run of ``ruleset_name`` dated ``day`` when the history has a later run of
        it (re-recording the latest date is fine)."""
        with self._transaction("read the runs", write=False) as connection:
            runs.check_in_order(connection, self.name, ruleset_name, day)

    def delete_run(self, as_of: str | _dt.date, ruleset_name: str | None = None
                   ) -> dict[str, Any]:
        """Delete the run of ``ruleset_name`` on ``as_of`` (the ruleset may be left out when
        one ruleset only has a run that day) with its scores, points and alert states, and the
        deliveries of its alerts still waiting in the outbox, in one transaction. Returns what
        was deleted: ``ruleset``, ``as_of``, ``accounts`` and ``alerts`` (the alert
        states)."""
        day = as_of_date(as_of)
        with self._transaction(f"delete the run of {day}", write=True) as connection:
            return recording.delete_run(connection, self.name, day, ruleset_name)

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
            outbox.mark_delivered(connection, plugin, alert_ids, now())

    # ------------------------------------------------------------------------ reading

    def runs(self, ruleset_name: str | None = None) -> pl.DataFrame:
        """The recorded runs (``ruleset``, ``as_of``, ``content_hash``, ``recorded_at``,
        ``accounts``), by ruleset then date."""
        with self._transaction("read the runs", write=False) as connection:
            return runs.listed(connection, ruleset_name)

    def overrides_applied(self, as_of: str | _dt.date) -> dict[str, int | None]:
        """Per ruleset with a run on ``as_of``: the id of the last override that run applied
        (an override recorded after it has a higher id; None for runs recorded before
        healthcore kept it)."""
        with self._transaction("read the runs", write=False) as connection:
            return runs.overrides_applied(connection, as_of)

    def previous(self, ruleset_name: str, as_of: str | _dt.date | None = None) -> pl.DataFrame:
        """The accounts of the latest run of ``ruleset_name`` before ``as_of``: columns
        ``account_id``, ``as_of``, ``score``, ``tier``, ``segment`` (no rows when there is no
        earlier run)."""
        with self._transaction("read the previous run", write=False) as connection:
            return runs.previous(connection, ruleset_name, as_of)

    def timeline(self, account: str, ruleset_name: str | None = None) -> list[Entry]:
        """The runs of ``ruleset_name`` (may be left out when the account is in one ruleset's
        history only) that scored ``account``, oldest first, each with its change since the
        previous run of the ruleset and the indicators whose points moved most."""
        with self._transaction("read the timeline", write=False) as connection:
            return runs.timeline(connection, self.name, account, ruleset_name)

    def tier_mix(self, ruleset_name: str) -> pl.DataFrame:
        """Per run of ``ruleset_name`` and tier: ``as_of``, ``tier`` (null: not scored),
        ``accounts`` and their ``mean_score``; by date, then tier name."""
        with self._transaction("read the tier mix", write=False) as connection:
            return runs.tier_mix(connection, ruleset_name)

    def look_back(self, ruleset: "Ruleset", as_of: str | _dt.date | None = None
                  ) -> pl.DataFrame:
        """The values the ruleset's ``previous(...)`` read for the run of ``as_of``:
        ``account_id`` and one column per reference (null where the account was not in that
        run, or there is no such run)."""
        with self._transaction("read previous runs", write=False) as connection:
            return runs.look_back(connection, ruleset, as_of)

    def kept_scores(self, ruleset_name: str, as_of: str | _dt.date | None,
                    accounts: list[str]) -> pl.DataFrame:
        """The latest recorded ``score`` and ``tier`` of each of ``accounts`` in a run of
        ``ruleset_name`` before ``as_of`` (what a freeze keeps)."""
        with self._transaction("read the frozen scores", write=False) as connection:
            return runs.kept_scores(connection, ruleset_name, as_of, accounts)

    # ------------------------------------------------------------------------ overrides

    def add_override(self, override: Override) -> int:
        """Record a change of an account's override (never changing earlier ones); returns
        its id."""
        with self._transaction(f"record the override of account '{override.account_id}'",
                               write=True) as connection:
            return override_trail.add(connection, override)

    def override_trail(self, account: str | None = None) -> pl.DataFrame:
        """Every override change (of ``account``, or of all), oldest first: the audit trail."""
        with self._transaction("read the overrides", write=False) as connection:
            return override_trail.trail(connection, account)

    # ------------------------------------------------------------------------ alerts

    def open_alerts(self, ruleset_name: str | None = None) -> pl.DataFrame:
        """The alerts holding in the latest run of each ruleset (or of ``ruleset_name``):
        ``ruleset``, ``as_of``, ``alert``, ``severity``, ``account_id``, ``since``,
        ``raised`` (raised by that run), ``message``, ``score``, ``tier``; most severe first."""
        with self._transaction("read the alerts", write=False) as connection:
            return alert_states.open_alerts(connection, ruleset_name)


def open(url: str, *, create: bool = True, upgrade: bool = True,  # noqa: A001
         read_only: bool = False) -> HistoryStore:
    """The history at ``url`` (a SQLite file path, ``sqlite:///path.db`` or a PostgreSQL
    URL), its schema created or upgraded if needed. With ``create=False``, a SQLite file that
    does not exist is an error. With ``read_only=True`` nothing is created or upgraded and the
    writers' lock is never taken: a history without the current schema is an error saying
    how to upgrade it."""
    store = HistoryStore(connect(url, must_exist=not create or read_only))
    try:
        if read_only:
            with store._transaction("read the schema version", write=False) as connection:
                migrations.check_ours(connection, store.name)
            migrations.check_current(store.version(), store.name)
        elif upgrade and store.version() != migrations.latest_version():
            store.upgrade()
    except BaseException:
        store.close()
        raise
    return store
