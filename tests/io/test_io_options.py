"""evaluate's input options (--delimiter, --encoding, a byte-order mark), --quiet and the
progress bar (shown on a terminal only)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from helpers import SAAS
from helpers import SAAS_ACCOUNTS as SAMPLE
from healthcore.cli.main import main
from healthcore.cli.progress import Phases
from helpers import ACCOUNTS_CSV, EXPECTED, HAND



@pytest.fixture
def ruleset(tmp_path: Path) -> str:
    path = tmp_path / "hand.yaml"
    path.write_text(HAND)
    return str(path)


def run(*args: str):
    return CliRunner().invoke(main, ["evaluate", *args], catch_exceptions=False)


def scores(result) -> dict[str, tuple]:
    assert result.exit_code == 0, result.stderr
    return {r["account_id"]: (r["score"], r["tier"]) for r in json.loads(result.stdout)}


# ------------------------------------------------------------------------------ inputs

def test_semicolon_delimiter(ruleset, tmp_path):
    path = tmp_path / "accounts.csv"
    path.write_text(ACCOUNTS_CSV.replace(",", ";"))
    assert scores(run(ruleset, str(path), "--delimiter", ";", "-f", "json")) == EXPECTED
    wrong = run(ruleset, str(path), "-f", "json")  # read with commas: one field 'id;active;...'
    assert wrong.exit_code == 2 and "no field 'id'" in wrong.stderr


@pytest.mark.parametrize("name", ["\\t", "tab"])
def test_a_tab_delimiter_by_name_and_tsv_by_default(ruleset, tmp_path, name):
    path = tmp_path / "accounts.txt"
    path.write_text(ACCOUNTS_CSV.replace(",", "\t"))
    assert scores(run(ruleset, str(path), "--input-format", "csv", "--delimiter", name,
                      "-f", "json")) == EXPECTED
    tsv = tmp_path / "accounts.tsv"
    tsv.write_text(ACCOUNTS_CSV.replace(",", "\t"))
    assert scores(run(ruleset, str(tsv), "-f", "json")) == EXPECTED


def test_latin1_encoding(ruleset, tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(ACCOUNTS_CSV.replace("001", "Zoë").encode("latin-1"))
    expected = {("Zoë" if k == "001" else k): v for k, v in EXPECTED.items()}
    assert scores(run(ruleset, str(path), "--encoding", "latin-1", "-f", "json")) == expected
    as_utf8 = run(ruleset, str(path), "-f", "json")
    assert as_utf8.exit_code == 2
    assert "export.csv:2: byte 0xeb is not valid UTF-8" in as_utf8.stderr
    assert "--encoding latin-1" in as_utf8.stderr


def test_latin1_json_and_semicolon_on_standard_input(ruleset):
    records = [{"id": "Zoë", "active": 5, "seats": 10}]
    result = CliRunner().invoke(main, ["evaluate", ruleset, "-", "--encoding", "latin-1",
                                       "-f", "json"],
                                input=json.dumps(records, ensure_ascii=False).encode("latin-1"))
    assert [r["account_id"] for r in json.loads(result.stdout)] == ["Zoë"]
    result = CliRunner().invoke(main, ["evaluate", ruleset, "-", "--delimiter", ";",
                                       "-f", "json"], input=ACCOUNTS_CSV.replace(",", ";"))
    assert scores(result) == EXPECTED


@pytest.mark.parametrize("encoding", [None, "utf-8", "utf-8-sig"])
def test_a_utf8_byte_order_mark_is_skipped(ruleset, tmp_path, encoding):
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + ACCOUNTS_CSV.encode("utf-8"))
    extra = ["--encoding", encoding] if encoding else []
    assert scores(run(ruleset, str(path), *extra, "-f", "json")) == EXPECTED


def test_a_byte_order_mark_in_json_and_tsv(ruleset, tmp_path):
    path = tmp_path / "accounts.tsv"
    path.write_bytes(b"\xef\xbb\xbf" + ACCOUNTS_CSV.replace(",", "\t").encode("utf-8"))
    assert scores(run(ruleset, str(path), "-f", "json")) == EXPECTED
    path = tmp_path / "accounts.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps([{"id": "001", "active": 5, "seats": 10}])
                     .encode("utf-8"))
    assert list(scores(run(ruleset, str(path), "-f", "json"))) == ["001"]


RECORDS = [{"id": "001", "active": 5, "seats": 10, "p": 6, "n": 3, "d": 1, "overdue": 0}]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_a_utf16_file_with_its_byte_order_mark_is_read_as_utf16(ruleset, tmp_path, encoding):
    bom = "\ufeff".encode(encoding)
    texts = {"accounts.csv": ACCOUNTS_CSV, "accounts.json": json.dumps(RECORDS),
             "accounts.jsonl": json.dumps(RECORDS[0]) + "\n"}
    for name, text in texts.items():
        path = tmp_path / name
        path.write_bytes(bom + text.encode(encoding))
        expected = EXPECTED if name.endswith(".csv") else {"001": EXPECTED["001"]}
        assert scores(run(ruleset, str(path), "-f", "json")) == expected, name


def test_a_utf16_file_read_as_utf8_is_named_not_cut_off(ruleset, tmp_path):
    path = tmp_path / "accounts.csv"
    path.write_bytes(ACCOUNTS_CSV.encode("utf-16"))
    result = run(ruleset, str(path), "--encoding", "utf-8")
    assert result.exit_code == 2
    assert result.stderr == (f"error: {path}:1: byte 0xff is not valid UTF-8; save the file as "
                             "UTF-8, or give its encoding (such as --encoding latin-1)\n")


@pytest.mark.parametrize("bom", [b"\xef\xbb\xbf", b"\xff\xfe"])
def test_a_byte_order_mark_on_standard_input_keeps_json_json(ruleset, bom):
    text = json.dumps(RECORDS)
    data = bom + (text.encode("utf-16-le") if bom == b"\xff\xfe" else text.encode())
    result = CliRunner().invoke(main, ["evaluate", ruleset, "-", "-f", "json"], input=data)
    assert scores(result) == {"001": EXPECTED["001"]}


def test_a_codec_that_cannot_read_the_file_is_named(ruleset, tmp_path):
    path = tmp_path / "accounts.csv"
    path.write_text(ACCOUNTS_CSV)
    result = run(ruleset, str(path), "--encoding", "punycode")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {path}: cannot be read as punycode: ")


@pytest.mark.parametrize("args, message", [
    (["--encoding", "klingon"], "unknown encoding 'klingon'"),
    (["--encoding", "hex"], "unknown encoding 'hex'"),
    (["--delimiter", ";;"], "the CSV delimiter must be one character"),
    (["--delimiter", '"'], "the CSV delimiter must be one character"),
])
def test_bad_input_options(ruleset, tmp_path, args, message):
    path = tmp_path / "accounts.csv"
    path.write_text(ACCOUNTS_CSV)
    result = run(ruleset, str(path), *args)
    assert result.exit_code == 2 and message in result.stderr


def test_a_delimiter_is_for_csv_only(ruleset, tmp_path):
    path = tmp_path / "accounts.json"
    path.write_text("[]")
    result = run(ruleset, str(path), "--delimiter", ";")
    assert result.exit_code == 2
    assert "a delimiter is for CSV and TSV input, not json" in result.stderr


# ------------------------------------------------------------------------------ --quiet

NOISY = """\
healthcore: 1
name: noisy
account_id: id
indicators:
  - id: usage
    metric: ratio
    params: {numerator: active, denominator: seats}
    normalize: {linear: {worst: 0, best: 1}}
    weight: 1
  - id: csat
    metric: field
    params: {field: csat_missing}
    normalize: {linear: {worst: 0, best: 100}}
    weight: 1
tiers:
  - {name: ok, min: 0}
"""


@pytest.fixture
def noisy(tmp_path: Path) -> tuple[str, str]:
    ruleset = tmp_path / "noisy.yaml"
    ruleset.write_text(NOISY)
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("id,active,seats\nA,1,2\nB,,\n")
    return str(ruleset), str(accounts)


def test_without_quiet_the_warnings_are_printed(noisy):
    result = run(*noisy, "-f", "json")
    assert result.exit_code == 1
    assert "warning: field 'csat_missing' is not in the input" in result.stderr
    assert "warning: 1 of 2 accounts could not be scored" in result.stderr


@pytest.mark.parametrize("flag", ["--quiet", "-q"])
def test_quiet_prints_no_warnings_but_keeps_the_exit_code_and_errors(noisy, flag):
    result = run(*noisy, "-f", "json", flag)
    assert result.exit_code == 1  # still: an account could not be scored
    assert result.stderr == ""
    assert len(json.loads(result.stdout)) == 2
    failed = run(noisy[0], noisy[1] + ".missing", flag)
    assert failed.exit_code == 2 and failed.stderr.startswith("error: ")


# ------------------------------------------------------------------------------ progress

def phases_on(console: Console, **options) -> None:
    with Phases(console, **options) as phases:
        phases.phase("reading", "reading the accounts")
        phases.phase("scoring", "scoring 1,000,000 accounts")
        phases.phase("writing", "writing the results")
        phases.detail("writing the results: 10,000 of 1,000,000 rows into table 'scores'")


def test_the_progress_bar_shows_the_phases_on_a_terminal():
    out = io.StringIO()
    phases_on(Console(file=out, force_terminal=True, width=120), delay=0)
    text = out.getvalue()
    assert "reading the accounts" in text
    assert "writing the results" in text
    assert "\x1b[" in text  # drawn (and erased) with terminal control codes


def test_the_progress_bar_follows_the_phase_in_progress():
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120)
    with Phases(console, delay=0) as phases:
        phases.phase("scoring", "scoring 5 accounts")
        phases._progress.refresh()
        assert "scoring 5 accounts" in out.getvalue()
        assert "1/3" in out.getvalue()
        phases.phase("writing")
        phases._progress.refresh()
        assert "2/3" in out.getvalue()


def test_no_progress_on_a_non_terminal_when_quiet_or_for_short_runs():
    for console, options in [(Console(file=io.StringIO(), force_terminal=False), {"delay": 0}),
                             (Console(file=io.StringIO(), force_terminal=True),
                              {"delay": 0, "enabled": False}),
                             (Console(file=io.StringIO(), force_terminal=True), {"delay": 30})]:
        phases_on(console, **options)
        assert console.file.getvalue() == "", options


def test_a_real_run_prints_nothing_on_a_non_terminal_stderr(tmp_path):
    env = {**os.environ, "HEALTHCORE_DISABLE_PLUGINS": "1"}
    done = subprocess.run([sys.executable, "-m", "healthcore.cli.main", "evaluate", SAAS, SAMPLE,
                           "-o", str(tmp_path / "out.json")], capture_output=True, text=True,
                          env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "" and done.stdout == ""
    assert len(json.loads((tmp_path / "out.json").read_text())) == 38
