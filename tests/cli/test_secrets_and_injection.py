"""Secrets, injection, identifiers, schema patterns and messages: no database password in any
message, no spreadsheet formula or markup from data, database names checked up front,
schema patterns that end where the text ends, and messages that say what to do."""

from __future__ import annotations

import healthcore
from functools import partial
from pathlib import Path

import pytest
from click.testing import CliRunner

from healthcore.cli.main import main
import helpers

ALERTING = """\
healthcore: 1
name: low-usage
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
  - {id: low, kind: indicator, indicator: usage, below: 30}
"""

ACCOUNTS = "account_id,usage\nA,10\nB,90\n"


def cli(*args: str, cwd: Path | None = None):
    """Run the healthcore command; ``returncode``, ``stdout`` and ``stderr`` as text."""
    with pytest.MonkeyPatch.context() as patch:
        if cwd is not None:
            patch.chdir(cwd)
        result = CliRunner().invoke(main, list(args))
    result.returncode = result.exit_code
    return result


def files(tmp_path: Path, ruleset: str = ALERTING, accounts: str = ACCOUNTS
          ) -> tuple[str, str]:
    ruleset_file = tmp_path / "ruleset.yaml"
    ruleset_file.write_text(ruleset, encoding="utf-8")
    accounts_file = tmp_path / "accounts.csv"
    accounts_file.write_text(accounts, encoding="utf-8")
    return str(ruleset_file), str(accounts_file)


# ------------------------------------------------------------------ 6. no password printed

SECRET = "S3cr3t-pw"
UNREACHABLE = {
    "userinfo": f"postgresql://scorer:{SECRET}@127.0.0.1:1/crm",
    "unencoded @": f"postgresql://scorer:p@{SECRET}@127.0.0.1:1/crm",
    "query parameter": f"postgresql://scorer@127.0.0.1:1/crm?password={SECRET}",
    "sslpassword parameter": f"postgresql://scorer@127.0.0.1:1/crm?sslpassword={SECRET}",
    "keyword/value": f"host=127.0.0.1 port=1 user=scorer password={SECRET} dbname=crm",
    "quoted keyword/value": f"host=127.0.0.1 password='{SECRET} x' dbname=crm",
}
COMMANDS = {
    "evaluate --db": lambda url, r, a: ["evaluate", r, "--db", url, "--table", "accounts"],
    "evaluate --to-db": lambda url, r, a: ["evaluate", r, a, "--to-db", url, "--to-table", "t"],
    "evaluate --history": lambda url, r, a: ["evaluate", r, a, "--history", url],
    "alerts": lambda url, r, a: ["alerts", "--history", url],
    "history": lambda url, r, a: ["history", "A", "--history", url],
    "overrides": lambda url, r, a: ["overrides", "--history", url],
    "override": lambda url, r, a: ["override", "A", "--history", url, "--tier", "healthy",
                                   "--reason", "checked"],
    "report --history": lambda url, r, a: ["report", r, a, "-o", "report.html",
                                           "--history", url],
}


@pytest.mark.parametrize("form", UNREACHABLE)
@pytest.mark.parametrize("command", COMMANDS)
def test_no_command_prints_the_password_of_a_database_url(form, command, tmp_path):
    ruleset, accounts = files(tmp_path)
    result = cli(*COMMANDS[command](UNREACHABLE[form], ruleset, accounts), cwd=tmp_path)
    assert result.returncode != 0, result.stdout
    assert SECRET not in result.stdout + result.stderr
    assert "***" in result.stderr, result.stderr


def real_with_query_password(url: str) -> str:
    """The test server's URL with its password moved from the user part to ``?password=``."""
    before, _, after = url.partition("://")
    userinfo, _, rest = after.rpartition("@")
    user, _, password = userinfo.partition(":")
    separator = "&" if "?" in rest else "?"
    return f"{before}://{user}@{rest}{separator}password={password}", password


@pytest.mark.parametrize("form", ["userinfo", "query parameter"])
def test_the_alerts_hint_and_the_listing_hide_the_password(form, postgres_history, tmp_path):
    ruleset, accounts = files(tmp_path)
    url = postgres_history
    password = url.partition("://")[2].rpartition("@")[0].partition(":")[2]
    if form == "query parameter":
        url, password = real_with_query_password(url)
    evaluated = cli("evaluate", ruleset, accounts, "--history", url, "-f", "csv")
    assert evaluated.returncode == 0, evaluated.stderr
    assert "1 alert raised (low x1): healthcore alerts --history " in evaluated.stderr
    shown = evaluated.stderr.split("--history ", 1)[1].split(" lists them")[0]
    assert "***" in shown and f":{password}@" not in shown and f"={password}" not in shown
    listed = cli("alerts", "--history", url, "-f", "json")
    assert listed.returncode == 0, listed.stderr
    assert '"account_id": "A"' in listed.stdout


def test_a_password_with_an_unencoded_at_sign_is_the_password():
    """``u:p@ss@host``: the password is ``p@ss``, the host ``host`` (not ``ss@host``, which the
    driver's message about an unknown host would show)."""
    from healthcore.io.database import parse_url

    parsed = parse_url(f"postgresql://scorer:p@{SECRET}@db.example:5432/crm")
    assert (parsed.password, parsed.host) == (f"p@{SECRET}", "db.example")


# ------------------------------------------------------------- 7. CSV/spreadsheet injection

FORMULAS = ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]
INJECTING = "account_id,usage\n" + "".join(
    f"\"{text.replace(chr(34), chr(34) * 2)}\",{usage}\n"
    for text, usage in zip(FORMULAS, range(10, 70, 10))) + "-5,-5\nplain,50\n"


def csv_rows(text: str) -> dict[str, dict[str, str]]:
    import csv
    import io

    return {row["account_id"]: row for row in csv.DictReader(io.StringIO(text, newline=""))}


@pytest.mark.parametrize("where", ["-o", "stdout"])
def test_text_cells_that_are_formulas_are_neutralised_in_csv(where, tmp_path):
    ruleset, accounts = files(tmp_path, accounts=INJECTING)
    out = tmp_path / "out.csv"
    result = cli("evaluate", ruleset, accounts, *(["-o", str(out)] if where == "-o" else
                                                 ["-f", "csv"]), "-q")
    assert result.returncode == 0, result.stderr
    rows = csv_rows(out.read_bytes().decode() if where == "-o" else result.stdout)
    assert sorted(rows) == sorted(["'" + text for text in FORMULAS] + ["-5", "plain"])
    assert rows["-5"]["usage.value"] == "-5.0"  # numbers stay numbers
    assert rows["'=HYPERLINK(\"http://x\")"]["usage.value"] == "10.0"


def test_csv_raw_writes_text_cells_as_they_are(tmp_path):
    ruleset, accounts = files(tmp_path, accounts=INJECTING)
    result = cli("evaluate", ruleset, accounts, "-f", "csv", "--csv-raw", "-q")
    assert result.returncode == 0, result.stderr
    assert sorted(csv_rows(result.stdout)) == sorted(FORMULAS + ["-5", "plain"])


def test_csv_raw_is_refused_with_another_format(tmp_path):
    ruleset, accounts = files(tmp_path)
    result = cli("evaluate", ruleset, accounts, "-f", "json", "--csv-raw")
    assert result.returncode == 2
    assert "error: --csv-raw is for the CSV output: give -f csv or -o FILE.csv too" in (
        result.stderr)


def test_the_python_api_neutralises_unless_csv_raw(tmp_path, builtin_registry):
    from healthcore.io.readers import read_accounts
    from healthcore.io.writers import write_file
    from healthcore.ruleset import load_ruleset

    ruleset, accounts = files(tmp_path, accounts=INJECTING)
    results = healthcore.score(load_ruleset(ruleset, registry=builtin_registry), read_accounts(accounts))
    write_file(results, "csv", tmp_path / "safe.csv")
    write_file(results, "csv", tmp_path / "raw.csv", csv_raw=True)
    assert "'@SUM(A1)" in csv_rows((tmp_path / "safe.csv").read_text(encoding="utf-8"))
    assert "@SUM(A1)" in csv_rows((tmp_path / "raw.csv").read_text(encoding="utf-8"))


# ------------------------------------------------------- 10. schema patterns, tiny weights

TINY = """\
healthcore: 1
name: tiny
indicators:
  - id: a
    metric: field
    params: {field: a}
    normalize: {linear: {worst: 0, best: 100}}
    weight: WEIGHT
  - id: b
    metric: field
    params: {field: b}
    normalize: {linear: {worst: 0, best: 100}}
    weight: 1
tiers:
  - {name: healthy, min: 70, color: green}
  - {name: at_risk, min: 0, color: red}
"""


problems = partial(helpers.problems, name="r.yaml")


@pytest.mark.parametrize("place, old, new, expected", [
    ("name", "name: tiny", 'name: "tiny\\n"', "r.yaml:2:7: name: 'tiny\\n' is not a valid name"),
    ("indicator id", "id: a\n", 'id: "a\\n"\n', "r.yaml:4:9: indicators[0].id: 'a\\n' is not "
                                                "a valid name"),
    ("tier name", "name: healthy", 'name: "healthy\\n"', "r.yaml:15:12: tiers[0].name: "
                                                        "'healthy\\n' is not a valid name"),
    ("color", "color: green", 'color: "#00ff00\\n"', "r.yaml:15:37: tiers[0].color: "
                                                     "'#00ff00\\n' is not a color"),
])
def test_a_trailing_newline_does_not_match_a_schema_pattern(place, old, new, expected,
                                                            builtin_registry):
    text = TINY.replace("WEIGHT", "1").replace(old, new, 1)
    assert any(p.startswith(expected) for p in problems(text, builtin_registry)), place


def test_every_schema_pattern_refuses_a_trailing_newline():
    import json
    import re

    from healthcore.ruleset.schema import ruleset_schema

    def patterns(node):
        if isinstance(node, dict):
            if isinstance(node.get("pattern"), str):
                yield node["pattern"]
            for value in node.values():
                yield from patterns(value)
        elif isinstance(node, list):
            for value in node:
                yield from patterns(value)

    found = list(patterns(ruleset_schema()))
    assert len(found) == 4, json.dumps(found)
    for pattern in found:
        example = {"#": "#00ff00"}.get(pattern[1], "a")
        assert re.search(pattern, example) and not re.search(pattern, example + "\n"), pattern


@pytest.mark.parametrize("weight", ["5e-324", "1e-7", "0.0000009"])
def test_a_positive_weight_too_small_for_an_exact_mean_is_refused(weight, builtin_registry):
    assert problems(TINY.replace("WEIGHT", weight), builtin_registry) == [
        f"r.yaml:8:13: indicators[0].weight: the weight {float(weight)!r} is too small for an "
        "exact weighted mean: give 0 (left out of the score) or at least 1e-06"]


@pytest.mark.parametrize("weight", ["0.000001", "1000000"])
def test_weights_at_the_bounds_score_exactly(weight, builtin_registry):
    import polars as pl

    from healthcore.ruleset import loads_ruleset

    text = TINY.replace("WEIGHT", weight).replace("weight: 1\n", f"weight: {weight}\n")
    ruleset = loads_ruleset(text, "r.yaml", registry=builtin_registry)
    scores = healthcore.score(ruleset, pl.DataFrame({"account_id": ["X", "Y"], "a": [50, 50],
                                         "b": [50, 50]})).frame["score"].to_list()
    assert scores == [50.0, 50.0]


# --------------------------------------------------------------------------- 15. messages

def test_too_many_indicators_says_how_many_and_the_limit_not_the_list(builtin_registry):
    from healthcore.ruleset.schema import ruleset_schema

    limit = ruleset_schema()["properties"]["indicators"]["maxItems"]
    indicator = """\
  - id: i{n}
    metric: field
    params: {{field: usage}}
    normalize: {{linear: {{worst: 0, best: 100}}}}
    weight: 1
"""
    text = TINY.split("indicators:\n")[0] + "indicators:\n" + "".join(
        indicator.format(n=n) for n in range(limit + 1)) + TINY.split("weight: 1\n")[1]
    found = problems(text, builtin_registry)
    assert found == [f"r.yaml:4:3: indicators: {limit + 1} indicators: at most {limit} are "
                     "allowed here"]


def test_a_csv_row_with_extra_fields_is_named_by_its_line(tmp_path):
    ruleset, accounts = files(tmp_path, accounts='account_id,usage\nA,10\n\n"B\nb",20\n'
                                                 'C,5,6\nD,7\n')
    result = cli("evaluate", ruleset, accounts)
    assert result.returncode == 2
    assert result.stderr == (f"error: {accounts}:6: 3 fields, but the header has 2: a value "
                             "holding the delimiter ',' must be quoted; check that row of the "
                             "export\n")


@pytest.mark.parametrize("args, message", [
    (["calibrate", "r.yaml", "a.csv", "--test-share", "0"],
     "error: Invalid value for '--test-share': 0.0 is not in the range 0<x<1."),
    (["evaluate"], "error: Missing argument 'RULESET'."),
    (["evaluate", "r.yaml", "a.csv", "--limit", "many"],
     "error: Invalid value for '--limit': 'many' is not a valid integer."),
    (["--bogus"], "error: No such option '--bogus'."),
    (["bogus"], "error: No such command 'bogus'."),
])
def test_usage_errors_say_error_as_every_other_error(args, message):
    result = cli(*args)
    assert result.returncode == 2
    assert result.stderr.endswith(f"\n\n{message}\n"), result.stderr
    assert "Error:" not in result.stderr
    assert result.stderr.startswith("Usage: ")


# -------------------------------------------------------------- 14. alerts: limit and order

SEVERITIES = ALERTING.replace(
    "  - {id: low, kind: indicator, indicator: usage, below: 30}\n",
    "  - {id: low, kind: indicator, indicator: usage, below: 30, severity: warning}\n"
    "  - {id: very_low, kind: indicator, indicator: usage, below: 15, severity: critical}\n")


@pytest.fixture
def alerted(tmp_path, sqlite_history) -> str:
    """A history whose latest run has six open alerts on four accounts."""
    ruleset, accounts = files(tmp_path, SEVERITIES,
                              "account_id,usage\nA,25\nB,12\nC,10\nD,28\nE,90\n")
    result = cli("evaluate", ruleset, accounts, "--history", sqlite_history, "--as-of",
                 "2024-01-01", "-q", "-f", "csv")
    assert result.returncode == 0, result.stderr
    return sqlite_history


def listed(history: str, *extra: str) -> tuple[list[tuple[str, str]], int]:
    import json

    result = cli("alerts", "--history", history, "-f", "json", *extra)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    return [(a["account_id"], a["alert"]) for a in found["alerts"]], found["not_shown"]


def test_alerts_are_grouped_by_account_most_severe_then_lowest_score_first(alerted):
    assert listed(alerted) == ([("C", "very_low"), ("C", "low"), ("B", "very_low"),
                                ("B", "low"), ("A", "low"), ("D", "low")], 0)


def test_json_honours_limit_in_accounts_and_says_how_many_are_not_shown(alerted):
    assert listed(alerted, "--limit", "3") == ([("C", "very_low"), ("C", "low"),
                                                ("B", "very_low"), ("B", "low"),
                                                ("A", "low")], 1)


def test_the_table_shows_limit_accounts_and_how_many_more_there_are(alerted):
    result = cli("alerts", "--history", alerted, "--limit", "2")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("6 open alerts on 4 accounts in low-usage on 2024-01-01")
    assert lines[-1] == ("2 more accounts (2 alerts) not shown: --limit N shows more, "
                         "--limit 0 all")
    accounts = [line.split()[1] for line in lines if line.strip().startswith("very_low ")]
    assert accounts == ["C", "B"]  # one row per account, its first alert on the first line
    assert result.stdout.count("very_low") == 2 and "  A  " not in result.stdout


def test_the_table_shows_100_accounts_by_default(tmp_path, sqlite_history):
    rows = "".join(f"ACC-{n:03d},{n % 20}\n" for n in range(150))
    ruleset, accounts = files(tmp_path, SEVERITIES, "account_id,usage\n" + rows)
    assert cli("evaluate", ruleset, accounts, "--history", sqlite_history, "-q", "-f",
               "csv").returncode == 0
    critical = sum(n % 20 < 15 for n in range(150))  # two alerts each, shown first
    hidden = 2 * (critical - 100) + (150 - critical)  # past the first 100: 2 or 1 alerts
    table = cli("alerts", "--history", sqlite_history)
    assert critical > 100 and table.stdout.splitlines()[-1] == (
        f"50 more accounts ({hidden} alerts) not shown: --limit N shows more, --limit 0 all")
    assert "not shown" not in cli("alerts", "--history", sqlite_history, "--limit",
                                  "0").stdout


# ------------------------------------------------------------- 9. database identifiers

def postgres_tables(url: str) -> list[str]:
    import sqlalchemy

    engine = sqlalchemy.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            return sqlalchemy.inspect(connection).get_table_names()
    finally:
        engine.dispose()


def test_a_table_name_too_long_for_postgresql_is_refused_before_anything(postgres_history,
                                                                           tmp_path):
    ruleset, accounts = files(tmp_path)
    name = "t" * 48  # with the staging suffix, 64 bytes
    result = cli("evaluate", ruleset, accounts, "--to-db", postgres_history, "--to-table", name)
    assert result.returncode == 2 and result.stdout == ""
    assert (f"the table name '{name}' is 48 bytes long; PostgreSQL names are at most 63 bytes, "
            f"and the results are first written into '{name}__healthcore_new': give a table "
            "name of at most 47 bytes") in result.stderr
    assert postgres_tables(postgres_history) == []
    assert cli("evaluate", ruleset, accounts, "--to-db", postgres_history, "--to-table",
               name[:-1]).returncode == 0
    assert postgres_tables(postgres_history) == [name[:-1]]


def test_indicator_ids_whose_columns_postgresql_would_cut_are_refused(postgres_history,
                                                                      tmp_path):
    long_id = "u" * 63  # a valid id; 'u...u.points' would be cut to 63 bytes
    ruleset, accounts = files(tmp_path, ALERTING.replace("id: usage", f"id: {long_id}")
                              .replace("indicator: usage", f"indicator: {long_id}"))
    result = cli("evaluate", ruleset, accounts, "--to-db", postgres_history, "--to-table",
                 "scores")
    assert result.returncode == 2
    assert (f"the column '{long_id}.value' of the results is 69 bytes long; PostgreSQL names "
            "are at most 63 bytes (longer ones are cut and may collide): give the indicator or "
            "group it comes from a shorter id") in result.stderr
    assert postgres_tables(postgres_history) == []


@pytest.mark.parametrize("table", ["temp.scores", "TEMP.scores"])
def test_a_temporary_table_is_refused_as_it_would_keep_nothing(table, tmp_path):
    ruleset, accounts = files(tmp_path)
    url = f"sqlite:///{tmp_path / 'out.db'}"
    result = cli("evaluate", ruleset, accounts, "--to-db", url, "--to-table", table)
    assert result.returncode == 2
    assert (f"error: {url}: the table '{table}' would be in the temporary schema "
            f"'{table.split('.')[0]}', which SQLite empties when the run ends: nothing would "
            "be kept; give a table of a lasting schema") in result.stderr


def test_a_table_name_too_long_for_sqlite_is_refused(tmp_path):
    ruleset, accounts = files(tmp_path)
    url = f"sqlite:///{tmp_path / 'out.db'}"
    result = cli("evaluate", ruleset, accounts, "--to-db", url, "--to-table", "t" * 10_000)
    assert result.returncode == 2
    assert "is 10000 characters long; SQLite names are at most 9999 characters" in (
        result.stderr)


def test_the_python_api_checks_names_too(postgres_history, tmp_path, builtin_registry):
    from healthcore.errors import InputError
    from healthcore.io.database import write_table
    from healthcore.io.readers import read_accounts
    from healthcore.ruleset import load_ruleset

    ruleset, accounts = files(tmp_path)
    results = healthcore.score(load_ruleset(ruleset, registry=builtin_registry), read_accounts(accounts))
    with pytest.raises(InputError, match="temporary schema 'pg_temp'"):
        write_table(results, postgres_history, "pg_temp.scores")


# ------------------------------------------------------------- 8. no markup from ruleset text

LINK = '<a href="https://example.com/x">Usage</a> & <b>more</b>'


def chart_texts(report: Path) -> dict:
    """What headless Chromium shows of ``report``: every link of the page, and the texts of
    the contributions chart's tick labels."""
    from playwright.sync_api import sync_playwright

    from helpers import CHROMIUM_ARGS, chromium

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.route("**/*", lambda route: route.continue_()
                       if route.request.url.startswith("file:") else route.abort())
            page.goto(report.resolve().as_uri(), wait_until="load")
            page.wait_for_function("document.querySelectorAll('#chart-contributions .ytick')"
                                   ".length > 0")
            return page.evaluate("""() => ({
                links: [...document.querySelectorAll('a')].map(
                    a => a.getAttribute('href') || a.getAttribute('xlink:href')),
                bold: document.querySelectorAll('#chart-contributions text b, '
                                                + '#chart-contributions tspan[style*=bold]').length,
                ticks: [...document.querySelectorAll('#chart-contributions .ytick text')].map(
                    t => t.textContent),
            })""")
        finally:
            browser.close()


def test_a_label_holding_a_link_is_shown_as_text_in_the_report(tmp_path):
    ruleset, accounts = files(tmp_path, ALERTING.replace(
        "  - id: usage\n", f"  - id: usage\n    label: '{LINK}'\n"))
    report = tmp_path / "report.html"
    result = cli("report", ruleset, accounts, "-o", str(report))
    assert result.returncode == 0, result.stderr
    shown = chart_texts(report)
    assert not any("example.com" in (href or "") for href in shown["links"]), shown["links"]
    assert shown["bold"] == 0
    assert shown["ticks"] == [LINK]
