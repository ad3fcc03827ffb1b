"""Reading the recorded runs: which runs there are, the previous one, the values
``previous(...)`` reads, what a freeze keeps, one account's timeline and the tier mix.

Each function runs its queries on a connection inside a transaction of the caller.
"""

from __future__ import annotations

import datetime as _dt
import difflib
from typing import TYPE_CHECKING

import polars as pl

from healthcore.errors import InputError
from healthcore.history.dates import as_of_date, days_before
from healthcore.history.session import frame_of, read_frame
from healthcore.history.tables import tables
from healthcore.history.timeline import Entry, delta, movers
from healthcore.io.database import INSERT_BATCH, sqlalchemy_module

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from healthcore.ruleset import Ruleset


def check_in_order(connection: "Connection", name: str, ruleset_name: str, day: str) -> None:
    """Refuse a run of ``ruleset_name`` dated ``day`` when the history ``name`` has a later
    run of it (re-recording the latest date is fine)."""
    sqlalchemy = sqlalchemy_module()
    runs = tables().runs
    later = [r[0] for r in connection.execute(
        sqlalchemy.select(runs.c.as_of).where(runs.c.ruleset == ruleset_name,
                                              runs.c.as_of > day)
        .order_by(runs.c.as_of).limit(6))]
    if later:
        shown = ", ".join(later[:5]) + (", ..." if len(later) > 5 else "")
        raise InputError(
            f"{name}: cannot record the run of {ruleset_name} on {day}: the history "
            f"already has later runs of this ruleset ({shown}), whose trends, alerts and "
            f"previous(...) values were computed without it; nothing was recorded. Runs "
            f"are recorded in date order: to add {day}, delete the later runs "
            "(HistoryStore.delete_run), then record them again after it")


def no_single_run(connection: "Connection", name: str, day: str, ruleset_name: str | None,
                   that_day: list[str]) -> str:
    """Why deleting the run of ``day`` found no run, or several, to delete (``that_day``:
    the rulesets with a run that day)."""
    if len(that_day) > 1 and ruleset_name is None:
        return (f"{name}: several rulesets have a run on {day} ({', '.join(that_day)}); "
                "choose one with ruleset=NAME")
    sqlalchemy = sqlalchemy_module()
    runs = tables().runs
    latest = [f"{r.ruleset} {r.as_of}" for r in connection.execute(
        sqlalchemy.select(runs.c.ruleset, runs.c.as_of)
        .order_by(runs.c.as_of.desc(), runs.c.ruleset).limit(10))]
    what = f"ruleset '{ruleset_name}'" if ruleset_name else "any ruleset"
    return (f"{name}: no run of {what} on {day}; latest runs: "
            f"{', '.join(latest) or 'none'}")


def listed(connection: "Connection", ruleset_name: str | None = None) -> pl.DataFrame:
    """The recorded runs (``ruleset``, ``as_of``, ``content_hash``, ``recorded_at``,
    ``accounts``), by ruleset then date."""
    sqlalchemy = sqlalchemy_module()
    runs = tables().runs
    statement = sqlalchemy.select(runs.c.ruleset, runs.c.as_of, runs.c.content_hash,
                                  runs.c.recorded_at, runs.c.accounts
                                  ).order_by(runs.c.ruleset, runs.c.as_of)
    if ruleset_name is not None:
        statement = statement.where(runs.c.ruleset == ruleset_name)
    found = connection.execute(statement).fetchall()
    return frame_of(found, {"ruleset": pl.String, "as_of": pl.String,
                            "content_hash": pl.String, "recorded_at": pl.String,
                            "accounts": pl.Int64})


def overrides_applied(connection: "Connection", as_of: str | _dt.date
                      ) -> dict[str, int | None]:
    """Per ruleset with a run on ``as_of``: the id of the last override that run applied
    (an override recorded after it has a higher id; None for runs recorded before
    healthcore kept it)."""
    sqlalchemy = sqlalchemy_module()
    runs = tables().runs
    return {row.ruleset: row.overrides_upto for row in connection.execute(
        sqlalchemy.select(runs.c.ruleset, runs.c.overrides_upto)
        .where(runs.c.as_of == as_of_date(as_of)))}


def previous(connection: "Connection", ruleset_name: str, as_of: str | _dt.date | None = None
             ) -> pl.DataFrame:
    """The accounts of the latest run of ``ruleset_name`` before ``as_of``: columns
    ``account_id``, ``as_of``, ``score``, ``tier``, ``segment`` (no rows when there is no
    earlier run)."""
    sqlalchemy = sqlalchemy_module()
    day = as_of_date(as_of)
    runs, scores = tables()[:2]
    earlier = connection.execute(
        sqlalchemy.select(runs.c.id, runs.c.as_of)
        .where(runs.c.ruleset == ruleset_name, runs.c.as_of < day)
        .order_by(runs.c.as_of.desc()).limit(1)).first()
    schema = {"account_id": pl.String, "score": pl.Float64, "tier": pl.String,
              "segment": pl.String}
    found = pl.DataFrame(schema=schema) if earlier is None else read_frame(
        connection, sqlalchemy.select(scores.c.account_id, scores.c.score, scores.c.tier,
                                      scores.c.segment).where(scores.c.run_id == earlier.id),
        schema)
    as_of = None if earlier is None else earlier.as_of
    return found.select("account_id", pl.lit(as_of, pl.String).alias("as_of"), "score",
                        "tier", "segment")


def timeline(connection: "Connection", name: str, account: str,
             ruleset_name: str | None = None) -> list[Entry]:
    """The runs of ``ruleset_name`` (may be left out when the account is in one ruleset's
    history only) that scored ``account``, oldest first, each with its change since the
    previous run of the ruleset and the indicators whose points moved most."""
    sqlalchemy = sqlalchemy_module()
    runs, scores, points = tables()[:3]
    account = str(account)
    names = [r[0] for r in connection.execute(
        sqlalchemy.select(runs.c.ruleset).distinct()
        .select_from(runs.join(scores, scores.c.run_id == runs.c.id))
        .where(scores.c.account_id == account).order_by(runs.c.ruleset))]
    if ruleset_name is None:
        if not names:
            raise InputError(_unknown(connection, name, account, None))
        if len(names) > 1:
            raise InputError(f"{name}: account '{account}' is in the history of "
                             f"several rulesets ({', '.join(names)}); choose one with "
                             "ruleset=NAME")
        ruleset_name = names[0]
    elif ruleset_name not in names:
        raise InputError(_unknown(connection, name, account, ruleset_name))
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


def tier_mix(connection: "Connection", ruleset_name: str) -> pl.DataFrame:
    """Per run of ``ruleset_name`` and tier: ``as_of``, ``tier`` (null: not scored),
    ``accounts`` and their ``mean_score``; by date, then tier name."""
    sqlalchemy = sqlalchemy_module()
    runs, scores = tables()[:2]
    found = connection.execute(
        sqlalchemy.select(runs.c.as_of, scores.c.tier, sqlalchemy.func.count(),
                          sqlalchemy.func.avg(scores.c.score))
        .select_from(scores.join(runs, scores.c.run_id == runs.c.id))
        .where(runs.c.ruleset == ruleset_name)
        .group_by(runs.c.as_of, scores.c.tier)
        .order_by(runs.c.as_of, scores.c.tier))
    return frame_of(found, {"as_of": pl.String, "tier": pl.String, "accounts": pl.Int64,
                            "mean_score": pl.Float64})


def look_back(connection: "Connection", ruleset: "Ruleset", as_of: str | _dt.date | None = None
              ) -> pl.DataFrame:
    """The values the ruleset's ``previous(...)`` read for the run of ``as_of``:
    ``account_id`` and one column per reference (null where the account was not in that
    run, or there is no such run)."""
    sqlalchemy = sqlalchemy_module()
    day = as_of_date(as_of)
    t = tables()
    looked = pl.DataFrame(schema={"account_id": pl.String})
    for name, (reference, days) in sorted(ruleset.history_references.items()):
        run = _latest_run(connection, ruleset.name, day, days)
        schema = {"account_id": pl.String,
                  name: pl.String if reference == "tier" else pl.Float64}
        if run is None:
            values = pl.DataFrame(schema=schema)
        elif reference in ("score", "tier"):
            values = read_frame(connection, sqlalchemy.select(
                t.scores.c.account_id, t.scores.c[reference]).where(t.scores.c.run_id == run),
                schema)
        else:
            values = read_frame(connection, sqlalchemy.select(
                t.points.c.account_id, t.points.c.value).where(
                t.points.c.run_id == run, t.points.c.indicator == reference), schema)
        looked = looked.join(values, on="account_id", how="full", coalesce=True)
    return looked


def _latest_run(connection: "Connection", ruleset_name: str, day: str, days: int
                ) -> int | None:
    """The id of the latest run of ``ruleset_name`` at least ``days`` days before
    ``day`` (0: the latest before it), if any."""
    sqlalchemy = sqlalchemy_module()
    runs = tables().runs
    latest = days_before(day, days)
    if latest is None:  # before 0001-01-01: no run is that old
        return None
    window = runs.c.as_of < day if days == 0 else runs.c.as_of <= latest
    return connection.execute(
        sqlalchemy.select(runs.c.id).where(runs.c.ruleset == ruleset_name, window)
        .order_by(runs.c.as_of.desc()).limit(1)).scalar()


def kept_scores(connection: "Connection", ruleset_name: str, as_of: str | _dt.date | None,
                accounts: list[str]) -> pl.DataFrame:
    """The latest recorded ``score`` and ``tier`` of each of ``accounts`` in a run of
    ``ruleset_name`` before ``as_of`` (what a freeze keeps)."""
    sqlalchemy = sqlalchemy_module()
    day = as_of_date(as_of)
    runs, scores = tables()[:2]
    schema = {"account_id": pl.String, "as_of": pl.String, "score": pl.Float64,
              "tier": pl.String}
    found = [pl.DataFrame(schema=schema)]
    for start in range(0, len(accounts), INSERT_BATCH):
        found.append(read_frame(connection, sqlalchemy.select(
            scores.c.account_id, runs.c.as_of, scores.c.score, scores.c.tier)
            .select_from(scores.join(runs, scores.c.run_id == runs.c.id))
            .where(runs.c.ruleset == ruleset_name, runs.c.as_of < day,
                   scores.c.score.is_not(None),
                   scores.c.account_id.in_(accounts[start:start + INSERT_BATCH])), schema))
    return pl.concat(found).sort("as_of").group_by("account_id", maintain_order=True).last()


def _unknown(connection: "Connection", name: str, account: str, ruleset_name: str | None
             ) -> str:
    """Why the history ``name`` has no timeline of ``account``, with the closest match."""
    sqlalchemy = sqlalchemy_module()
    runs, scores = tables()[:2]
    statement = sqlalchemy.select(scores.c.account_id).distinct()
    if ruleset_name is not None:
        statement = statement.select_from(scores.join(runs, scores.c.run_id == runs.c.id)
                                          ).where(runs.c.ruleset == ruleset_name)
    known = [r[0] for r in connection.execute(statement.limit(100_000))]
    where = f" for ruleset '{ruleset_name}'" if ruleset_name else ""
    message = f"{name}: no history of account '{account}'{where}"
    if ruleset_name is not None:
        rulesets = [r[0] for r in connection.execute(
            sqlalchemy.select(runs.c.ruleset).distinct().order_by(runs.c.ruleset))]
        if ruleset_name not in rulesets:
            close = difflib.get_close_matches(ruleset_name, rulesets, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            return (f"{name}: no run of ruleset '{ruleset_name}'{hint}; rulesets "
                    f"recorded: {', '.join(rulesets) or 'none'}")
    close = difflib.get_close_matches(account, known, n=1)
    if close:
        return message + f" (did you mean '{close[0]}'?)"
    if not known:
        return message + ("; nothing is recorded yet: record runs with "
                          "evaluate(ruleset, accounts, history=DB)")
    return message + "; check the account id (as written in the accounts' id field)"
