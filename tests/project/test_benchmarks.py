"""The benchmark of whole ``evaluate`` processes runs end to end: on a small data set, with the
current source as its own baseline, it finds the outputs in agreement and reports every target."""

from __future__ import annotations

import subprocess
import sys

from helpers import REPO

TARGET_ROWS = (
    "1. --columns CSV / hand-written score-only CSV",
    "2a. full Parquet / hand-written score-only Parquet",
    "2b. full Parquet / hand-written same columns",
    "3. peak memory of 2., MB per million accounts",
    "4a. --history first run / 2.",
    "4b. --history second run / 2.",
)


def test_bench_outputs_compares_a_version_with_itself_and_reports_each_target():
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "bench_outputs.py"), "--rows", "2000",
         "--repeat", "1", "--baseline", str(REPO)],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "DISAGREEMENT" not in done.stderr
    summary = done.stdout[done.stdout.index("Summary: targets"):]
    lines = summary.splitlines()
    for label in TARGET_ROWS:
        row = next(line for line in lines if line.startswith(label))
        assert "n/a" not in row
        assert row.rstrip().endswith("met") or "MISSED by" in row
    agreement = next(line for line in lines if line.startswith("outputs agree"))
    assert agreement.rstrip().endswith("met")
