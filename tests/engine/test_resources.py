"""Memory: a large ruleset or a wide input is scored within a memory limit, and a run that does
not fit says so. Each run is a fresh process under a limit on its address space."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

_GB = 1024 ** 3


def run_limited(args: list[str], limit_gb: float, cwd: Path) -> subprocess.CompletedProcess:
    """``python -m healthcore.cli.main ARGS`` in a fresh process whose address space is limited."""
    def limited() -> None:
        limit = int(limit_gb * _GB)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return subprocess.run([sys.executable, "-m", "healthcore.cli.main", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600, preexec_fn=limited,
                          env={**os.environ, "POLARS_MAX_THREADS": "2"})


def large_ruleset(indicators: int, actions: int) -> str:
    """Indicators ``i<k>`` reading ``f<k>`` (0 to 1 is 0 to 100 points, weight 1) and actions
    ``a<k>`` firing when ``f<k>`` is below 0.01, each taking 0.25 to 1 point off."""
    lines = ["healthcore: 1", "name: large", "account_id: id", "indicators:"]
    for k in range(indicators):
        lines.append(f"  - {{id: i{k}, label: Indicator {k}, metric: field, "
                     f"params: {{field: f{k}}}, "
                     "normalize: {linear: {worst: 0, best: 1}}, weight: 1}")
    lines.append("actions:")
    for k in range(actions):
        lines.append(f"  - {{id: a{k}, when: f{k} < 0.01, points: -{0.25 * (1 + k % 4)}, "
                     f"reason: Action {k} fired}}")
    lines += ["tiers:", "  - {name: healthy, min: 70, color: green}",
              "  - {name: at_risk, min: 0, color: red}"]
    return "\n".join(lines) + "\n"


def large_accounts(path: Path, indicators: int, rows: int) -> None:
    """``rows`` accounts: ``ACC-0`` has every field at 1 but f0 = 0.4, f3 = 0.8, f5 = 0 and
    f7 = 0; the others vary."""
    header = ["id", *(f"f{k}" for k in range(indicators))]
    lines = [",".join(header)]
    special = {0: "0.4", 3: "0.8", 5: "0", 7: "0"}
    lines.append(",".join(["ACC-0", *(special.get(k, "1") for k in range(indicators))]))
    for row in range(1, rows):
        lines.append(",".join([f"ACC-{row}",
                               *(str((row * 7 + k * 13) % 100 / 100) for k in range(indicators))]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_ruleset_of_200_indicators_and_200_actions_scores_in_limited_memory(tmp_path):
    # the reasons once compared every pair of indicators and actions: 3.5 GB for 100 accounts
    ruleset = tmp_path / "large.yaml"
    ruleset.write_text(large_ruleset(200, 200), encoding="utf-8")
    large_accounts(tmp_path / "accounts.csv", 200, 2000)
    done = run_limited(["evaluate", str(ruleset), "accounts.csv", "-f", "json", "-o",
                        "out.json", "-q"], 2.0, tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert len(results) == 2000
    first = results[0]
    assert first["account_id"] == "ACC-0"
    # each indicator carries 1/200 of the base: f5 = f7 = 0 cost 0.5 points each, f0 = 0.4
    # costs 0.3 and f3 = 0.8 costs 0.1 (the fourth costliest, past the top 3); a7 takes 1 point
    # off, a5 0.5 (a tie with the indicators, which come first), a0 and a3 do not fire
    assert first["reasons"] == ["Action 7 fired (-1 points)", "Indicator 5 cost 0.5 points",
                                "Indicator 7 cost 0.5 points", "Action 5 fired (-0.5 points)",
                                "Indicator 0 cost 0.3 points"]
    assert first["actions"] == ["a5", "a7"]
    assert abs(first["score"] - (100 - (0.5 + 0.5 + 0.3 + 0.1) - 1.5)) < 1e-9


def test_an_input_larger_than_memory_is_refused_before_reading_not_aborted(tmp_path):
    # a 1 GB file under a 1.2 GB limit used to end in a MemoryError traceback (exit 1)
    ruleset = tmp_path / "large.yaml"
    ruleset.write_text(large_ruleset(2, 2), encoding="utf-8")
    accounts = tmp_path / "accounts.csv"
    with accounts.open("wb") as handle:
        handle.write(b"id,f0,f1\n")
        handle.truncate(1_000_000_000)  # sparse: takes no disk space
    done = run_limited(["evaluate", str(ruleset), "accounts.csv", "-f", "json", "-o",
                        "out.json"], 1.2, tmp_path)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "accounts.csv holds 1,000,000,000 bytes and needs about 3,000,000,000 bytes" \
        in done.stderr
    assert "give fewer accounts at a time (split the file into batches)" in done.stderr
    assert not (tmp_path / "out.json").exists()


def test_a_wide_csv_reads_only_the_columns_the_ruleset_uses(tmp_path):
    # 6,000 columns of which the ruleset reads one: every column was read (about 3 GB)
    ruleset = tmp_path / "large.yaml"
    ruleset.write_text(large_ruleset(1, 1), encoding="utf-8")
    width, rows = 6000, 4000
    header = ",".join(["id", "f0", *(f"unused{k}" for k in range(width))])
    filler = ",".join(["some text"] * width)
    lines = [header, *(f"ACC-{row},{row % 100 / 100},{filler}" for row in range(rows))]
    (tmp_path / "accounts.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = run_limited(["evaluate", str(ruleset), "accounts.csv", "-f", "json", "-o",
                        "out.json", "-q"], 2.0, tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert len(results) == rows
    assert results[1]["indicators"]["i0"]["value"] == 0.01


def test_parquet_and_database_tables_are_read_only_in_the_columns_the_ruleset_uses(tmp_path):
    # the unused columns are kept by name (checks on names still see them) but never read
    from healthcore.io.database import read_database
    from healthcore.io.readers import read_accounts

    import polars as pl

    wide = pl.DataFrame({"id": ["ACC-1", "ACC-2"], "f0": [0.5, 0.25],
                         "notes": ["long text", "more"], "spend": [10, 20]})
    wide.write_parquet(tmp_path / "accounts.parquet")
    used = {"id", "f0"}
    parquet = read_accounts(str(tmp_path / "accounts.parquet"), columns=used)
    import sqlite3

    with sqlite3.connect(tmp_path / "crm.db") as connection:
        connection.execute("CREATE TABLE accounts (id TEXT, notes TEXT, f0 REAL, spend INTEGER)")
        connection.executemany("INSERT INTO accounts VALUES (?, ?, ?, ?)",
                               [("ACC-1", "long text", 0.5, 10), ("ACC-2", "more", 0.25, 20)])
    table = read_database(f"sqlite:///{tmp_path / 'crm.db'}", table="accounts", columns=used)
    for frame, order in ((parquet, ["id", "f0", "notes", "spend"]),
                         (table, ["id", "notes", "f0", "spend"])):
        assert frame.columns == order
        assert frame.schema["notes"] == pl.Null and frame.schema["spend"] == pl.Null
        assert frame["f0"].to_list() == [0.5, 0.25] and frame["id"].to_list() == ["ACC-1",
                                                                                  "ACC-2"]
    # and evaluate scores them so
    ruleset = tmp_path / "large.yaml"
    ruleset.write_text(large_ruleset(1, 1), encoding="utf-8")
    for source in (["accounts.parquet"], ["--db", f"sqlite:///{tmp_path / 'crm.db'}",
                                          "--table", "accounts"]):
        done = run_limited(["evaluate", str(ruleset), *source, "-f", "json", "-q"], 4.0,
                           tmp_path)
        assert done.returncode == 0, done.stderr[-2000:]
        assert [r["score"] for r in json.loads(done.stdout)] == [50.0, 25.0]
