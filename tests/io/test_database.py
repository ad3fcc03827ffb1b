"""Accounts read from, and results written to, real databases: a SQLite file and a PostgreSQL
server.

The PostgreSQL tests need a server: .ci/run installs and starts one and exports its URL in
HEALTHCORE_TEST_POSTGRES_URL. Without that variable they fail (they are never skipped), with the
commands that start a server locally. The SQLite tests need nothing.
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import uuid
from collections import Counter
from pathlib import Path

import pytest

from helpers import REPO, SAAS
from helpers import run_cli as run

SAMPLE = REPO / "rulesets" / "saas-b2b.accounts.csv"

POSTGRES_ENV = "HEALTHCORE_TEST_POSTGRES_URL"
HOW_TO_START_POSTGRES = f"""\
{POSTGRES_ENV} is not set: these tests need a PostgreSQL server. Start one as .ci/run does:
  apt-get install -y postgresql && pg_ctlcluster $(ls /usr/lib/postgresql | sort -n | tail -1) main start
  su postgres -c "psql -c \\"CREATE ROLE healthcore LOGIN PASSWORD 'healthcore'\\""
  su postgres -c "createdb -O healthcore healthcore_test"
  export {POSTGRES_ENV}=postgresql://healthcore:healthcore@127.0.0.1:5432/healthcore_test"""


# ------------------------------------------------------------------------------ helpers

def sample_rows() -> tuple[list[str], list[list[object]]]:
    """The bundled sample accounts, typed as a database would hold them: a column whose cells
    are all integers (or all numbers) is numeric, any other column is text."""
    with open(SAMPLE, newline="", encoding="utf-8") as handle:
        header, *rows = list(csv.reader(handle))
    columns = list(zip(*rows))
    typed = []
    for cells in columns:
        present = [c for c in cells if c != ""]
        try:
            values = [None if c == "" else int(c) for c in cells]
            if any(str(v) != c for v, c in zip(values, cells) if v is not None):
                raise ValueError
        except ValueError:
            try:
                values = [None if c == "" else float(c) for c in cells]
            except ValueError:
                values = [None if c == "" else c for c in cells]
        typed.append(values if present else [None] * len(cells))
    return header, [list(row) for row in zip(*typed)]


def sql_type(values: list[object]) -> str:
    kinds = {type(v) for v in values if v is not None}
    if kinds <= {int}:
        return "BIGINT"
    if kinds <= {int, float}:
        return "DOUBLE PRECISION"
    return "TEXT"


class Database:
    """A real database with a DB-API connection for setting up and checking tables."""

    def __init__(self, url: str, connect, placeholder: str):
        self.url, self._connect, self._placeholder = url, connect, placeholder
        self.created: list[str] = []

    def name(self, base: str) -> str:
        """A table name of this test only (tests may share a PostgreSQL database)."""
        name = f"{base}_{uuid.uuid4().hex[:8]}"
        self.created += [name, f"{name}__healthcore_new"]
        return name

    def create(self, table: str, header: list[str], rows: list[list[object]]) -> None:
        columns = ", ".join(f'"{h}" {sql_type([r[i] for r in rows])}'
                            for i, h in enumerate(header))
        marks = ", ".join([self._placeholder] * len(header))
        with self._connect() as connection:
            connection.execute(f'CREATE TABLE "{table}" ({columns})')
            connection.cursor().executemany(f'INSERT INTO "{table}" VALUES ({marks})', rows)
            connection.commit()

    def rows(self, sql: str) -> tuple[list[str], list[tuple]]:
        with self._connect() as connection:
            cursor = connection.execute(sql)
            return [d[0] for d in cursor.description], cursor.fetchall()

    def tables(self) -> set[str]:
        return {row[0] for row in self.rows(self.table_list)[1]}

    def drop_created(self) -> None:
        with self._connect() as connection:
            for table in self.created:
                connection.execute(f'DROP TABLE IF EXISTS "{table}"')
            connection.commit()


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.fail(HOW_TO_START_POSTGRES, pytrace=False)
    return url


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Database:
    path = tmp_path / "crm.db"
    sqlite3.connect(path).close()
    database = Database(f"sqlite:///{path}", lambda: _closing(sqlite3.connect(path)), "?")
    database.table_list = "SELECT name FROM sqlite_master WHERE type = 'table'"
    return database


def _closing(connection):
    """sqlite3's context manager commits but does not close: close too."""
    class Closing:
        def __enter__(self):
            return connection

        def __exit__(self, *exc):
            connection.commit()
            connection.close()
    return Closing()


@pytest.fixture
def postgres_db(postgres_url: str):
    import psycopg

    database = Database(postgres_url, lambda: psycopg.connect(postgres_url), "%s")
    database.table_list = ("SELECT table_name FROM information_schema.tables "
                           "WHERE table_schema = current_schema()")
    yield database
    database.drop_created()


@pytest.fixture(params=["sqlite", "postgres"])
def db(request) -> Database:
    return request.getfixturevalue(f"{request.param}_db")


@pytest.fixture
def accounts_table(db: Database) -> str:
    header, rows = sample_rows()
    table = db.name("accounts")
    db.create(table, header, rows)
    return table


def json_of(*args: str) -> list[dict]:
    result = run("evaluate", SAAS, *args, "-f", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def from_csv() -> list[dict]:
    """The JSON output of the sample accounts read from their CSV file."""
    return json_of(str(SAMPLE))


def scores(records: list[dict]) -> dict[str, tuple]:
    return {r["account_id"]: (r["status"], r["score"], r["tier"]) for r in records}


# ------------------------------------------------------------------------------ reading

def test_the_sample_is_typed_like_a_database_table():
    header, rows = sample_rows()
    kinds = {h: sql_type([r[i] for r in rows]) for i, h in enumerate(header)}
    assert kinds["account_id"] == "TEXT" and "BIGINT" in kinds.values()
    assert "DOUBLE PRECISION" in kinds.values()


def test_a_table_scores_as_the_same_accounts_from_csv(db, accounts_table, from_csv):
    records = json_of("--db", db.url, "--table", accounts_table)
    assert [r["account_id"] for r in records] == [r["account_id"] for r in from_csv]
    assert scores(records) == scores(from_csv)
    assert records == from_csv  # indicators, actions, reasons and errors too


def test_a_query_scores_as_the_same_accounts_from_csv(db, accounts_table, from_csv):
    records = json_of("--db", db.url, "--query",
                      f'SELECT * FROM "{accounts_table}" WHERE account_id <> \'ACC-1001\'')
    expected = [r for r in from_csv if r["account_id"] != "ACC-1001"]
    assert len(records) == len(from_csv) - 1
    assert scores(records) == scores(expected)


def test_tier_counts_are_those_of_the_csv(db, accounts_table, from_csv):
    result = run("evaluate", SAAS, "--db", db.url, "--table", accounts_table)
    assert result.exit_code == 0, result.stderr
    counts = Counter(r["tier"] for r in from_csv)
    summary = (f"{len(from_csv)} accounts: {counts['healthy']} healthy, "
               f"{counts['at_risk']} at_risk, {counts['unhealthy']} unhealthy")
    assert summary in result.stdout


# ------------------------------------------------------------------------------ writing

def test_results_written_to_a_table_equal_the_json_output(db, accounts_table, from_csv):
    target = db.name("health_scores")
    result = run("evaluate", SAAS, "--db", db.url, "--table", accounts_table,
                 "--to-db", db.url, "--to-table", target)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""  # the database is the output
    columns, rows = db.rows(f'SELECT * FROM "{target}"')
    with open(_csv_output(from_csv), encoding="utf-8") as handle:
        assert columns == next(csv.reader(handle))  # the flat columns of the CSV output
    written = [dict(zip(columns, row)) for row in rows]
    assert {w["account_id"]: (w["status"], w["score"], w["tier"]) for w in written} \
        == scores(from_csv)
    assert Counter(w["tier"] for w in written) == Counter(r["tier"] for r in from_csv)
    by_id = {r["account_id"]: r for r in from_csv}
    for row in written:
        record = by_id[row["account_id"]]
        assert row["reasons"] == "; ".join(record["reasons"])
        assert row["actions"] == "; ".join(record["actions"])
        assert row["errors"] == "; ".join(record["errors"])
        for indicator, fields in record["indicators"].items():
            for field, value in fields.items():
                assert row[f"{indicator}.{field}"] == value
    assert f"{target}__healthcore_new" not in db.tables()


def _csv_output(from_csv) -> Path:
    """The CSV output of the sample (its header is the flat column list)."""
    import tempfile

    path = Path(tempfile.mkdtemp()) / "scores.csv"
    result = run("evaluate", SAAS, str(SAMPLE), "-o", str(path))
    assert result.exit_code == 0, result.stderr
    return path


def test_a_second_run_replaces_the_content_and_can_also_write_a_file(db, accounts_table,
                                                                      tmp_path):
    target = db.name("health_scores")
    assert run("evaluate", SAAS, str(SAMPLE), "--to-db", db.url,
               "--to-table", target).exit_code == 0
    out = tmp_path / "some.json"
    result = run("evaluate", SAAS, "--db", db.url, "--query",
                 f"SELECT * FROM \"{accounts_table}\" WHERE account_id IN ('ACC-1002', "
                 "'ACC-1003')", "--to-db", db.url, "--to-table", target, "-o", str(out))
    assert result.exit_code == 0, result.stderr
    _, rows = db.rows(f'SELECT account_id FROM "{target}" ORDER BY account_id')
    assert rows == [("ACC-1002",), ("ACC-1003",)]
    assert [r["account_id"] for r in json.loads(out.read_text())] == ["ACC-1002", "ACC-1003"]


def test_a_failed_write_leaves_the_previous_content(db, accounts_table, monkeypatch):
    from healthcore.io import database

    target = db.name("health_scores")
    assert run("evaluate", SAAS, str(SAMPLE), "--to-db", db.url,
               "--to-table", target).exit_code == 0
    before = db.rows(f'SELECT * FROM "{target}" ORDER BY account_id')
    real_insert = database._insert

    def failing_insert(connection, table, rows):
        real_insert(connection, table, rows)  # the rows are in the new table...
        connection.exec_driver_sql("SELECT * FROM no_such_table_at_all")  # ...then it fails

    monkeypatch.setattr(database, "_insert", failing_insert)
    result = run("evaluate", SAAS, "--db", db.url, "--query",
                 f"SELECT * FROM \"{accounts_table}\" WHERE account_id = 'ACC-1002'",
                 "--to-db", db.url, "--to-table", target)
    assert result.exit_code == 2
    assert f"cannot write the results into table '{target}'" in result.stderr
    assert "no_such_table_at_all" in result.stderr
    assert "keeps its previous content" in result.stderr
    assert db.rows(f'SELECT * FROM "{target}" ORDER BY account_id') == before
    assert f"{target}__healthcore_new" not in db.tables()  # the DDL was rolled back too


# ------------------------------------------------------------------------------ errors

def test_an_unknown_table_is_named_with_a_suggestion(db, accounts_table):
    result = run("evaluate", SAAS, "--db", db.url, "--table", accounts_table[:-1])
    assert result.exit_code == 2
    assert f"no table '{accounts_table[:-1]}'" in result.stderr
    assert f"did you mean '{accounts_table}'?" in result.stderr


def test_a_syntax_error_gives_the_database_message_and_the_query(db):
    result = run("evaluate", SAAS, "--db", db.url, "--query", "SELEC * FROM accounts")
    assert result.exit_code == 2
    assert "'SELEC * FROM accounts' failed" in result.stderr
    assert "syntax error" in result.stderr and "SELEC" in result.stderr
    assert "check the SQL" in result.stderr


def test_a_missing_sqlite_file_is_not_created(tmp_path):
    missing = tmp_path / "nothere.db"
    result = run("evaluate", SAAS, "--db", f"sqlite:///{missing}", "--table", "accounts")
    assert result.exit_code == 2
    assert "no SQLite file" in result.stderr and str(missing) in result.stderr
    assert not missing.exists()


def test_a_refused_connection_names_the_url_without_its_password():
    result = run("evaluate", SAAS, "--db", "postgresql://scorer:s3cret@127.0.0.1:1/crm",
                 "--table", "accounts")
    assert result.exit_code == 2
    assert "cannot connect to postgresql://scorer:***@127.0.0.1:1/crm" in result.stderr
    assert "refused" in result.stderr and "server is running" in result.stderr
    assert "s3cret" not in result.stderr


def test_a_bad_url_is_refused():
    result = run("evaluate", SAAS, "--db", "mysql://u:pw@host/db", "--table", "a")
    assert result.exit_code == 2
    assert "unsupported database 'mysql'" in result.stderr and "pw@" not in result.stderr


@pytest.mark.parametrize("args, message", [
    ([str(SAMPLE), "--db", "sqlite:///x.db", "--table", "a"], "not both"),
    ([], "give the accounts"),
    (["--db", "sqlite:///x.db"], "either --query SQL or --table NAME"),
    (["--db", "sqlite:///x.db", "--table", "a", "--query", "SELECT 1"], "either --query"),
    (["--table", "a"], "give --db URL too"),
    ([str(SAMPLE), "--to-db", "sqlite:///x.db"], "--to-table"),
    ([str(SAMPLE), "--to-table", "t"], "--to-db"),
    (["--db", "sqlite:///x.db", "--table", "a", "--delimiter", ";"], "--delimiter is for"),
])
def test_the_sources_and_targets_must_be_complete(args, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("evaluate", SAAS, *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert not (tmp_path / "x.db").exists()


def test_without_the_postgres_variable_the_message_says_how_to_start_a_server():
    assert "pg_ctlcluster" in HOW_TO_START_POSTGRES and POSTGRES_ENV in HOW_TO_START_POSTGRES
