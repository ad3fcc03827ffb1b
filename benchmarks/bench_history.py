"""Benchmark: recording runs in a score history (``evaluate --history``) at scale.

On N synthetic accounts (the same generator as ``bench_scoring.py``, ruleset
``rulesets/saas-b2b.yaml`` plus one alert of each kind), in one process:

1. scoring alone (``ruleset.score(accounts, explain=True)``), the reference;
2. ``healthcore.history.evaluate`` on a fresh SQLite file: the first run, then a second run a
   month later (trend, alerts over the first run, ``previous(...)`` lookups none);
3. the floor: the same rows (one per account, one per account and indicator) written by a
   hand-written script with ``sqlite3.executemany`` into tables of the same shape and keys,
   in one transaction;
4. with ``--postgres URL``, step 2 on PostgreSQL too.

Prints seconds, accounts per second and the ratios 2/3 (the history's overhead over writing
the same rows by hand) and 2/1.

With ``--cli``, it measures the command instead, each run a fresh process, on a Parquet file
of N accounts and ``rulesets/saas-b2b.yaml``: ``healthcore evaluate R IN -o OUT.parquet``
without a history (the reference), then with ``--history`` on a new SQLite file (first run)
and again on the next ``--as-of`` date with the same accounts (second run); the same two runs
on PostgreSQL with ``--postgres URL`` or ``HEALTHCORE_TEST_POSTGRES_URL`` (in a schema of its
own, dropped at the end). It prints seconds, peak memory (resident) and each run's ratio to the
run without history, against the target (<= 5x).

    python benchmarks/bench_history.py                   # 1,000,000 accounts, a few minutes
    python benchmarks/bench_history.py --rows 100000 --postgres postgresql://u:p@host/db
    python benchmarks/bench_history.py --cli             # the command, fresh processes
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import polars as pl

import healthcore
from bench_scoring import make_accounts
from healthcore import history
from healthcore.cli.commands.common import EXIT_UNSCORED
from healthcore.ruleset.compiler import loads_ruleset

ROOT = Path(__file__).resolve().parent.parent
HEALTHCORE_CLI = Path(sys.executable).parent / "healthcore"
TARGET = 5.0
"""A run with a history takes at most this many times the same run without one."""
ALERTS = """
alerts:
  - {id: slipped, kind: tier_worsened}
  - {id: drop, kind: score_drop, points: 15, within_days: 45}
  - {id: low_seats, kind: indicator, indicator: seat_usage, below: 20, cooldown_days: 30}
  - {id: stuck, kind: stays_in_tier, tier: at_risk, runs: 2}
"""


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def handwritten(results: healthcore.Results, path: Path) -> None:
    """Write the same rows a run records, by hand, into tables with the same keys."""
    frame = results.scores.with_columns(pl.col("account_id").cast(pl.String))
    indicators = [ind.id for ind in results.ruleset.indicators]
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA foreign_keys = ON")
    connection.executescript("""
        CREATE TABLE runs (id INTEGER PRIMARY KEY, as_of TEXT);
        CREATE TABLE scores (run_id INTEGER REFERENCES runs (id), account_id TEXT, status TEXT,
            score FLOAT, tier TEXT, PRIMARY KEY (run_id, account_id));
        CREATE TABLE points (run_id INTEGER, account_id TEXT, indicator TEXT, points FLOAT,
            value FLOAT, PRIMARY KEY (run_id, account_id, indicator),
            FOREIGN KEY (run_id, account_id) REFERENCES scores (run_id, account_id));
    """)
    connection.execute("BEGIN IMMEDIATE")
    connection.execute("INSERT INTO runs VALUES (1, '2024-01-01')")
    connection.executemany("INSERT INTO scores VALUES (1, ?, ?, ?, ?)",
                           frame.select("account_id", "status", "score", "tier").iter_rows())
    for indicator in indicators:
        connection.executemany("INSERT INTO points VALUES (1, ?, ?, ?, ?)", frame.select(
            "account_id", pl.lit(indicator), pl.col(f"{indicator}.points"),
            pl.col(f"{indicator}.value").cast(pl.Float64, strict=False)).iter_rows())
    connection.execute("COMMIT")
    connection.close()


def run_process(command: list[str]) -> tuple[float, float]:
    """Run ``command`` in a fresh process: its seconds and peak resident memory (MB)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    errors = process.stderr.read().decode() if process.stderr else ""
    if process.returncode not in (0, EXIT_UNSCORED):  # a few synthetic accounts have no score
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{errors}")
    return seconds, usage.ru_maxrss / 1024


def postgres_schema(url: str, schema: str, *, create: bool) -> None:
    """Create (or drop, with what is in it) ``schema`` in the PostgreSQL database ``url``."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}" if create
                                   else f"DROP SCHEMA {schema} CASCADE")
    engine.dispose()


def cli(rows: int, postgres: str | None) -> None:
    """``healthcore evaluate`` without history, then with one (first and second run), on
    SQLite and PostgreSQL, each a fresh process."""
    workdir = Path(tempfile.mkdtemp(prefix="hc-bench-history-cli-"))
    source, output = workdir / "accounts.parquet", workdir / "scores.parquet"
    make_accounts(rows, 7).write_parquet(source)
    evaluate = [str(HEALTHCORE_CLI), "evaluate", str(ROOT / "rulesets" / "saas-b2b.yaml"),
                str(source), "-o", str(output)]
    print(f"{rows:,} accounts: healthcore evaluate saas-b2b.yaml accounts.parquet "
          "-o scores.parquet [--history DB --as-of DATE], each a fresh process")
    figures = [("without history (reference)", *run_process(evaluate))]
    targets = [("SQLite", str(workdir / "history.db"))]
    schema = f"hc_bench_{uuid.uuid4().hex[:8]}"
    if postgres:
        postgres_schema(postgres, schema, create=True)
        separator = "&" if "?" in postgres else "?"
        targets.append(("PostgreSQL", f"{postgres}{separator}options=-csearch_path%3D{schema}"))
    try:
        for name, target in targets:
            for label, day in (("first run", "2024-01-01"), ("second run", "2024-02-01")):
                figures.append((f"{name}: {label}", *run_process(
                    [*evaluate, "--history", target, "--as-of", day])))
    finally:
        if postgres:
            postgres_schema(postgres, schema, create=False)
    reference = figures[0][1]
    print(f"  {'run':<36} {'seconds':>8} {'peak MB':>8} {'ratio':>7}  target <= {TARGET:g}x")
    for label, seconds, peak in figures:
        ratio = seconds / reference
        verdict = "" if label.startswith("without") else ("ok" if ratio <= TARGET else "MISSED")
        print(f"  {label:<36} {seconds:8.2f} {peak:8.0f} {ratio:6.2f}x  {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--postgres", metavar="URL", help="also measure on this PostgreSQL "
                                                          "database (tables are created there)")
    parser.add_argument("--cli", action="store_true",
                        help="time the command in fresh processes (with --postgres, or "
                             "HEALTHCORE_TEST_POSTGRES_URL, on PostgreSQL too)")
    args = parser.parse_args()
    if args.cli:
        cli(args.rows, args.postgres or os.environ.get("HEALTHCORE_TEST_POSTGRES_URL"))
        return
    text = (ROOT / "rulesets" / "saas-b2b.yaml").read_text(encoding="utf-8") + ALERTS
    ruleset = loads_ruleset(text, "saas-b2b.yaml")
    accounts = make_accounts(args.rows, 7)
    later = make_accounts(args.rows, 8)
    workdir = Path(tempfile.mkdtemp(prefix="hc-bench-history-"))
    print(f"{args.rows:,} accounts, {len(ruleset.indicators)} indicators, "
          f"{len(ruleset.alerts)} alerts")
    scoring = timed(lambda: healthcore.score(ruleset, accounts, explain=True).frame)
    results = healthcore.score(ruleset, accounts, explain=True)
    floor = timed(lambda: handwritten(results, workdir / "handwritten.db"))
    figures = [("score only (reference)", scoring)]
    targets = [("SQLite", str(workdir / "history.db"))]
    if args.postgres:
        schema = f"hc_bench_{uuid.uuid4().hex[:8]}"
        import sqlalchemy
        engine = sqlalchemy.create_engine(args.postgres.replace("postgresql://",
                                                                "postgresql+psycopg://", 1))
        with engine.begin() as connection:
            connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
        separator = "&" if "?" in args.postgres else "?"
        targets.append(("PostgreSQL",
                        f"{args.postgres}{separator}options=-csearch_path%3D{schema}"))
    try:
        for name, target in targets:
            first = timed(lambda: history.evaluate(ruleset, accounts, target, "2024-01-01"))
            raised: list = []
            second = timed(lambda: raised.extend(
                history.evaluate(ruleset, later, target, "2024-02-01").alerts))
            figures += [(f"{name}: first run", first), (f"{name}: second run ({len(raised):,} "
                                                        "alerts raised)", second)]
    finally:
        if args.postgres:
            with engine.begin() as connection:
                connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    figures.append(("hand-written sqlite3 writes of the same rows (floor)", floor))
    for label, seconds in figures:
        print(f"  {label:<58} {seconds:8.2f} s  {args.rows / seconds:>12,.0f} accounts/s")
    sqlite_first = figures[1][1]
    print(f"SQLite first run / hand-written writes: {sqlite_first / floor:.2f}x; "
          f"/ scoring alone: {sqlite_first / scoring:.1f}x")


if __name__ == "__main__":
    main()
