"""``healthcore evaluate --columns``: only the chosen output columns are written, in the order
given, with the hand-computed values of tests/helpers.py's HAND ruleset."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import polars as pl
import pytest

from helpers import ACCOUNTS_CSV, HAND, run_cli


@pytest.fixture
def hand(tmp_path: Path) -> list[str]:
    (tmp_path / "hand.yaml").write_text(HAND)
    (tmp_path / "accounts.csv").write_text(ACCOUNTS_CSV)
    return ["evaluate", str(tmp_path / "hand.yaml"), str(tmp_path / "accounts.csv")]


def test_score_and_tier_only_to_csv(hand):
    result = run_cli(*hand, "-f", "csv", "--columns", "account_id,score,tier")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ("account_id,score,tier\n"
                             "001,56.25,red\n"
                             "002,80.0,green\n"
                             "003,18.75,red\n")


def test_columns_come_in_the_order_given_and_each_once(hand):
    result = run_cli(*hand, "-f", "csv", "--columns", "tier, account_id,tier,usage.points,")
    assert result.stdout.splitlines() == ["tier,account_id,usage.points", "red,001,50.0",
                                          "green,002,90.0", "red,003,25.0"]


def test_an_indicator_stands_for_its_four_columns(hand):
    result = run_cli(*hand, "-f", "csv", "--columns", "account_id,indicators.nps")
    assert result.stdout.splitlines() == [
        "account_id,nps.value,nps.points,nps.weight,nps.contribution",
        "001,50.0,75.0,1.0,18.75", "002,,,1.0,", "003,-100.0,0.0,1.0,0.0"]


def test_nested_formats_keep_only_the_chosen_parts_of_each_indicator(hand):
    result = run_cli(*hand, "-f", "json", "--columns",
                     "account_id,usage.points,indicators.nps.contribution,errors")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == [
        {"account_id": "001", "indicators": {"usage": {"points": 50.0},
                                             "nps": {"contribution": 18.75}}, "errors": []},
        {"account_id": "002", "indicators": {"usage": {"points": 90.0},
                                             "nps": {"contribution": None}}, "errors": []},
        {"account_id": "003", "indicators": {"usage": {"points": 25.0},
                                             "nps": {"contribution": 0.0}}, "errors": []}]


def test_every_column_in_the_default_order_is_the_default_output(hand, tmp_path):
    every = ("account_id,status,score,tier,color,usage.value,usage.points,usage.weight,"
             "usage.contribution,nps,actions,reasons,errors")
    for fmt in ("csv", "json", "jsonl", "parquet"):
        chosen, default = tmp_path / f"chosen.{fmt}", tmp_path / f"default.{fmt}"
        assert run_cli(*hand, "-o", str(chosen), "--columns", every).exit_code == 0
        assert run_cli(*hand, "-o", str(default)).exit_code == 0
        if fmt == "parquet":
            assert pl.read_parquet(chosen).equals(pl.read_parquet(default))
        else:
            assert chosen.read_bytes() == default.read_bytes(), fmt


def test_parquet_output_of_chosen_columns(hand, tmp_path):
    target = tmp_path / "scores.parquet"
    assert run_cli(*hand, "-o", str(target), "--columns", "account_id,score").exit_code == 0
    assert pl.read_parquet(target).to_dict(as_series=False) == {
        "account_id": ["001", "002", "003"], "score": [56.25, 80.0, 18.75]}


def test_an_unknown_column_is_named_with_the_closest_one_and_nothing_is_written(hand, tmp_path):
    target = tmp_path / "scores.csv"
    result = run_cli(*hand, "-o", str(target), "--columns", "account_id,scroe")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: unknown output column 'scroe' (did you mean "
                                    "'score'?); the columns are account_id, status, score, ")
    assert "indicators.ID.value|points|weight|contribution" in result.stderr
    assert not target.exists()


def test_an_unknown_indicator_part_is_refused(hand):
    result = run_cli(*hand, "-f", "csv", "--columns", "usage.pionts")
    assert result.exit_code == 2
    assert "unknown output column 'usage.pionts' (did you mean 'usage.points'?)" in result.stderr


def test_the_trend_columns_need_a_history(hand):
    result = run_cli(*hand, "-f", "csv", "--columns", "account_id,previous_score")
    assert result.exit_code == 2
    assert result.stderr == ("error: the column 'previous_score' comes with a run recorded in a "
                             "history: give --history DB too, or leave the column out\n")


def test_an_empty_choice_is_refused(hand):
    result = run_cli(*hand, "-f", "csv", "--columns", " , ")
    assert result.exit_code == 2
    assert "choose at least one output column" in result.stderr


def test_the_text_table_has_its_own_columns(hand):
    result = run_cli(*hand, "--columns", "score")
    assert result.exit_code == 2
    assert "--columns chooses the columns of a file format or of --to-db" in result.stderr


def test_chosen_columns_go_into_the_database_table(hand, tmp_path):
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    result = run_cli(*hand, "--to-db", url, "--to-table", "health",
                     "--columns", "account_id,score,reasons")
    assert result.exit_code == 0, result.stderr
    with sqlite3.connect(tmp_path / "crm.db") as connection:
        rows = connection.execute("SELECT * FROM health ORDER BY account_id").fetchall()
        names = [column[1] for column in connection.execute("PRAGMA table_info(health)")]
    assert names == ["account_id", "score", "reasons"]
    assert [row[:2] for row in rows] == [("001", 56.25), ("002", 80.0), ("003", 18.75)]


def test_history_columns_with_a_history(hand, tmp_path):
    history = str(tmp_path / "history.db")
    chosen = "account_id,score,previous_score,score_delta,override,computed_score"
    first = run_cli(*hand, "--history", history, "--as-of", "2026-01-01", "-f", "csv",
                    "--columns", chosen)
    assert first.exit_code == 0, first.stderr
    assert first.stdout.splitlines() == [chosen, "001,56.25,,,,56.25", "002,80.0,,,,80.0",
                                         "003,18.75,,,,18.75"]
    second = run_cli(*hand, "--history", history, "--as-of", "2026-01-02", "-f", "csv",
                     "--columns", chosen)
    assert second.stdout.splitlines()[1:] == ["001,56.25,56.25,0.0,,56.25",
                                              "002,80.0,80.0,0.0,,80.0",
                                              "003,18.75,18.75,0.0,,18.75"]
