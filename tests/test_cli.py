"""The healthcore command as a user runs it: formats, files, exit codes and messages."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from conftest import REPO
from healthcore.cli import main

SAAS = str(REPO / "rulesets" / "saas-b2b.yaml")
SAMPLE = str(REPO / "rulesets" / "saas-b2b.accounts.csv")

HAND = """\
healthcore: 1
name: hand
account_id: id
parameters: {late_days: 30}
indicators:
  - id: usage
    metric: ratio
    params: {numerator: active, denominator: seats}
    normalize: {linear: {worst: 0, best: 1}}
    weight: 3
  - id: nps
    metric: nps
    params: {promoters: p, passives: n, detractors: d}
    normalize: {linear: {worst: -100, best: 100}}
    weight: 1
actions:
  - id: late
    when: overdue > late_days
    points: -10
    reason: More than {late_days} days late
tiers:
  - {name: green, min: 60, color: green}
  - {name: red, min: 0, color: red}
"""

ACCOUNTS_CSV = """\
id,active,seats,p,n,d,overdue
001,5,10,6,3,1,0
002,9,10,,,,40
003,1,4,0,0,5,
"""
# 001: usage 50, nps 50 -> 75 points: (3*50 + 75) / 4 = 56.25 -> red
# 002: usage 90, nps missing -> 90, late -10 -> 80 -> green
# 003: usage 25, nps -100 -> 0: (75 + 0) / 4 = 18.75 -> red
EXPECTED = {"001": (56.25, "red"), "002": (80.0, "green"), "003": (18.75, "red")}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def hand(tmp_path: Path) -> tuple[str, str]:
    ruleset = tmp_path / "hand.yaml"
    ruleset.write_text(HAND)
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(ACCOUNTS_CSV)
    return str(ruleset), str(accounts)


def run(runner: CliRunner, *args: str, stdin: str | bytes | None = None):
    return runner.invoke(main, list(args), input=stdin, catch_exceptions=False)


def test_json_output_has_exact_scores_and_the_documented_shape(runner, hand):
    result = run(runner, "evaluate", *hand, "-f", "json")
    assert result.exit_code == 0, result.stderr
    records = json.loads(result.stdout)
    assert {r["account_id"]: (r["score"], r["tier"]) for r in records} == EXPECTED
    first = records[0]
    assert list(first) == ["account_id", "status", "score", "tier", "color", "indicators",
                           "actions", "reasons", "errors"]
    assert first["account_id"] == "001"  # ids are text: leading zeros kept
    assert first["indicators"]["usage"] == {"value": 0.5, "points": 50.0, "weight": 3.0,
                                            "contribution": 37.5}
    assert records[1]["actions"] == ["late"]
    assert "More than 30 days late (-10 points)" in records[1]["reasons"]


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "parquet"])
def test_output_files_agree_with_the_json_output(runner, hand, tmp_path, fmt):
    out = tmp_path / f"scores.{fmt}"
    result = run(runner, "evaluate", *hand, "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    frame = {"json": pl.read_json, "jsonl": pl.read_ndjson, "csv": pl.read_csv,
             "parquet": pl.read_parquet}[fmt](out, **({"schema_overrides": {"account_id": pl.String}} if fmt == "csv" else {}))
    scores = dict(zip(frame["account_id"].to_list(),
                      zip(frame["score"].to_list(), frame["tier"].to_list())))
    assert scores == EXPECTED
    if fmt == "csv":
        assert "usage.contribution" in frame.columns
        assert frame["reasons"][1] == "usage cost 10.0 points; More than 30 days late (-10 points)"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


@pytest.mark.parametrize("name,content", [
    ("accounts.json", json.dumps([{"id": "001", "active": 5, "seats": 10, "p": 6, "n": 3,
                                   "d": 1, "overdue": 0}])),
    ("accounts.jsonl", '{"id": "001", "active": 5, "seats": 10, "p": 6, "n": 3, "d": 1}\n'),
    ("accounts.tsv", "id\tactive\tseats\tp\tn\td\n001\t5\t10\t6\t3\t1\n"),
])
def test_every_input_format_reads_the_same_account(runner, hand, tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content)
    records = json.loads(run(runner, "evaluate", hand[0], str(path), "-f", "json").stdout)
    assert [(r["account_id"], r["score"]) for r in records] == [("001", 56.25)]


def test_parquet_input(runner, hand, tmp_path):
    path = tmp_path / "accounts.parquet"
    pl.read_csv(hand[1], schema_overrides={"id": pl.String}).write_parquet(path)
    records = json.loads(run(runner, "evaluate", hand[0], str(path), "-f", "json").stdout)
    assert {r["account_id"]: (r["score"], r["tier"]) for r in records} == EXPECTED


def test_standard_input_is_sniffed(runner, hand):
    jsonl = '{"id": "9", "active": 1, "seats": 1}\n'
    records = json.loads(run(runner, "evaluate", hand[0], "-", "-f", "json", stdin=jsonl).stdout)
    assert records[0]["score"] == 100.0
    csv_in = Path(hand[1]).read_text()
    result = run(runner, "evaluate", hand[0], "-", "-f", "jsonl", stdin=csv_in)
    assert [json.loads(line)["account_id"] for line in result.stdout.splitlines()] == [
        "001", "002", "003"]


def test_unscorable_accounts_give_exit_code_1_and_stay_in_the_output(runner, hand, tmp_path):
    path = tmp_path / "some-bad.csv"
    path.write_text("id,active,seats,p,n,d\n001,5,10,6,3,1\n004,,,,,\n")
    result = run(runner, "evaluate", hand[0], str(path), "-f", "json")
    assert result.exit_code == 1
    records = json.loads(result.stdout)
    assert [r["status"] for r in records] == ["ok", "error"]
    assert records[1]["errors"] == ["field 'overdue' is not in the input",
                                    "no indicator has a value for this account, so it has "
                                    "no score"]
    assert "1 of 2 accounts could not be scored" in result.stderr


def test_broken_ruleset_gives_exit_code_2_with_the_line(runner, hand, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(HAND.replace("weight: 3", "weight: -3"))
    result = run(runner, "evaluate", str(broken), hand[1])
    assert result.exit_code == 2
    assert f"{broken}:10:13: indicators[0].weight: -3 is less than the minimum of 0" in \
        result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("args,message", [
    (["evaluate", "{r}", "nope.csv"], "nope.csv: cannot read the file: No such file"),
    (["evaluate", "{r}", "{a}", "-o", "out.txt"], "cannot tell the output format from 'out.txt'"),
    (["evaluate", "{r}", "{a}", "-f", "table", "-o", "x.csv"], "the table format is for the "
                                                               "terminal"),
    (["evaluate", "{r}", "{a}", "--plugin", "no_such_plugin_module"],
     "cannot import plugin module 'no_such_plugin_module'"),
    (["evaluate", "{r}", "{a}", "-f", "xml"], "Invalid value for '-f' / '--format'"),
])
def test_command_line_mistakes_give_exit_code_2(runner, hand, tmp_path, args, message):
    os.chdir(tmp_path)
    args = [a.format(r=hand[0], a=hand[1]) for a in args]
    result = run(runner, *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_bad_input_file_names_the_file_and_line(runner, hand, tmp_path):
    path = tmp_path / "broken.jsonl"
    path.write_text('{"id": "1", "active": 1}\n{"id": "2", "active": \n')
    result = run(runner, "evaluate", hand[0], str(path))
    assert result.exit_code == 2
    assert f"{path}:2:23: not valid JSON: Expecting value" in result.stderr


def test_missing_id_field_is_explained(runner, hand, tmp_path):
    path = tmp_path / "noid.csv"
    path.write_text("ID,active,seats\n1,2,3\n")
    result = run(runner, "evaluate", hand[0], str(path))
    assert result.exit_code == 2
    assert "the accounts have no field 'id', which the ruleset names as account_id " \
           "(did you mean 'ID'?)" in result.stderr


def test_failed_run_leaves_the_previous_output_intact(runner, hand, tmp_path):
    out = tmp_path / "scores.json"
    out.write_text("previous results")
    broken = tmp_path / "broken.yaml"
    broken.write_text("healthcore: 1\n")
    assert run(runner, "evaluate", str(broken), hand[1], "-o", str(out)).exit_code == 2
    assert out.read_text() == "previous results"


def test_atomic_write_never_leaves_a_partial_file(tmp_path):
    from healthcore.io.writers import atomic_path

    target = tmp_path / "out.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as aside:
            aside.write_bytes(b"half of the new con")
            raise RuntimeError("interrupted")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_table_shows_every_account_worst_first_with_a_summary(runner):
    result = run(runner, "evaluate", SAAS, SAMPLE, "--limit", "0")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == "38 accounts: 16 healthy, 12 at_risk, 10 unhealthy"
    scores = [float(cell) for line in lines if line.startswith("│ ACC-")
              for cell in [line.split("│")[2].strip()] if cell]
    assert len(scores) == 38 and scores == sorted(scores)


def test_table_colors_tiers_on_a_terminal(hand):
    from rich.console import Console

    from healthcore import load_ruleset
    from healthcore.display import render_table
    from healthcore.io.readers import read_accounts

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, color_system="standard", width=100)
    render_table(load_ruleset(hand[0]).score(read_accounts(hand[1])), console)
    text = buffer.getvalue()
    assert "\x1b[32mgreen" in text and "\x1b[31mred" in text  # green and red styles


def test_validate_reports_each_file(runner, hand, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(HAND.replace("metric: nps", "metric: nsp"))
    result = run(runner, "validate", hand[0], str(broken))
    assert result.exit_code == 2
    assert f"{hand[0]}: ok (2 indicators, 1 actions, 2 tiers)" in result.stdout
    assert f"{broken}:12:13: indicators[1].metric: unknown metric 'nsp' (did you mean " \
           "'nps'?)" in result.stderr
    assert "1 of 2 rulesets are invalid" in result.stderr
    assert run(runner, "validate", SAAS).exit_code == 0


def test_plugins_lists_metrics_with_their_parameters(runner):
    result = run(runner, "plugins")
    assert result.exit_code == 0
    assert "healthcore.builtin.metrics (builtin)" in result.stdout
    assert "      promoters (string, count field, default 'nps_promoters'): field with the " \
           "number of promoters (9-10)" in result.stdout
    catalogue = json.loads(run(runner, "plugins", "-f", "json").stdout)
    names = {m["name"] for m in catalogue["metrics"]}
    assert {"field", "ratio", "expression", "nps", "csat"} <= names
    assert {f["name"] for f in catalogue["functions"]} >= {"min", "max", "abs", "round"}


def test_help_documents_exit_codes_and_examples(runner):
    assert set(main.commands) == {"evaluate", "validate", "plugins", "explain", "templates",
                                  "init", "test", "diff", "history", "alerts", "override",
                                  "overrides", "backtest", "calibrate", "summary", "report"}
    for command in main.commands:
        text = run(runner, command, "--help").stdout
        assert "Exit codes:" in text, command
        assert "2  " in text and "invalid" in text, command
        assert "Example" in text and "healthcore " + command in text, command


def test_console_script_runs_the_bundled_sample_in_a_fresh_process():
    script = Path(sys.executable).parent / "healthcore"
    done = subprocess.run([str(script), "evaluate", SAAS, SAMPLE, "-f", "json"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    records = json.loads(done.stdout)
    assert len(records) == 38 and len({r["account_id"] for r in records}) == 38
    by_id = {r["account_id"]: r for r in records}
    assert by_id["ACC-1006"]["errors"] == ["field 'seats': 'n/a' is not a number"]


def test_table_shows_the_segment_when_the_ruleset_has_segments(runner, tmp_path):
    ruleset = tmp_path / "seg.yaml"
    ruleset.write_text(
        "healthcore: 1\nname: seg\nindicators:\n"
        "  - {id: a, metric: field, params: {field: a}, normalize: {linear: {worst: 0, best: 10}},"
        " weight: 1}\n"
        "segments:\n  - {id: big, when: seats > 10, tiers: {ok: 80}}\n"
        "tiers:\n  - {name: ok, min: 50}\n  - {name: low, min: 0}\n")
    accounts = tmp_path / "a.csv"
    accounts.write_text("account_id,a,seats\nx,6,20\ny,6,2\n")
    lines = run(runner, "evaluate", str(ruleset), str(accounts)).stdout.splitlines()
    assert any("segment" in line for line in lines[:3])
    rows = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:5]]
            for line in lines if line.startswith("│ ")}
    assert rows == {"x": ["60.0", "low", "big"], "y": ["60.0", "ok", "default"]}


def test_shell_completion_as_documented():
    script = Path(sys.executable).parent / "healthcore"
    source = subprocess.run([str(script)], env={**os.environ, "_HEALTHCORE_COMPLETE": "bash_source"},
                            capture_output=True, text=True, timeout=60)
    assert "_healthcore_completion()" in source.stdout
    words = subprocess.run([str(script)], capture_output=True, text=True, timeout=60, env={
        **os.environ, "_HEALTHCORE_COMPLETE": "bash_complete", "COMP_WORDS": "healthcore eva",
        "COMP_CWORD": "1"})
    assert words.stdout.strip().splitlines() == ["plain,evaluate"]
    assert "_HEALTHCORE_COMPLETE=bash_source healthcore" in (REPO / "docs" / "cli.md").read_text()
