"""Bad account data never crashes a batch and never becomes a plausible number.

Each case of docs/rulesets.md, "What happens to bad data", is run through ``healthcore
evaluate`` as a user would: the outcome is either the account scored without the indicator
that reads the bad value (named in ``errors`` with the field and the value), ``status: error``
with the reason, or (when the file itself cannot be read) exit code 2 naming the file and line.
Every account of a readable file comes out exactly once, in input order.

The ruleset: usage = active / seats on 0..1 and NPS from counts on -100..100, weight 1 each.
A clean account (5 of 10 seats active; 6 promoters, 2 passives, 2 detractors) scores
(50 + 70) / 2 = 60.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from healthcore.cli.main import main
from helpers import USAGE_AND_NPS

HEADER = "account_id,active,seats,p,n,d\n"
CLEAN = "A1,5,10,6,2,2\n"
USAGE_ONLY, NPS_ONLY, BOTH = 50.0, 70.0, 60.0
NO_SCORE = "no indicator has a value for this account, so it has no score"


def evaluate(tmp_path: Path, name: str, content: bytes, *extra: str):
    (tmp_path / "rs.yaml").write_text(USAGE_AND_NPS)
    (tmp_path / name).write_bytes(content)
    return CliRunner().invoke(main, ["evaluate", str(tmp_path / "rs.yaml"),
                                     str(tmp_path / name), "-f", "json", *extra])


def scored(result, accounts: int) -> list[tuple]:
    """(id, status, score, errors) of each account; checks that none was lost or added."""
    records = json.loads(result.stdout)
    assert len(records) == accounts
    return [(r["account_id"], r["status"], r["score"], r["errors"]) for r in records]


def test_missing_columns_drop_the_indicators_reading_them(tmp_path):
    result = evaluate(tmp_path, "a.csv", b"account_id,active,seats,p,n\nA1,5,10,6,2\n")
    assert result.exit_code == 0
    missing = "field 'd' is not in the input"
    assert scored(result, 1) == [("A1", "ok", USAGE_ONLY, [missing])]
    assert result.stderr == (f"warning: {missing}: the indicators and actions reading it have "
                             "no value for any account\n")


@pytest.mark.parametrize("cell,shown", [("n/a", "'n/a'"), ("12 seats", "'12 seats'"),
                                        ("1,5", "'1,5'"), ("ten", "'ten'")])
def test_text_in_a_number_column_is_named_not_read_as_a_number(tmp_path, cell, shown):
    csv = f'{HEADER}A1,5,"{cell}",6,2,2\n{CLEAN}'.encode()
    result = evaluate(tmp_path, "a.csv", csv)
    assert result.exit_code == 0
    assert scored(result, 2) == [
        ("A1", "ok", NPS_ONLY, [f"field 'seats': {shown} is not a number"]),
        ("A1", "ok", BOTH, [])]


@pytest.mark.parametrize("cell", ["NaN", "nan", "inf", "-Infinity", "1e999"])
def test_nan_and_infinity_in_csv_are_named(tmp_path, cell):
    result = evaluate(tmp_path, "a.csv", f"{HEADER}A1,{cell},10,6,2,2\n".encode())
    assert scored(result, 1) == [
        ("A1", "ok", NPS_ONLY, [f"field 'active': '{cell}' is not a number"])]


def test_nan_and_infinity_in_json_and_parquet_are_named(tmp_path):
    rows = [{"account_id": "A1", "active": float("nan"), "seats": 10.0, "p": 6, "n": 2, "d": 2},
            {"account_id": "A2", "active": 5.0, "seats": float("inf"), "p": 6, "n": 2, "d": 2},
            {"account_id": "A3", "active": 5.0, "seats": 10.0, "p": 6, "n": 2, "d": 2}]
    expected = [("A1", "ok", NPS_ONLY, ["field 'active': NaN is not a number"]),
                ("A2", "ok", NPS_ONLY, ["field 'seats': inf is not a number"]),
                ("A3", "ok", BOTH, [])]
    as_json = json.dumps(rows).encode()  # NaN and Infinity, as Python and JavaScript write them
    assert b"NaN" in as_json and b"Infinity" in as_json
    assert scored(evaluate(tmp_path, "a.json", as_json), 3) == expected
    parquet = io.BytesIO()
    pl.DataFrame(rows).write_parquet(parquet)
    assert scored(evaluate(tmp_path, "a.parquet", parquet.getvalue()), 3) == expected


def test_negative_counts_are_named_and_never_counted(tmp_path):
    result = evaluate(tmp_path, "a.csv", f"{HEADER}A1,5,10,6,-2,2\n{CLEAN}".encode())
    assert scored(result, 2) == [
        ("A1", "ok", USAGE_ONLY, ["field 'n': '-2' is not a valid count (a number, 0 or more)"]),
        ("A1", "ok", BOTH, [])]


def test_duplicate_account_ids_are_each_scored_in_input_order(tmp_path):
    csv = f"{HEADER}A1,5,10,6,2,2\nA2,9,10,5,5,0\nA1,1,10,0,0,10\n".encode()
    result = evaluate(tmp_path, "a.csv", csv)
    assert result.exit_code == 0
    # A2: 90 and (50 + 100) / 2 = 75 -> 82.5; the second A1: 10 and 0 -> 5
    assert [row[:3] for row in scored(result, 3)] == [("A1", "ok", 60.0), ("A2", "ok", 82.5),
                                                      ("A1", "ok", 5.0)]
    assert result.stderr == ("warning: 1 account id appears on more than one row (A1): each "
                             "row is scored on its own; check the export\n")


def test_repeated_ids_in_sorted_input_are_found_too(tmp_path):
    # sorted ids are checked neighbour by neighbour
    csv = f"{HEADER}A1,5,10,6,2,2\nA2,9,10,5,5,0\nA2,1,10,0,0,10\nA3,1,10,0,0,10\n".encode()
    result = evaluate(tmp_path, "a.csv", csv)
    assert result.stderr == ("warning: 1 account id appears on more than one row (A2): each "
                             "row is scored on its own; check the export\n")
    unique = f"{HEADER}A1,5,10,6,2,2\nA2,9,10,5,5,0\nA3,1,10,0,0,10\n".encode()
    assert evaluate(tmp_path, "b.csv", unique).stderr == ""


def test_many_repeated_account_ids_are_counted_and_the_first_ten_named(tmp_path):
    rows = "".join(f"B{k % 12},5,10,6,2,2\n" for k in range(30))
    result = evaluate(tmp_path, "a.csv", f"{HEADER}{rows}{CLEAN}".encode())
    assert result.exit_code == 0
    assert len(scored(result, 31)) == 31
    assert result.stderr == ("warning: 12 account ids appear on more than one row (B0, B1, B2, "
                             "B3, B4, B5, B6, B7, B8, B9, ...): each row is scored on its own; "
                             "check the export\n")


def test_duplicate_account_ids_cannot_enter_a_history(tmp_path):
    csv = f"{HEADER}A1,5,10,6,2,2\nA1,1,10,0,0,10\n".encode()
    history = tmp_path / "history.db"
    result = evaluate(tmp_path, "a.csv", csv, "--history", str(history))
    assert result.exit_code == 2
    assert "account ids must be unique to keep a history, and these appear more than once: " \
           "A1" in result.stderr


def test_an_account_without_an_id_is_an_error_and_stays_in_place(tmp_path):
    result = evaluate(tmp_path, "a.csv", f"{HEADER},5,10,6,2,2\n{CLEAN}".encode())
    assert result.exit_code == 1
    assert scored(result, 2) == [(None, "error", None, ["the account has no 'account_id'"]),
                                 ("A1", "ok", BOTH, [])]


def test_an_account_with_nothing_usable_gets_status_error_with_every_reason(tmp_path):
    result = evaluate(tmp_path, "a.csv", f"{HEADER}A1,x,10,-1,2,2\n{CLEAN}".encode())
    assert result.exit_code == 1
    assert scored(result, 2) == [
        ("A1", "error", None, ["field 'active': 'x' is not a number",
                               "field 'p': '-1' is not a valid count (a number, 0 or more)",
                               NO_SCORE]),
        ("A1", "ok", BOTH, [])]
    assert "1 of 2 accounts could not be scored (status: error)" in result.stderr


@pytest.mark.parametrize("name,content", [
    ("a.csv", b""), ("a.csv", HEADER.encode()), ("a.json", b"[]"), ("a.json", b""),
    ("a.jsonl", b""), ("a.jsonl", b"\n\n"), ("a.tsv", b""),
])
def test_an_empty_file_gives_empty_results(tmp_path, name, content):
    result = evaluate(tmp_path, name, content)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []


def test_an_empty_parquet_file_gives_empty_results(tmp_path):
    parquet = io.BytesIO()
    pl.DataFrame(schema={"account_id": pl.String, "active": pl.Float64}).write_parquet(parquet)
    result = evaluate(tmp_path, "a.parquet", parquet.getvalue())
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []


@pytest.mark.parametrize("name,content,message", [
    ("a.jsonl", b'{"account_id": "A1", "active": 5}\n{"account_id": "A2", "act',
     "a.jsonl:2:22: not valid JSON: Unterminated string starting at"),
    ("a.json", b'[{"account_id": "A1", "active": 5}, {"account_id": "A2", "active": 9',
     "a.json:1:69: not valid JSON: Expecting ',' delimiter"),
    ("a.csv", f'{HEADER}{CLEAN}A2,"9,10,5,5'.encode(),
     "a.csv: not a readable CSV file: could not parse `\"9,10,5,5` as dtype `str` at column "
     "'active' (column number 2)"),
])
def test_a_truncated_last_line_that_cannot_be_read_refuses_the_file(tmp_path, name, content,
                                                                     message):
    result = evaluate(tmp_path, name, content, "-o", str(tmp_path / "out.json"))
    assert result.exit_code == 2
    assert result.stderr == f"error: {tmp_path / message}\n"
    assert not (tmp_path / "out.json").exists()


@pytest.mark.parametrize("content,line,fields", [
    (f"{HEADER}{CLEAN}A2,9,10,5,5", 3, 5),  # cut between two fields
    (f"{HEADER}{CLEAN}A2,9,1", 3, 3),  # cut inside a number: 10 seats would read as 1
    (f'{HEADER}{CLEAN}A2,"nine\nor ten",1', 3, 3),  # a quoted value spanning lines, then cut
])
def test_a_csv_file_cut_in_the_middle_of_its_last_row_is_refused(tmp_path, content, line,
                                                                  fields):
    result = evaluate(tmp_path, "a.csv", content.encode(), "-o", str(tmp_path / "out.json"))
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {tmp_path / 'a.csv'}:{line}: the file ends in the middle of a row ({fields} of "
        "the header's 6 fields and no line break): it looks cut off, so accounts may be missing "
        "and the last value may be cut short; export the file again\n")
    assert not (tmp_path / "out.json").exists()


@pytest.mark.parametrize("last", ["A2,9,10,5,5,0", "A2,9,10,5,5,\"0\"", "A2,9,10,5,5,"])
def test_a_csv_file_without_a_final_line_break_is_read_whole(tmp_path, last):
    result = evaluate(tmp_path, "a.csv", f"{HEADER}{CLEAN}{last}".encode())
    # A2: 9 of 10 seats (90) and NPS 100 x (5 - 0) / 10 = 50, so 75 (blank detractors: usage)
    expected = 90.0 if last.endswith(",") else 82.5
    assert scored(result, 2) == [("A1", "ok", BOTH, []), ("A2", "ok", expected, [])]


def test_a_csv_row_cut_between_fields_inside_the_file_lacks_those_fields(tmp_path):
    result = evaluate(tmp_path, "a.csv", f"{HEADER}A2,9,10,5,5\n{CLEAN}".encode())
    # A2's detractors are cut off: no NPS (not 0 detractors), usage alone
    assert scored(result, 2) == [("A2", "ok", 90.0, []), ("A1", "ok", BOTH, [])]


def test_mixed_types_in_a_json_field_are_read_as_text_and_each_bad_value_named(tmp_path):
    rows = [{"account_id": "A1", "active": 5, "seats": 10, "p": 6, "n": 2, "d": 2},
            {"account_id": "A2", "active": "five", "seats": True, "p": [1], "n": 2, "d": 2},
            {"account_id": 3, "active": {"v": 1}, "seats": None, "p": "6", "n": 2, "d": 2},
            {"account_id": "A4", "active": "5", "seats": 10.0, "p": 6, "n": 2, "d": 2}]
    result = evaluate(tmp_path, "a.json", json.dumps(rows).encode())
    assert result.exit_code == 1
    assert scored(result, 4) == [
        ("A1", "ok", BOTH, []),
        ("A2", "error", None, ["field 'active': 'five' is not a number",
                               "field 'seats': 'true' is not a number",
                               "field 'p': '[1]' is not a valid count (a number, 0 or more)",
                               NO_SCORE]),
        ("3", "ok", NPS_ONLY, ["field 'active': '{\"v\": 1}' is not a number"]),
        ("A4", "ok", BOTH, [])]


def test_columns_of_other_types_are_named_and_decimals_are_numbers(tmp_path):
    """Parquet files and databases give typed columns: a type that is not what a field is read
    as leaves the value out, named; decimals are numbers."""
    rs = USAGE_AND_NPS.replace("tiers:", "actions:\n  - {id: gold, when: \"plan == 'gold'\", "
                                         "points: 10}\n  - {id: late, when: late, points: -10}\ntiers:")
    (tmp_path / "rs.yaml").write_text(rs)
    frame = pl.DataFrame({
        "account_id": ["A1", "A2"],
        "active": pl.Series([Decimal("5.00"), Decimal("9.00")], dtype=pl.Decimal(10, 2)),
        "seats": [dt.date(2024, 1, 1), None],
        "p": [6, 6], "n": [2, 2], "d": [2, 2],
        "plan": [["gold"], None],
        "late": pl.Series([Decimal("0"), Decimal("1")], dtype=pl.Decimal(10, 2)),
    })
    frame.write_parquet(tmp_path / "a.parquet")
    result = CliRunner().invoke(main, ["evaluate", str(tmp_path / "rs.yaml"),
                                       str(tmp_path / "a.parquet"), "-f", "json"])
    assert result.exit_code == 0, result.output
    # usage has no value (seats is a date, then missing): NPS alone, 70; A2 is late: 60
    assert scored(result, 2) == [
        ("A1", "ok", NPS_ONLY, ["field 'seats' holds Date, not numbers",
                                "field 'plan' holds List(String), not text"]),
        ("A2", "ok", NPS_ONLY - 10, [])]


def test_account_ids_that_are_neither_text_nor_numbers_refuse_the_file(tmp_path):
    frame = pl.DataFrame({"account_id": [b"\x01", b"\x02"], "active": [5, 9], "seats": [10, 10]})
    parquet = io.BytesIO()
    frame.write_parquet(parquet)
    result = evaluate(tmp_path, "a.parquet", parquet.getvalue())
    assert result.exit_code == 2
    assert result.stderr == ("error: the accounts' 'account_id' (their ids) holds Binary: an "
                             "account id is text or a number\n")


CORRUPT_PARQUET = base64.b64decode(
    "UEFSMRUEFRQVFEwVBBUAAAABAAAAYQEAAABiFQAVEhUSLBUEFRAVBhUGAAACAAAABAEBAwIVDBk1AAYQGRgK"
    "YWNjb3VudF9pZBUAFgQWYhZiJjYmCAAVABUsFSwsFQQVexUGFQYAAAIAAAAEAQAAAAAAAPA/AAAAAAAAAEAV"
    "ChklAAYZGAF4FQAWBBZOFk4mrAEAGRwWNhU0FgAAABkcFqwBFU4WAAAAFQIZPEgEcm9vdBUEABUMJQIYCmFj"
    "Y291bnRfaWQlAEwcAAAAFQolAhgBeAAWBBkcGSwmmAEcFQwZNQAGEBkYCmFjY291bnRfaWQVABYEFmIWYiY2"
    "JggAFqYCFRQAJvoBHBUKGSUABhkYAXgVABYEFk4WTiasAQAWugIVFgAWsAEWBCYIFrABFAAAGRwYDEFSUk9X"
    "OnNjaGVtYRjkAS8vLy8vNk1BQUFBRUFBQUE4di8vL3hRQUFBQUVBQUVBQUFBS0FBc0FDQUFLQUFRQStQLy8v"
    "d3dBQUFBSUFBZ0FBQUFFQUFJQUFBQTBBQUFBQkFBQUFNRC8vLzhnQUFBQUVBQUFBQWdBQUFBQkF3QUFBQUFB"
    "QVByLy8vOENBQVlBQmdBRUFBRUFBQUI0QUFBQTdQLy8veXdBQUFBZ0FBQUFHQUFBQUFFVUFBQVFBQklBQkFB"
    "UUFCRUFDQUFBQUF3QUFBQUFBUHovLy84RUFBUUFDZ0FBQUdGalkyOTFiblJmYVdRQQAYTlBvbGFycyAocHl0"
    "aG9uKSB2ZXJzaW9uIDIuMS4wIChidWlsZCA3ZjkwMmJkM2ZmZDI3ZmY4MmQxNDI3OGEwOWEyOTVmZjJmN2Fl"
    "ZDkyKRksHAAAHAAAANsBAABQQVIx"
)
"""A Parquet file with damaged bytes on which the Parquet reader panics."""


def test_a_corrupt_parquet_file_is_refused_not_a_crash(tmp_path):
    # its column x is the corrupt one: a ruleset reading x reads it (the columns a ruleset
    # does not read are not read at all)
    (tmp_path / "rs.yaml").write_text(USAGE_AND_NPS.replace(
        "params: {numerator: active, denominator: seats}",
        "params: {numerator: x, denominator: x}"))
    (tmp_path / "a.parquet").write_bytes(CORRUPT_PARQUET)
    out = tmp_path / "out.json"
    done = subprocess.run(  # a fresh process: a crash of the reader cannot take pytest down
        [str(Path(sys.executable).with_name("healthcore")), "evaluate", str(tmp_path / "rs.yaml"),
         str(tmp_path / "a.parquet"), "-o", str(out)], capture_output=True, text=True,
        env={**os.environ, "RUST_BACKTRACE": "0"}, timeout=120)
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].startswith(
        f"error: {tmp_path / 'a.parquet'}: not a readable Parquet file: ")
    assert not out.exists()


# ------------------------------------------------------------------ hostile account files

BIG = "1" + "0" * 400  # beyond the largest float
HUGE = "1" + "0" * 4400  # more digits than Python converts to an integer
SHOWN = "'1" + "0" * 59 + "'"  # a value is shown by its first 60 characters


def test_json_integers_no_number_type_holds_keep_their_digits(tmp_path):
    content = ('[{"account_id": 12345678901234567891, "active": ' + BIG + ', "seats": 10, '
               '"p": 6, "n": 2, "d": 2},\n'
               ' {"account_id": 12345678901234567892, "active": 5, "seats": ' + HUGE + ', '
               '"p": 6, "n": 2, "d": 2}]').encode()
    result = evaluate(tmp_path, "a.json", content)
    assert result.exit_code == 0
    assert result.stderr == ""  # two distinct ids, not one float twice
    assert scored(result, 2) == [
        ("12345678901234567891", "ok", NPS_ONLY, [f"field 'active': {SHOWN} is not a number"]),
        ("12345678901234567892", "ok", NPS_ONLY, [f"field 'seats': {SHOWN} is not a number"])]


def test_json_integers_mixed_with_decimals_keep_their_digits(tmp_path):
    rows = [{"account_id": 2**53 + 1, "active": 5}, {"account_id": 2**53, "active": 5},
            {"account_id": 1.5, "active": 5}]
    result = evaluate(tmp_path, "a.json", json.dumps(
        [{**row, "seats": 10, "p": 6, "n": 2, "d": 2} for row in rows]).encode())
    assert result.exit_code == 0 and "appears on more than one row" not in result.stderr
    assert [row[:3] for row in scored(result, 3)] == [
        ("9007199254740993", "ok", BOTH), ("9007199254740992", "ok", BOTH), ("1.5", "ok", BOTH)]


def test_json_nested_too_deeply_is_refused(tmp_path):
    content = b'[{"account_id": "A1", "active": ' + b"[" * 100_000 + b"]" * 100_000 + b"}]"
    result = evaluate(tmp_path, "a.json", content)
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {tmp_path / 'a.json'}: not readable: lists or objects are nested too deeply "
        "in it (hundreds of levels); an account's fields hold numbers, text, true/false or "
        "lists of them\n")


@pytest.mark.parametrize("name,content,where", [
    ("a.json", b'[{"account_id": "A1"}, {"account_id": "B\\ud800", "active": 5}]',
     "account 2, field 'account_id': the escape \\ud800"),
    ("a.jsonl", b'{"account_id": "A1"}\n{"account_id": "A2", "act\\udc00": ["x\\udc00"]}\n',
     "account 2, field 'act\\udc00': the escape \\udc00"),
])
def test_half_of_a_utf16_pair_in_json_text_is_refused(tmp_path, name, content, where):
    result = evaluate(tmp_path, name, content)
    assert result.exit_code == 2
    assert result.stderr == (f"error: {tmp_path / name}: {where} is half of a UTF-16 pair, "
                             "not a character; correct the value in the export\n")


def test_json_lists_of_different_shapes_are_text_named_on_their_accounts(tmp_path):
    rows = [{"account_id": "A1", "active": [[1, 2], [3]]},
            {"account_id": "A2", "active": [[1], "a"]}, {"account_id": "A3", "active": None}]
    content = json.dumps([{**row, "seats": 10, "p": 6, "n": 2, "d": 2} for row in rows])
    result = evaluate(tmp_path, "a.json", content.encode())
    assert result.exit_code == 0
    assert scored(result, 3) == [
        ("A1", "ok", NPS_ONLY, ["field 'active': '[[1, 2], [3]]' is not a number"]),
        ("A2", "ok", NPS_ONLY, ["field 'active': '[[1], \"a\"]' is not a number"]),
        ("A3", "ok", NPS_ONLY, [])]


WITH_LATE = USAGE_AND_NPS.replace("tiers:", "actions:\n  - {id: late, when: late, points: -10}\n"
                                            "tiers:")


def test_true_and_false_are_not_numbers_but_are_true_false_values(tmp_path):
    """In JSON and in Parquet's boolean columns: a count of true is not one answer."""
    (tmp_path / "rs.yaml").write_text(WITH_LATE)
    rows = [{"account_id": "A1", "active": True, "seats": 10, "p": 6, "n": 2, "d": 2,
             "late": True},
            {"account_id": "A2", "active": 5, "seats": 10, "p": False, "n": 2, "d": 2,
             "late": False}]
    (tmp_path / "a.json").write_text(json.dumps(rows))
    pl.DataFrame({"account_id": ["A1", "A2"], "active": [True, False], "seats": [10, 10],
                  "p": [6, 6], "n": [2, 2], "d": [2, 2], "late": [True, False]}
                 ).write_parquet(tmp_path / "a.parquet")
    as_json, as_parquet = (CliRunner().invoke(main, ["evaluate", str(tmp_path / "rs.yaml"),
                                                     str(tmp_path / name), "-f", "json"])
                           for name in ("a.json", "a.parquet"))
    # A1: NPS alone, 70, and late, -10; A2 in JSON: usage alone, 50; in Parquet: NPS, 70
    assert as_json.exit_code == 0
    assert scored(as_json, 2) == [
        ("A1", "ok", NPS_ONLY - 10, ["field 'active': 'true' is not a number"]),
        ("A2", "ok", USAGE_ONLY,
         ["field 'p': 'false' is not a valid count (a number, 0 or more)"])]
    assert as_parquet.exit_code == 0
    assert scored(as_parquet, 2) == [
        ("A1", "ok", NPS_ONLY - 10, ["field 'active': 'true' is not a number"]),
        ("A2", "ok", NPS_ONLY, ["field 'active': 'false' is not a number"])]


NO_ID = "the account has no 'account_id'"


def test_blank_nan_and_infinite_ids_are_accounts_without_an_id(tmp_path):
    csv = f'{HEADER}"  ",5,10,6,2,2\n{CLEAN}"  ",1,10,0,0,10\n'.encode()
    result = evaluate(tmp_path, "a.csv", csv)
    assert scored(result, 3) == [("  ", "error", None, [NO_ID]), ("A1", "ok", BOTH, []),
                                 ("  ", "error", None, [NO_ID])]
    # blank ids are no ids: not "repeated"
    assert result.stderr == "warning: 2 of 3 accounts could not be scored (status: error)\n"
    rows = [{"account_id": key, "active": 5, "seats": 10, "p": 6, "n": 2, "d": 2}
            for key in ["", " \t", "A1"]]
    assert scored(evaluate(tmp_path, "a.json", json.dumps(rows).encode()), 3) == [
        ("", "error", None, [NO_ID]), (" \t", "error", None, [NO_ID]), ("A1", "ok", BOTH, [])]
    parquet = io.BytesIO()
    pl.DataFrame([{**row, "account_id": key} for row, key in
                  zip(rows, [float("nan"), float("inf"), 1.5])]).write_parquet(parquet)
    result = evaluate(tmp_path, "a.parquet", parquet.getvalue())
    assert result.exit_code == 1
    assert scored(result, 3) == [(None, "error", None, [NO_ID]), (None, "error", None, [NO_ID]),
                                 (1.5, "ok", BOTH, [])]  # JSON has no NaN or infinity: null


def test_true_false_ids_refuse_the_file(tmp_path):
    parquet = io.BytesIO()
    pl.DataFrame({"account_id": [True, False], "active": [5, 9]}).write_parquet(parquet)
    result = evaluate(tmp_path, "a.parquet", parquet.getvalue())
    assert result.exit_code == 2
    assert result.stderr == ("error: the accounts' 'account_id' (their ids) holds Boolean: an "
                             "account id is text or a number\n")


@pytest.mark.parametrize("name,separator", [("a.csv", ","), ("a.tsv", "\t")])
def test_line_breaks_of_carriage_returns_alone_are_line_breaks(tmp_path, name, separator):
    content = f"{HEADER}A2,9,10,5,5,0\n{CLEAN}".replace("\n", "\r").replace(",", separator)
    assert scored(evaluate(tmp_path, name, content.encode()), 2) == [("A2", "ok", 82.5, []),
                                                                      ("A1", "ok", BOTH, [])]


@pytest.mark.parametrize("name,header,message", [
    ("a.csv", "account_id,active,seats,seats,p,n,d", "'seats' twice (columns 3 and 4)"),
    ("a.tsv", "account_id\taccount_id\tactive\tseats\tp\tn\td",
     "'account_id' twice (columns 1 and 2)"),
])
def test_a_header_naming_a_column_twice_refuses_the_file(tmp_path, name, header, message):
    separator = "\t" if name.endswith(".tsv") else ","
    row = separator.join(["A1", "B1", "5", "10", "6", "2", "2"])
    result = evaluate(tmp_path, name, f"{header}\n{row}\n".encode())
    assert result.exit_code == 2
    assert result.stderr == (f"error: {tmp_path / name}: the header names {message}; give "
                             "each column its own name\n")


def test_blank_lines_and_rows_of_separators_are_not_accounts(tmp_path):
    csv = f"{HEADER}\nA2,9,10,5,5,0\n\n,,,,,\n   \n\r\n{CLEAN},,,,,\n".encode()
    result = evaluate(tmp_path, "a.csv", csv)
    assert result.exit_code == 0
    assert scored(result, 2) == [("A2", "ok", 82.5, []), ("A1", "ok", BOTH, [])]


def test_jsonl_lines_end_in_line_feeds_only(tmp_path):
    rows = [{"account_id": f"A\u2028{n}\x85", "active": 5, "seats": 10, "p": 6, "n": 2, "d": 2}
            for n in (1, 2)]
    content = "\n".join(json.dumps(row, ensure_ascii=False) for row in rows).encode()
    assert scored(evaluate(tmp_path, "a.jsonl", content), 2) == [
        ("A\u20281\x85", "ok", BOTH, []), ("A\u20282\x85", "ok", BOTH, [])]
    result = evaluate(tmp_path, "a.jsonl", b'{"account_id": "A1"}\n{"account_id": "A\x0c2"}\n')
    assert result.exit_code == 2
    assert result.stderr == (f"error: {tmp_path / 'a.jsonl'}:2:18: not valid JSON: Invalid "
                             "control character at\n")


@pytest.mark.parametrize("name,content,message", [
    ("a.json", b'[{"account_id": "A1"}, {"account_id": "A2", "active": 90, "active": "n/a"}]',
     ": account 2 gives the key 'active' twice"),
    ("a.json", b'[{"account_id": "A1", "plan": {"tier": "gold", "tier": "free"}}]',
     ": account 1 gives the key 'tier' twice in its field 'plan'"),
    ("a.jsonl", b'{"account_id": "A1"}\n\n{"account_id": "A2", "account_id": "A3"}\n',
     ":3: account 2 gives the key 'account_id' twice"),
])
def test_a_key_given_twice_in_a_json_account_refuses_the_file(tmp_path, name, content,
                                                              message):
    result = evaluate(tmp_path, name, content)
    assert result.exit_code == 2
    assert result.stderr == (f"error: {tmp_path / name}{message}, so it means two "
                             "things; keep one of them\n")


@pytest.mark.parametrize("last", ["A2,<200 KB>", "A2,9\r1"])
def test_any_last_row_can_be_found_cut_off(tmp_path, last):
    last = last.replace("<200 KB>", "x" * 200_000)
    result = evaluate(tmp_path, "a.csv", f"{HEADER}{CLEAN}{last}".encode())
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {tmp_path / 'a.csv'}:3: the file ends in the "
                                    "middle of a row (2 of the header's 6 fields")


def test_a_header_with_a_value_over_128_kb_is_refused(tmp_path):
    result = evaluate(tmp_path, "a.csv", f'account_id,p,p,"{"x" * 200_000}"\nA1,1,2,3\n'.encode())
    assert result.exit_code == 2
    assert result.stderr == (f"error: {tmp_path / 'a.csv'}:1: the header holds a value longer "
                             "than 128 KB (a quote left open?); check the file\n")
