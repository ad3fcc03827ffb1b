"""The score history (``evaluate --history``, ``healthcore history``, healthcore.history) on
real databases: a SQLite file and the PostgreSQL server of HEALTHCORE_TEST_POSTGRES_URL (as in
test_database.py, these tests fail rather than skip without it). Each PostgreSQL test works in
a schema of its own (the URL's search_path), dropped at the end.
"""

from __future__ import annotations

import datetime
import json
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from helpers import WRITER

from healthcore import history
from healthcore.history import migrations
from healthcore.history.dates import check_not_future
from healthcore.history.migrations import MIGRATIONS
from healthcore.history.tables import RUNS as RUNS_TABLE
from healthcore.cli.main import main
from healthcore.errors import InputError
from healthcore.ruleset import load_ruleset

RULESET = """\
healthcore: 1
name: usage-watch
account_id: account_id
indicators:
  - id: usage
    metric: field
    params: {field: usage}
    normalize: {linear: {worst: 0, best: 100}}
    weight: 3
  - id: support
    metric: field
    params: {field: tickets}
    normalize: {linear: {worst: 10, best: 0}}
    weight: 1
tiers:
  - {name: healthy, min: 70, color: green}
  - {name: at_risk, min: 40, color: yellow}
  - {name: unhealthy, min: 0, color: red}
"""

# usage falls by 20 every run: the score falls by exactly 3/4 x 20 = 15
RUNS = {
    "2024-01-01": "account_id,usage,tickets\nA,90,0\nB,80,0\n",
    "2024-02-01": "account_id,usage,tickets\nA,70,0\nB,60,0\nC,100,0\n",
    "2024-03-01": "account_id,usage,tickets\nA,50,0\nB,40,0\nC,100,0\n",
}


# ------------------------------------------------------------------------------ fixtures

@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    ruleset = tmp_path / "usage-watch.yaml"
    ruleset.write_text(RULESET, encoding="utf-8")
    found = {"ruleset": ruleset}
    for day, text in RUNS.items():
        found[day] = tmp_path / f"accounts-{day}.csv"
        found[day].write_text(text, encoding="utf-8")
    return found


def evaluate(files, target: str, day: str, *extra: str):
    result = CliRunner().invoke(main, ["evaluate", str(files["ruleset"]), str(files[day]),
                                       "--history", target, "--as-of", day, "-q", *extra])
    return result


def records(files, target: str, day: str) -> dict[str, dict]:
    result = evaluate(files, target, day, "-f", "json")
    assert result.exit_code == 0, result.output
    return {row["account_id"]: row for row in json.loads(result.stdout)}


def run_counts(target: str) -> dict[str, int]:
    with history.open(target) as store:
        return dict(store.runs().select("as_of", "accounts").iter_rows())


# ------------------------------------------------------------------------------ the trend

def test_three_dated_runs_give_exact_deltas(files, target):
    first = records(files, target, "2024-01-01")
    assert first["A"]["score"] == 92.5
    assert first["A"]["previous_score"] is None and first["A"]["score_delta"] is None
    second = records(files, target, "2024-02-01")
    assert (second["A"]["previous_score"], second["A"]["score"], second["A"]["score_delta"]
            ) == (92.5, 77.5, -15.0)
    assert (second["B"]["previous_tier"], second["B"]["tier"]) == ("healthy", "healthy")
    assert second["C"]["previous_score"] is None and second["C"]["previous_tier"] is None
    third = records(files, target, "2024-03-01")
    assert [third[a]["score_delta"] for a in "ABC"] == [-15.0, -15.0, 0.0]
    assert (third["B"]["previous_tier"], third["B"]["tier"]) == ("healthy", "at_risk")
    assert run_counts(target) == {"2024-01-01": 2, "2024-02-01": 3, "2024-03-01": 3}

    with history.open(target) as store:
        timeline = store.timeline("A")
        previous = store.previous("usage-watch", "2024-03-01")
    assert [(e.as_of, e.score, e.tier, e.delta) for e in timeline] == [
        ("2024-01-01", 92.5, "healthy", None), ("2024-02-01", 77.5, "healthy", -15.0),
        ("2024-03-01", 62.5, "at_risk", -15.0)]
    assert timeline[2].movers == [{"indicator": "usage", "previous": 70.0, "points": 50.0,
                                   "change": -20.0}]
    assert timeline[0].content_hash == load_ruleset(files["ruleset"]).content_hash
    assert previous.sort("account_id").select("account_id", "as_of", "score").rows() == [
        ("A", "2024-02-01", 77.5), ("B", "2024-02-01", 70.0), ("C", "2024-02-01", 100.0)]


def test_rerunning_a_date_replaces_that_run(files, target):
    records(files, target, "2024-01-01")
    records(files, target, "2024-02-01")
    files["2024-02-01"].write_text("account_id,usage,tickets\nA,10,0\n", encoding="utf-8")
    again = records(files, target, "2024-02-01")
    assert again["A"]["score_delta"] == -60.0  # still against 2024-01-01, not against itself
    assert run_counts(target) == {"2024-01-01": 2, "2024-02-01": 1}
    with history.open(target) as store:
        assert [e.score for e in store.timeline("A", "usage-watch")] == [92.5, 32.5]
        with pytest.raises(InputError, match="no history of account 'C'"):
            store.timeline("C")


def test_without_history_the_output_has_no_trend_columns(files):
    result = CliRunner().invoke(main, ["evaluate", str(files["ruleset"]),
                                       str(files["2024-01-01"]), "-f", "csv"])
    assert result.exit_code == 0
    assert "score_delta" not in result.stdout.splitlines()[0]


def test_trend_columns_follow_color_in_csv(files, sqlite_history):
    result = evaluate(files, sqlite_history, "2024-01-01", "-f", "csv")
    assert result.stdout.splitlines()[0].startswith(
        "account_id,status,score,tier,color,override,computed_score,computed_tier,"
        "previous_score,score_delta,previous_tier,usage.")


def test_the_python_api_matches_the_cli(files, sqlite_history):
    ruleset = load_ruleset(files["ruleset"])
    history.evaluate(ruleset, pl.read_csv(files["2024-01-01"]), sqlite_history, "2024-01-01")
    second = history.evaluate(ruleset, pl.read_csv(files["2024-02-01"]), sqlite_history,
                              "2024-02-01")
    assert second.trend and "score_delta" in second.frame.columns
    assert second.scores["score_delta"].to_list() == [-15.0, -15.0, None]
    assert second.to_records()[0]["previous_tier"] == "healthy"


# ------------------------------------------------------------------------------ the command

def test_history_command_text_and_json(files, target):
    for day in RUNS:
        records(files, target, day)
    runner = CliRunner()
    text = runner.invoke(main, ["history", "A", "--history", target])
    assert text.exit_code == 0, text.output
    lines = text.stdout.splitlines()
    assert lines[0] == "A (usage-watch): 3 runs  █▇▆"
    assert lines[3].split()[:4] == ["2024-02-01", "77.5", "healthy", "-15.0"]
    assert "usage -20.0 (90.0 -> 70.0)" in lines[3]
    assert lines[4].split()[:4] == ["2024-03-01", "62.5", "at_risk", "-15.0"]
    data = json.loads(runner.invoke(main, ["history", "B", "--history", target,
                                           "--ruleset", "usage-watch", "-f", "json"]).stdout)
    assert data["sparkline"] == "▇▆▅"
    assert [(r["as_of"], r["score"], r["delta"]) for r in data["runs"]] == [
        ("2024-01-01", 85.0, None), ("2024-02-01", 70.0, -15.0), ("2024-03-01", 55.0, -15.0)]


def test_history_command_errors_name_the_database_and_what_to_do(files, tmp_path):
    runner = CliRunner()
    missing = runner.invoke(main, ["history", "A", "--history", str(tmp_path / "none.db")])
    assert missing.exit_code == 2
    assert "no history at sqlite:///" in missing.stderr and "--history DB" in missing.stderr
    target = str(tmp_path / "h.db")
    records(files, target, "2024-01-01")
    typo = runner.invoke(main, ["history", "AA", "--history", target])
    assert typo.exit_code == 2 and "no history of account 'AA'" in typo.stderr
    wrong = runner.invoke(main, ["history", "A", "--history", target, "--ruleset", "usage"])
    assert wrong.exit_code == 2
    assert "no run of ruleset 'usage' (did you mean 'usage-watch'?)" in wrong.stderr


def test_errors_mask_the_password():
    result = CliRunner().invoke(main, ["history", "A", "--history",
                                       "postgresql://someone:secret@127.0.0.1:1/nothing"])
    assert result.exit_code == 2
    assert "secret" not in result.stderr and "someone:***@" in result.stderr
    assert "the database server is running" in result.stderr


def test_as_of_needs_history_and_a_date(files, sqlite_history):
    runner = CliRunner()
    alone = runner.invoke(main, ["evaluate", str(files["ruleset"]), str(files["2024-01-01"]),
                                 "--as-of", "2024-01-01"])
    assert alone.exit_code == 2 and "give --history DB too" in alone.stderr
    bad = runner.invoke(main, ["evaluate", str(files["ruleset"]), str(files["2024-01-01"]),
                               "--history", sqlite_history, "--as-of", "01/02/2024"])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.stderr


def test_duplicate_account_ids_are_not_recorded(files, sqlite_history):
    files["2024-01-01"].write_text("account_id,usage,tickets\nA,1,0\nA,2,0\n", encoding="utf-8")
    result = evaluate(files, sqlite_history, "2024-01-01", "-f", "json")
    assert result.exit_code == 2 and "appear more than once: A" in result.stderr
    assert run_counts(sqlite_history) == {}


def test_an_empty_export_is_refused_and_the_next_run_keeps_its_trend(files, target, tmp_path):
    records(files, target, "2024-01-01")
    records(files, target, "2024-02-01")
    files["2024-03-01"].write_text("account_id,usage,tickets\n", encoding="utf-8")
    output = tmp_path / "scores.csv"
    empty = evaluate(files, target, "2024-03-01", "-o", str(output))
    assert empty.exit_code == 2
    assert empty.stderr.endswith(
        ": no accounts to record: the accounts are empty; nothing was recorded (an empty "
        "export is usually a failed one: check it, then run again)\n")
    files["2024-03-01"].write_text("account_id,usage,tickets\n,50,0\n", encoding="utf-8")
    no_id = evaluate(files, target, "2024-03-01")
    assert no_id.exit_code == 2
    assert "no accounts to record: none of the 1 accounts has an id in field 'account_id'" \
        in no_id.stderr
    assert not output.exists()
    assert run_counts(target) == {"2024-01-01": 2, "2024-02-01": 3}
    files["2024-03-01"].write_text(RUNS["2024-03-01"], encoding="utf-8")
    third = records(files, target, "2024-03-01")
    assert [(third[a]["previous_score"], third[a]["score_delta"]) for a in "ABC"] == [
        (77.5, -15.0), (70.0, -15.0), (100.0, 0.0)]


def test_a_failing_to_db_output_leaves_the_history_as_it_was(files, target, tmp_path):
    not_a_database = tmp_path / "notes.db"
    not_a_database.write_text("meeting notes\n", encoding="utf-8")
    failed = evaluate(files, target, "2024-01-01", "--to-db", f"sqlite:///{not_a_database}",
                      "--to-table", "scores")
    assert failed.exit_code == 2
    assert (f"error: sqlite:///{not_a_database}: cannot create table 'scores': file is not a "
            "database; the table keeps its previous content") in failed.stderr
    assert run_counts(target) == {}
    table = tmp_path / "scores.db"
    fixed = evaluate(files, target, "2024-01-01", "--to-db", f"sqlite:///{table}",
                     "--to-table", "scores")
    assert fixed.exit_code == 0, fixed.output
    assert run_counts(target) == {"2024-01-01": 2}
    import sqlite3

    with sqlite3.connect(table) as connection:
        assert connection.execute("SELECT account_id, score FROM scores ORDER BY account_id"
                                  ).fetchall() == [("A", 92.5), ("B", 85.0)]


def test_previous_with_days_back_before_the_year_1(files, target):
    """A window reaching before 0001-01-01 holds no run: previous(..., N) is null, no crash."""
    text = RULESET + """actions:
  - id: fell
    when: "usage < previous(usage, 10)"
    points: -10
    reason: usage fell in 10 days
"""
    files["ruleset"].write_text(text, encoding="utf-8")
    for day, source in (("0001-01-01", "2024-01-01"), ("0001-01-05", "2024-02-01"),
                        ("0001-01-12", "2024-03-01")):
        files[day] = files[source]
    first = records(files, target, "0001-01-01")
    assert (first["A"]["score"], first["A"]["actions"]) == (92.5, [])
    # 4 days later the run of 10 days before does not exist: no action; usage 90 -> 70
    early = records(files, target, "0001-01-05")
    assert (early["A"]["score"], early["A"]["actions"], early["A"]["score_delta"]) == (
        77.5, [], -15.0)
    # 11 days after the first run: previous(usage, 10) reads it (usage 90 > 50)
    later = records(files, target, "0001-01-12")
    assert (later["A"]["score"], later["A"]["actions"]) == (52.5, ["fell"])


def test_a_future_as_of_is_refused(files, target):
    files["9999-12-31"] = files["2024-01-01"]
    future = evaluate(files, target, "9999-12-31")
    assert future.exit_code == 2
    assert "error: the as-of date 9999-12-31 is in the future (today is " in future.stderr
    assert future.stderr.endswith("a run is dated the day its accounts were exported, and a "
                                  "future one would pass for the latest run, before every "
                                  "real one; check the date\n")
    assert run_counts(target) == {}
    today = datetime.date(2024, 3, 31)
    check_not_future("2024-04-01", today)  # a day of margin for time zones
    with pytest.raises(InputError, match=r"the as-of date 2024-04-02 is in the future \(today "
                                         r"is 2024-03-31\)"):
        check_not_future("2024-04-02", today)
    assert evaluate(files, target, "9999-12-31", "--allow-future").exit_code == 0
    assert run_counts(target) == {"9999-12-31": 2}


def test_deleting_a_run_removes_its_scores_and_points(files, target):
    for day in RUNS:
        records(files, target, day)
    runner = CliRunner()
    deleted = runner.invoke(main, ["history", "--delete", "--as-of", "2024-02-01", "--history",
                                   target])
    assert deleted.exit_code == 0, deleted.output
    assert deleted.stdout == "deleted the run of usage-watch on 2024-02-01: 3 accounts, 0 alerts\n"
    assert run_counts(target) == {"2024-01-01": 2, "2024-03-01": 3}
    with history.open(target) as store, store._transaction("count", write=False) as connection:
        counts = [connection.exec_driver_sql(f"SELECT COUNT(*) FROM {table}").scalar()
                  for table in ("healthcore_scores", "healthcore_points")]
    assert counts == [5, 10]
    with history.open(target) as store:
        assert [(e.as_of, e.delta) for e in store.timeline("A")] == [
            ("2024-01-01", None), ("2024-03-01", -30.0)]
    again = runner.invoke(main, ["history", "--delete", "--as-of", "2024-02-01", "--history",
                                 target, "--ruleset", "usage-watch"])
    assert again.exit_code == 2
    assert again.stderr.endswith(": no run of ruleset 'usage-watch' on 2024-02-01; latest "
                                 "runs: usage-watch 2024-03-01, usage-watch 2024-01-01\n")
    json_out = runner.invoke(main, ["history", "--delete", "--as-of", "2024-03-01",
                                    "--history", target, "-f", "json"])
    assert json.loads(json_out.stdout) == {"deleted": {
        "ruleset": "usage-watch", "as_of": "2024-03-01", "accounts": 3, "alerts": 0}}
    for args, message in (
            (["--delete"], "--delete needs the date of the run to delete: --as-of YYYY-MM-DD"),
            (["A", "--delete", "--as-of", "2024-01-01"],
             "--delete deletes a whole run, not the history of one account: leave out 'A'"),
            (["A", "--as-of", "2024-01-01"], "--as-of goes with --delete"),
            ([], "give the ACCOUNT whose history to show, or --delete --as-of DATE")):
        result = runner.invoke(main, ["history", *args, "--history", target])
        assert result.exit_code == 2 and message in result.stderr, (args, result.output)
    assert run_counts(target) == {"2024-01-01": 2}


def test_report_trends_say_when_the_runs_have_no_accounts(target):
    from healthcore.report import tier_mix

    with history.open(target) as store, store._transaction("fill", write=True) as connection:
        connection.exec_driver_sql(
            "INSERT INTO healthcore_runs (ruleset, as_of, content_hash, recorded_at, accounts) "
            "VALUES ('usage-watch', '2024-01-01', 'x', '2024-01-01T00:00', 0)")
    with pytest.raises(InputError) as caught:
        tier_mix(target, "usage-watch")
    assert str(caught.value).endswith(
        "has 1 run of the ruleset 'usage-watch' (2024-01-01), none with accounts (empty "
        "accounts files were recorded): delete them (HistoryStore.delete_run), and record runs "
        "with evaluate(ruleset, accounts, history=DB)")


# ------------------------------------------------------------------------------ the schema

def test_schema_is_versioned_and_upgrades_apply_in_order(target, monkeypatch):
    with history.open(target) as store:
        assert store.version() == len(MIGRATIONS) == 3
    applied = []

    def v4(connection):
        applied.append(4)
        connection.exec_driver_sql(f"ALTER TABLE {RUNS_TABLE} ADD COLUMN note TEXT")

    def v5(connection):
        applied.append(5)
        connection.exec_driver_sql(f"UPDATE {RUNS_TABLE} SET note = 'v5'")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*MIGRATIONS, (4, "note", v4),
                                                   (5, "fill", v5)])
    with history.open(target) as store:
        assert store.version() == 5
    with history.open(target) as store:  # nothing applied twice
        assert store.version() == 5
    assert applied == [4, 5]

    def broken(connection):
        connection.exec_driver_sql(f"ALTER TABLE {RUNS_TABLE} ADD COLUMN other TEXT")
        connection.exec_driver_sql("SELECT no_such_column FROM healthcore_runs")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS,
                                                   (6, "broken", broken)])
    with pytest.raises(InputError, match="cannot create or upgrade the history tables"):
        history.open(target)
    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:5])
    with history.open(target) as store:  # the failed upgrade left version 5, and no column
        assert store.version() == 5
        with store._transaction("check", write=False) as connection:
            import sqlalchemy

            columns = {c["name"] for c in sqlalchemy.inspect(connection).get_columns(RUNS_TABLE)}
    assert "note" in columns and "other" not in columns


def test_a_version_1_history_is_upgraded_keeping_its_runs(target, files, monkeypatch):
    monkeypatch.setattr(migrations, "MIGRATIONS", MIGRATIONS[:1])
    with history.open(target) as store, store._transaction("fill", write=True) as connection:
        assert migrations.current_version(connection) == 1
        connection.exec_driver_sql(
            "INSERT INTO healthcore_runs (ruleset, as_of, content_hash, recorded_at, accounts) "
            "VALUES ('usage-watch', '2024-01-01', 'x', '2024-01-01T00:00', 1)")
        run = "(SELECT id FROM healthcore_runs)"
        connection.exec_driver_sql(f"INSERT INTO healthcore_scores VALUES "
                                   f"({run}, 'A', 'ok', 92.5, 'healthy', NULL)")
        connection.exec_driver_sql(f"INSERT INTO healthcore_points VALUES "
                                   f"({run}, 'A', 'usage', 90.0)")
    monkeypatch.setattr(migrations, "MIGRATIONS", MIGRATIONS)
    with history.open(target) as store:
        assert store.version() == 3
        entry, = store.timeline("A")
        assert (entry.score, entry.points, entry.override) == (92.5, {"usage": 90.0}, None)
    assert records(files, target, "2024-02-01")["A"]["previous_score"] == 92.5


def foreign_table(target: str, sql: str) -> None:
    with history.open(target, upgrade=False) as store, \
            store._transaction("create", write=True) as connection:
        for statement in sql.split(";"):
            connection.exec_driver_sql(statement)


def table_names(target: str) -> list[str]:
    import sqlalchemy

    with history.open(target, upgrade=False) as store, \
            store._transaction("list", write=False) as connection:
        return sorted(sqlalchemy.inspect(connection).get_table_names())


@pytest.mark.parametrize("sql, detail", [
    ("CREATE TABLE healthcore_runs (id INTEGER, foo TEXT)", "healthcore_runs that healthcore "
                                                            "did not create (columns id, foo)"),
    ("CREATE TABLE healthcore_schema_version (version TEXT, applied_at TEXT, description TEXT);"
     "INSERT INTO healthcore_schema_version VALUES ('abc', 'x', 'y')",
     "healthcore_schema_version that healthcore did not create (its version 'abc' is not a "
     "number)"),
    ("CREATE TABLE healthcore_schema_version (v INTEGER)",
     "healthcore_schema_version that healthcore did not create (columns v)"),
    ("CREATE TABLE healthcore_schema_version (version INTEGER, applied_at TEXT, "
     "description TEXT); INSERT INTO healthcore_schema_version VALUES (2, 'x', 'y');"
     "CREATE TABLE healthcore_runs (id INTEGER, foo TEXT)",
     "healthcore_runs that healthcore did not create (columns id, foo)"),
])
def test_tables_of_another_tool_are_refused_and_left_alone(target, files, sql, detail):
    foreign_table(target, sql)
    before = table_names(target)
    result = evaluate(files, target, "2024-01-01")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and "Traceback" not in result.output
    assert result.stderr.endswith(f" has a table {detail}: use another database, or another "
                                  "PostgreSQL schema, for the history; nothing was changed\n")
    assert table_names(target) == before
    shown = CliRunner().invoke(main, ["history", "A", "--history", target])
    assert shown.exit_code == 2 and detail in shown.stderr


def test_a_directory_or_another_file_is_not_taken_for_a_history(files, tmp_path):
    folder = tmp_path / "histories"
    folder.mkdir()
    notes = tmp_path / "notes.db"
    notes.write_text("meeting notes\n", encoding="utf-8")
    runner = CliRunner()
    for command in (["evaluate", str(files["ruleset"]), str(files["2024-01-01"])],
                    ["overrides"], ["alerts"]):
        into_folder = runner.invoke(main, [*command, "--history", str(folder)])
        assert into_folder.exit_code == 2
        assert into_folder.stderr == (f"error: {folder} is a directory: give a file path "
                                      f"(SQLite), as in {folder / 'history.db'}, or a database "
                                      "URL\n"), command
        into_notes = runner.invoke(main, [*command, "--history", str(notes)])
        assert into_notes.exit_code == 2
        assert into_notes.stderr == (f"error: {notes} is not a SQLite database (it does not "
                                     "begin with SQLite's header): give a new file name for "
                                     "the history, or the right file\n"), command
    assert notes.read_text(encoding="utf-8") == "meeting notes\n"
    assert list(folder.iterdir()) == []
    empty = tmp_path / "empty.db"
    empty.touch()
    assert evaluate(files, str(empty), "2024-01-01").exit_code == 0  # an empty file is fine


def test_a_newer_schema_is_refused(sqlite_history, monkeypatch):
    history.open(sqlite_history).close()
    monkeypatch.setattr(migrations, "MIGRATIONS", [])
    with pytest.raises(InputError, match="newer than this healthcore knows .*upgrade"):
        history.open(sqlite_history)


# ------------------------------------------------------------------------------ processes



def start_writer(tmp_path: Path, files, target: str, day: str, pause: float, name: str):
    script = tmp_path / "writer.py"
    script.write_text(WRITER, encoding="utf-8")
    flag = tmp_path / f"{name}.flag"
    process = subprocess.Popen(
        [sys.executable, str(script), str(flag), str(pause), "evaluate", str(files["ruleset"]),
         str(files[day]), "--history", target, "--as-of", day, "-q", "-f", "csv"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return process, flag


def wait_for(flag: Path, process, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not flag.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the writer never reached its commit"
        time.sleep(0.05)


def test_a_writer_killed_before_commit_leaves_the_previous_state(tmp_path, files, target):
    records(files, target, "2024-01-01")
    records(files, target, "2024-02-01")
    before = run_counts(target)
    files["2024-02-01"].write_text("account_id,usage,tickets\nA,0,0\n", encoding="utf-8")
    process, flag = start_writer(tmp_path, files, target, "2024-02-01", 60, "killed")
    wait_for(flag, process)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert run_counts(target) == before
    with history.open(target) as store:
        assert [e.score for e in store.timeline("A")] == [92.5, 77.5]
    assert records(files, target, "2024-03-01")["A"]["previous_score"] == 77.5


def test_sparkline():
    assert history.sparkline([0, 12.5, 50, 99.9, 100, None]) == "▁▂▅██ "


def test_plain_paths_become_sqlite_urls(tmp_path):
    assert history.database_url(str(tmp_path / "h.db")) == f"sqlite:///{tmp_path / 'h.db'}"
    assert history.database_url("postgresql://u@h/d") == "postgresql://u@h/d"


def test_evaluate_without_history_does_not_import_sqlalchemy(files):
    code = textwrap.dedent(f"""
        import sys
        from healthcore.cli.main import main
        try:
            main(["evaluate", {str(files['ruleset'])!r}, {str(files['2024-01-01'])!r},
                  "-f", "csv"])
        except SystemExit:
            pass
        print("sqlalchemy" in sys.modules)
    """)
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True)
    assert found.stdout.strip().splitlines()[-1] == "False"


def test_each_account_keeps_its_own_points_whatever_the_order_and_batches(files, target,
                                                                           monkeypatch):
    from healthcore.history import recording

    monkeypatch.setattr(recording, "POINTS_BATCH", 4)  # two accounts per batch of points
    ruleset = load_ruleset(files["ruleset"])
    accounts = pl.DataFrame({"account_id": ["E", "b", "A", "D", "c"],
                             "usage": [10, 20, None, 40, 50], "tickets": [1, 2, 3, None, 5]})
    results = history.evaluate(ruleset, accounts, target, "2024-01-01")
    expected = {row["account_id"]: row for row in results.scores.to_dicts()}
    with history.open(target) as store:
        for account, row in expected.items():
            [entry] = store.timeline(account, "usage-watch")
            assert entry.points == {"support": row["support.points"],
                                    "usage": row["usage.points"]}
            assert entry.score == row["score"]
