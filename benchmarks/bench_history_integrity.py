"""Benchmark: the score history under concurrency and kills, with real processes on a SQLite
file (the figures of the history-integrity rows of docs/security.md).

On N synthetic accounts (``account_id,usage``; usage falls run after run so that the tier of
all but every 7th account worsens: 2024-02-01 healthy, 02-02 at risk, 02-03 unhealthy), with a
ruleset raising a ``tier_worsened`` alert:

1. two concurrent runs: 02-01 recorded, then ``evaluate --as-of 2024-02-03`` and
   ``--as-of 2024-02-02`` started at the same time. Counts the accounts of the latest run whose
   ``previous_score`` is not their score in the run recorded just before it, and the
   duplicate alerts (an alert raised again for an episode already open in the run before);
2. a run recorded late: 02-01 and 02-03 recorded, then 02-02. Counts the alerts raised beyond
   those of the same dates recorded in date order, and whether the late run was refused;
3. a run killed while a delivery plugin works: 02-01 recorded, 02-02 recorded with a plugin
   that blocks before it sends, killed with SIGKILL once the hook was called, then 02-02
   recorded again with the plugin working, then ``healthcore deliver`` when the source has it.
   Counts the alerts recorded as raised, delivered before the kill, delivered by the next
   command (and distinct ids among them).

``--source DIR`` runs the healthcore of another checkout (``git worktree add /tmp/before
COMMIT``) with this Python, to measure the figures before a change.

    python benchmarks/bench_history_integrity.py --rows 100000
    python benchmarks/bench_history_integrity.py --rows 100000 --source /tmp/before
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RULESET = """\
healthcore: 1
name: usage-watch
indicators:
  - id: usage
    metric: field
    params: {field: usage}
    normalize: {linear: {worst: 0, best: 100}}
    weight: 1
tiers:
  - {name: healthy, min: 70, color: green}
  - {name: at_risk, min: 40, color: yellow}
  - {name: unhealthy, min: 0, color: red}
alerts:
  - {id: slipped, kind: tier_worsened, severity: critical}
"""
USAGE = {"2024-02-01": 90, "2024-02-02": 60, "2024-02-03": 20}
PLUGIN = """\
import json, os, time
from pathlib import Path
from healthcore import hookimpl

@hookimpl
def healthcore_deliver_alerts(alerts):
    if os.environ.get("BLOCK_FLAG"):  # a receiver that never answers
        Path(os.environ["BLOCK_FLAG"]).write_text("delivering")
        time.sleep(3600)
    with Path(os.environ["RECEIVED"]).open("a", encoding="utf-8") as file:
        for alert in alerts:
            file.write(json.dumps(alert) + "\\n")
"""


class Bench:
    """The folder, the accounts' files and the processes of one measure."""

    def __init__(self, folder: Path, rows: int, source: Path) -> None:
        self.folder, self.rows, self.source = folder, rows, source
        (folder / "bench_delivery.py").write_text(PLUGIN, encoding="utf-8")
        self.ruleset = folder / "ruleset.yaml"
        self.ruleset.write_text(RULESET, encoding="utf-8")
        for day, usage in USAGE.items():
            lines = (f"A{n:07d},{100 if n % 7 == 0 else usage}" for n in range(rows))
            (folder / f"{day}.csv").write_text("account_id,usage\n" + "\n".join(lines) + "\n",
                                               encoding="utf-8")

    def start(self, db: Path, day: str, *extra: str, env: dict[str, str] | None = None
              ) -> subprocess.Popen:
        """``healthcore evaluate`` of ``day`` into the history ``db``, as a process."""
        return self.command("evaluate", str(self.ruleset), str(self.folder / f"{day}.csv"),
                            "--history", str(db), "--as-of", day, "-q", "-f", "jsonl", "-o",
                            str(self.folder / f"{db.stem}-{day}.jsonl"), *extra, env=env)

    @functools.cached_property
    def in_order(self) -> int:
        """The alerts raised by the three dates recorded one after the other, in date order."""
        db = self.folder / "in-order.db"
        for day in USAGE:
            code, err = finished(self.start(db, day))
            assert code == 0, err
        return _raised(db)

    def command(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        path = os.pathsep.join([str(self.source), str(self.folder)])
        return subprocess.Popen([sys.executable, "-m", "healthcore.cli.main", *args],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                cwd=self.folder, env={**os.environ, "PYTHONPATH": path,
                                     "RECEIVED": str(self.folder / "received.jsonl"),
                                     **(env or {})})


def finished(process: subprocess.Popen) -> tuple[int, str]:
    """The exit code and the last line of the standard error."""
    _, err = process.communicate()
    lines = err.strip().splitlines()
    return process.returncode, lines[-1] if lines else ""


def concurrent_runs(bench: Bench) -> None:
    db = bench.folder / "concurrent.db"
    code, err = finished(bench.start(db, "2024-02-01"))
    assert code == 0, err
    started = time.perf_counter()
    later, earlier = bench.start(db, "2024-02-03"), bench.start(db, "2024-02-02")
    outcome = {"2024-02-03": finished(later), "2024-02-02": finished(earlier)}
    seconds = time.perf_counter() - started
    with sqlite3.connect(db) as connection:
        runs = connection.execute("SELECT id, as_of FROM healthcore_runs ORDER BY as_of").fetchall()
        before_last = dict(connection.execute(
            "SELECT account_id, score FROM healthcore_scores WHERE run_id = ?", (runs[-2][0],)))
        duplicates = sum(connection.execute(
            "SELECT COUNT(*) FROM healthcore_alerts a JOIN healthcore_alerts b "
            "ON a.alert = b.alert AND a.account_id = b.account_id "
            "WHERE a.run_id = ? AND b.run_id = ? AND b.raised", pair).fetchone()[0]
            for pair in zip([r[0] for r in runs], [r[0] for r in runs[1:]]))
        raised = connection.execute("SELECT COUNT(*) FROM healthcore_alerts WHERE raised"
                                    ).fetchone()[0]
    latest = bench.folder / f"concurrent-{runs[-1][1]}.jsonl"
    wrong = sum(1 for line in latest.read_text(encoding="utf-8").splitlines()
                if _differs(json.loads(line), before_last))
    print(f"1. two concurrent runs (02-03 and 02-02 started together), {seconds:.1f} s")
    for day, (code, err) in outcome.items():
        print(f"   {day}: exit {code}{'' if code == 0 else ': ' + err[:160]}")
    print(f"   runs recorded: {', '.join(day for _, day in runs)}")
    print(f"   latest run: {wrong:,} of {bench.rows:,} accounts with a previous_score that "
          f"is not their score in the run before ({runs[-2][1]})")
    print(f"   alerts raised: {raised:,} (in date order: {bench.in_order:,}); duplicates "
          f"(an open episode raised again by the next run): {duplicates:,}")


def late_run(bench: Bench) -> None:
    db = bench.folder / "late.db"
    for day in ("2024-02-01", "2024-02-03"):
        code, err = finished(bench.start(db, day))
        assert code == 0, err
    code, err = finished(bench.start(db, "2024-02-02"))
    print("2. 2024-02-02 recorded late, after 02-01 and 02-03")
    print(f"   exit {code}{'' if code == 0 else ': ' + err[:160]}")
    print(f"   alerts raised: {_raised(db):,} (in date order: {bench.in_order:,})")


def _raised(db: Path) -> int:
    with sqlite3.connect(db) as connection:
        return connection.execute("SELECT COUNT(*) FROM healthcore_alerts WHERE raised"
                                  ).fetchone()[0]


def _differs(row: dict, before: dict[str, float]) -> bool:
    previous, expected = row.get("previous_score"), before.get(row["account_id"])
    if previous is None or expected is None:
        return previous != expected
    return abs(previous - expected) > 1e-9


def killed_delivery(bench: Bench) -> None:
    db = bench.folder / "killed.db"
    plugin = ("--plugin", "bench_delivery")
    received = bench.folder / "received.jsonl"
    assert finished(bench.start(db, "2024-02-01", *plugin))[0] == 0
    flag = bench.folder / "delivering.flag"
    process = bench.start(db, "2024-02-02", *plugin, env={"BLOCK_FLAG": str(flag)})
    while not flag.exists():
        if process.poll() is not None:
            raise SystemExit(f"the run ended before delivering: {finished(process)}")
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    raised = _raised(db)
    at_kill = _received(received)
    print("3. a run killed (SIGKILL) while its delivery plugin works")
    print(f"   alerts recorded as raised: {raised:,}; delivered: {len(at_kill):,}")
    code, err = finished(bench.start(db, "2024-02-02", *plugin))
    after_rerun = _received(received)
    print(f"   the same date recorded again (exit {code}): {len(after_rerun) - len(at_kill):,} "
          f"alerts delivered ({len({a.get('id') for a in after_rerun}):,} distinct ids)"
          if "id" in (after_rerun or [{}])[0] else
          f"   the same date recorded again (exit {code}): "
          f"{len(after_rerun) - len(at_kill):,} alerts delivered (no ids)")
    code, err = finished(bench.command("deliver", "--history", str(db), *plugin))
    if code == 2 and "No such command" in err:
        print("   healthcore deliver: not in this version")
        return
    print(f"   then healthcore deliver (exit {code}): "
          f"{len(_received(received)) - len(after_rerun):,} more delivered")


def _received(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--source", type=Path, default=ROOT,
                        help="the checkout whose healthcore runs (default: this one)")
    args = parser.parse_args()
    print(f"healthcore of {args.source}, {args.rows:,} accounts")
    with tempfile.TemporaryDirectory() as folder:
        bench = Bench(Path(folder), args.rows, args.source.resolve())
        concurrent_runs(bench)
        late_run(bench)
        killed_delivery(bench)


if __name__ == "__main__":
    main()
