"""Benchmark: ``healthcore alerts`` on a history with many open alerts.

Builds a SQLite history whose latest run holds N open alerts (N accounts, each under the
alert's threshold, one run recorded with ``evaluate --history``), then times the command as a
user runs it, in a subprocess, its output to a file: the table (default ``--limit``), the
table of every alert (``--limit 0``) and JSON. Prints the seconds of each.

    python benchmarks/bench_alerts.py                  # 200,000 alerts
    python benchmarks/bench_alerts.py --alerts 50000 --timeout 120
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RULESET = """\
healthcore: 1
name: many-alerts
indicators:
  - id: usage
    metric: field
    params: {field: usage}
    normalize: {linear: {worst: 0, best: 100}}
    weight: 1
tiers:
  - {name: healthy, min: 70, color: green}
  - {name: at_risk, min: 0, color: red}
alerts:
  - {id: low, kind: indicator, indicator: usage, below: 30, severity: critical}
  - {id: lower, kind: indicator, indicator: usage, below: 20, severity: warning}
"""


def healthcore(*args: str, timeout: float) -> float | None:
    """Seconds that ``healthcore ARGS`` took (its output discarded), or None past ``timeout``
    (or if it failed)."""
    start = time.perf_counter()
    try:
        subprocess.run([sys.executable, "-m", "healthcore.cli.main", *args], check=True,
                       stdout=subprocess.DEVNULL, timeout=timeout)
    except (subprocess.TimeoutExpired, subprocess.CalledProcessError):
        return None
    return time.perf_counter() - start


def count(history: str) -> int:
    """The open alerts of ``history``, as ``alerts -f json`` lists them all."""
    import json

    for extra in (("--limit", "0"), ()):  # a version without --limit lists them all
        listed = subprocess.run([sys.executable, "-m", "healthcore.cli.main", "alerts", "--history",
                                 history, "-f", "json", *extra], capture_output=True, text=True)
        if listed.returncode == 0:
            return len(json.loads(listed.stdout)["alerts"])
    raise RuntimeError(listed.stderr)


def build(directory: Path, alerts: int) -> str:
    """A history whose latest run has ``alerts`` open alerts; its path."""
    accounts = directory / "accounts.csv"
    with accounts.open("w", encoding="utf-8") as file:
        file.write("account_id,usage\n")
        for index in range(alerts // 2):  # usage 10: both alerts
            file.write(f"ACC-{index:07d},{10 + index % 10 / 10}\n")
        if alerts % 2:  # usage 25: the first alert only
            file.write("ACC-odd,25\n")
    ruleset = directory / "ruleset.yaml"
    ruleset.write_text(RULESET, encoding="utf-8")
    history = str(directory / "history.db")
    subprocess.run([sys.executable, "-m", "healthcore.cli.main", "evaluate", str(ruleset),
                    str(accounts), "--history", history, "-q", "-o", str(directory / "o.csv")],
                   check=True)
    return history


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=200_000)
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="Give up on a command after this many seconds.")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        history = build(Path(folder), options.alerts)
        print(f"{count(history):,} open alerts in the history")
        for label, args in (("table (default --limit)", ()), ("table, --limit 0", ("--limit", "0")),
                            ("json", ("-f", "json"))):
            seconds = healthcore("alerts", "--history", history, *args, timeout=options.timeout)
            shown = (f"{seconds:.2f} s" if seconds is not None else
                     f"failed or more than {options.timeout:.0f} s")
            print(f"healthcore alerts, {label}: {shown}")


if __name__ == "__main__":
    main()
