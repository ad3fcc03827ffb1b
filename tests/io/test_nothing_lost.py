"""Nothing is lost: a real ``healthcore evaluate`` process interrupted half way through writing
its output leaves the previous output as it was, and the next run writes every account once,
in input order.

The interruption is deterministic: the test waits until the process has started writing (its
temporary output file, or the SQLite journal, holds data) and then signals it; writing the
output of INPUT_ROWS accounts takes far longer than delivering a signal.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from healthcore.io.writers import remove_abandoned
from helpers import USAGE_AND_NPS

INPUT_ROWS = 300_000


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The ruleset and INPUT_ROWS accounts (every 7th with a bad seat count), ids out of
    sort order so that input order is visible."""
    root = tmp_path_factory.mktemp("nothing_lost")
    (root / "rs.yaml").write_text(USAGE_AND_NPS)
    i = pl.int_range(INPUT_ROWS, eager=True)
    pl.DataFrame({
        "account_id": ((i * 7919) % INPUT_ROWS).cast(pl.String).str.pad_start(7, "0"),
        "active": i % 10,
        "seats": pl.Series([None if k % 7 == 0 else str(k % 9 + 1) for k in range(INPUT_ROWS)]
                           ).fill_null("n/a"),
        "p": i % 4, "n": i % 3, "d": i % 5,
    }).write_csv(root / "accounts.csv")
    return {"ruleset": root / "rs.yaml", "accounts": root / "accounts.csv"}


def start(inputs: dict[str, Path], *args: str) -> subprocess.Popen:
    script = Path(sys.executable).with_name("healthcore")
    return subprocess.Popen(
        [str(script), "evaluate", str(inputs["ruleset"]), str(inputs["accounts"]), *args],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        env={**os.environ, "HEALTHCORE_DISABLE_PLUGINS": "1"},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def interrupt_while_writing(process: subprocess.Popen, directory: Path, pattern: str,
                            sig: signal.Signals) -> None:
    """Send ``sig`` to ``process`` as soon as a file matching ``pattern`` holds data."""
    while process.poll() is None:
        if any(path.stat().st_size > 0 for path in directory.glob(pattern)):
            process.send_signal(sig)
            process.wait()
            return
        time.sleep(0.002)
    pytest.fail(f"the run ended (exit code {process.returncode}) before it wrote anything to "
                f"{pattern}: {process.stderr.read().decode()[-500:]}")


def expected_ids(inputs: dict[str, Path]) -> list[str]:
    return pl.read_csv(inputs["accounts"], infer_schema=False)["account_id"].to_list()


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_run_killed_while_writing_leaves_the_previous_output_intact(inputs, tmp_path, fmt):
    output = tmp_path / f"scores.{fmt}"
    output.write_bytes(b"the previous night's results\n")
    process = start(inputs, "-o", str(output))
    interrupt_while_writing(process, tmp_path, f".scores.{fmt}.*.part", signal.SIGKILL)
    assert process.returncode == -signal.SIGKILL
    assert output.read_bytes() == b"the previous night's results\n"
    # SIGKILL cannot be caught: the killed run's hidden temporary file stays until the next
    # write to the same output removes it (docs/security.md); the output is never partial
    left = sorted(p.name for p in tmp_path.iterdir() if p.name != output.name)
    assert left and all(name.startswith(f".scores.{fmt}.") and name.endswith(".part")
                        for name in left)
    assert remove_abandoned(tmp_path, f".scores.{fmt}.") == [tmp_path / n for n in left]
    assert [p.name for p in tmp_path.iterdir()] == [output.name]


def test_a_live_runs_temporary_file_is_not_removed_by_another_run(inputs, tmp_path):
    output = tmp_path / "scores.csv"
    slow = start(inputs, "-o", str(output))
    while not (live := [path for path in tmp_path.glob(".scores.csv.*.part")
                        if path.stat().st_size > 0]):
        assert slow.poll() is None, "the run ended before it wrote its output"
        time.sleep(0.002)
    assert remove_abandoned(tmp_path, ".scores.csv.") == []
    assert all(path.exists() for path in live)
    assert slow.wait() == 1
    assert len(pl.read_csv(output, infer_schema=False)) == INPUT_ROWS


def test_the_next_run_writes_every_account_once_in_input_order(inputs, tmp_path):
    output = tmp_path / "scores.csv"
    output.write_bytes(b"the previous night's results\n")
    process = start(inputs, "-o", str(output))
    interrupt_while_writing(process, tmp_path, ".scores.csv.*.part", signal.SIGKILL)
    assert list(tmp_path.glob(".scores.csv.*.part"))
    process = start(inputs, "-o", str(output))
    # exit code 1: every 420th account has 'n/a' seats and no NPS answer, so no score
    assert process.wait() == 1
    written = pl.read_csv(output, infer_schema=False)
    assert written["account_id"].to_list() == expected_ids(inputs)
    assert written["status"].value_counts(sort=True).rows() == [("ok", 299_285),
                                                               ("error", 715)]
    # the killed run's temporary file went with the next run's write
    assert [p.name for p in tmp_path.iterdir()] == [output.name]


def test_an_interrupted_run_leaves_the_previous_output_and_no_temporary_file(inputs, tmp_path):
    output = tmp_path / "scores.csv"
    output.write_bytes(b"the previous night's results\n")
    process = start(inputs, "-o", str(output))
    interrupt_while_writing(process, tmp_path, ".scores.csv.*.part", signal.SIGINT)
    assert process.returncode == 130
    assert process.stderr.read().decode().endswith(
        "interrupted: nothing was written; files, tables and histories are left as they were\n")
    assert output.read_bytes() == b"the previous night's results\n"
    assert [p.name for p in tmp_path.iterdir()] == ["scores.csv"]


def test_a_run_killed_while_writing_a_database_table_leaves_the_previous_table(inputs,
                                                                               tmp_path):
    database = tmp_path / "crm.db"
    url = f"sqlite:///{database}"
    small = tmp_path / "small.csv"
    small.write_text("account_id,active,seats,p,n,d\nA1,5,10,6,2,2\nA2,9,10,5,5,0\n")
    first = start({**inputs, "accounts": small}, "--to-db", url, "--to-table", "health")
    assert first.wait() == 0, first.stderr.read().decode()

    process = start(inputs, "--to-db", url, "--to-table", "health")
    interrupt_while_writing(process, tmp_path, "crm.db-journal", signal.SIGKILL)
    assert process.returncode == -signal.SIGKILL
    with sqlite3.connect(database) as connection:  # rolls the hot journal back
        rows = connection.execute("SELECT account_id, score FROM health").fetchall()
        tables = [t for (t,) in connection.execute("SELECT name FROM sqlite_master")]
    assert rows == [("A1", 60.0), ("A2", 82.5)]
    assert tables == ["health"]
