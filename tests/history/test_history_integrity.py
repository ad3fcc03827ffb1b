"""The history under concurrency and faults, with real processes on a SQLite file and on a real
PostgreSQL server: alerts delivered at least once through the outbox (a run killed while a
plugin delivers), runs of different dates at the same time or out of order, commands that could
destroy a history, overrides recorded while a run scores, and what waiting, reading and Ctrl-C
say."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from healthcore import history
from healthcore.cli.main import main
from healthcore.io.database import safe_url
from helpers import WRITER

RULESET = """\
healthcore: 1
name: usage-watch
indicators:
  - id: usage
    metric: field
    params: {field: usage}
    normalize: {linear: {worst: 0, best: 100}}
    weight: 1
tiers:
  - {name: healthy, min: 70, color: green}
  - {name: at_risk, min: 40, color: yellow}
  - {name: unhealthy, min: 0, color: red}
alerts:
  - {id: slipped, kind: tier_worsened, severity: critical}
"""

ACCOUNTS = 2_000
"""Accounts per run: enough for every account's baseline to matter, small enough to be quick."""


def usage_file(tmp_path: Path, day: str, usage: int) -> Path:
    """Every account at ``usage`` (so at ``usage`` points), except every 7th at 100."""
    path = tmp_path / f"accounts-{day}.csv"
    rows = [f"A{n:05d},{100 if n % 7 == 0 else usage}" for n in range(ACCOUNTS)]
    path.write_text("account_id,usage\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


# usage falls run after run: 2024-02-01 healthy -> 02-02 at_risk -> 02-03 unhealthy
USAGE = {"2024-02-01": 90, "2024-02-02": 60, "2024-02-03": 20}
FALLING = ACCOUNTS - len(range(0, ACCOUNTS, 7))
"""The accounts whose tier falls (all but every 7th)."""

DELIVERING = """\
import json, os, time
from pathlib import Path
from healthcore import hookimpl

@hookimpl
def healthcore_deliver_alerts(alerts):
    if os.environ.get("FAIL_DELIVERY"):
        raise ConnectionError("the chat server is down")
    received = Path(os.environ["RECEIVED"])
    with received.open("a", encoding="utf-8") as file:
        for alert in alerts:
            file.write(json.dumps(alert) + "\\n")
    if os.environ.get("HANG_IN_DELIVERY"):
        Path(os.environ["HANG_IN_DELIVERY"]).write_text("delivering")
        time.sleep(120)
"""

SLOW_METRIC = """\
import os, time
from pathlib import Path
import polars as pl
from healthcore import Metric, hookimpl

def _slow(inputs, params):
    flag = os.environ.get("SCORING_FLAG")
    if flag:
        Path(flag).write_text("scoring")
        time.sleep(float(os.environ.get("SCORING_SECONDS", "3")))
    return inputs["field"].cast(pl.Float64)

@hookimpl
def healthcore_register_metrics(register):
    register(Metric("slow_field", "a field, slowly", _slow,
                    {"type": "object", "properties": {"field": {"type": "string"}},
                     "required": ["field"]}, {"field": "number"}))
"""


@pytest.fixture
def site(tmp_path: Path, monkeypatch) -> Path:
    """A folder with the test plugins, on the path of this process and of the processes it
    starts."""
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "delivering_plugin.py").write_text(DELIVERING, encoding="utf-8")
    (folder / "slow_plugin.py").write_text(SLOW_METRIC, encoding="utf-8")
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(folder), *filter(None, [os.environ.get("PYTHONPATH")])]))
    monkeypatch.setenv("RECEIVED", str(tmp_path / "received.jsonl"))
    return folder


@pytest.fixture
def ruleset_file(tmp_path: Path) -> Path:
    path = tmp_path / "usage-watch.yaml"
    path.write_text(RULESET, encoding="utf-8")
    return path


def healthcore(*args: str, env: dict[str, str] | None = None, **popen) -> subprocess.Popen:
    """``healthcore ARGS`` as a real process."""
    return subprocess.Popen([sys.executable, "-m", "healthcore.cli.main", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})}, **popen)


def finished(process: subprocess.Popen, timeout: float = 180) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def evaluate_args(ruleset_file: Path, accounts: Path, target: str, day: str,
                  *extra: str) -> list[str]:
    return ["evaluate", str(ruleset_file), str(accounts), "--history", target, "--as-of", day,
            "-f", "jsonl", *extra]


def run(tmp_path, ruleset_file, target, day, *extra: str) -> tuple[int, str, str]:
    return finished(healthcore(*evaluate_args(ruleset_file, usage_file(tmp_path, day,
                                                                       USAGE[day]),
                                              target, day, *extra)))


def wait_for(flag: Path, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not flag.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"{flag.name} never appeared"
        time.sleep(0.05)


def received(tmp_path: Path) -> list[dict]:
    path = tmp_path / "received.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def open_alerts(target: str) -> list[dict]:
    result = CliRunner().invoke(main, ["alerts", "--history", target, "-f", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["alerts"]


def scores_of(stdout: str) -> dict[str, dict]:
    return {row["account_id"]: row for row in map(json.loads, stdout.splitlines())}


SLOW = ("--plugin", "slow_plugin")


def slow_run_scoring(tmp_path: Path, ruleset_file: Path, target: str, day: str,
                     seconds: float) -> subprocess.Popen:
    """With the ruleset on the slow metric and a first run on 2024-02-01, a run of ``day``
    that has taken the history and is scoring for ``seconds``."""
    ruleset_file.write_text(RULESET.replace("metric: field", "metric: slow_field"),
                            encoding="utf-8")
    assert run(tmp_path, ruleset_file, target, "2024-02-01", *SLOW)[0] == 0
    flag = tmp_path / "scoring.flag"
    process = healthcore(*evaluate_args(ruleset_file, usage_file(tmp_path, day, USAGE[day]),
                                        target, day, *SLOW),
                         env={"SCORING_FLAG": str(flag), "SCORING_SECONDS": str(seconds)})
    wait_for(flag, process)
    return process


DELIVERING_PLUGIN = ("--plugin", "delivering_plugin")


def kill_while_delivering(tmp_path: Path, ruleset_file: Path, target: str) -> None:
    """Record 2024-02-01, then kill (SIGKILL) the run of 2024-02-02 while the plugin holds
    the alerts it raised."""
    assert run(tmp_path, ruleset_file, target, "2024-02-01", *DELIVERING_PLUGIN)[0] == 0
    hang = tmp_path / "delivering.flag"
    process = healthcore(*evaluate_args(ruleset_file, usage_file(tmp_path, "2024-02-02", 60),
                                        target, "2024-02-02", *DELIVERING_PLUGIN),
                         env={"HANG_IN_DELIVERY": str(hang)})
    wait_for(hang, process)
    process.send_signal(signal.SIGKILL)
    assert finished(process)[0] == -signal.SIGKILL


# ------------------------------------------------------------------ 1. the alerts' outbox

def test_a_run_killed_while_a_plugin_delivers_loses_no_alert(tmp_path, site, ruleset_file,
                                                             target):
    plugin = DELIVERING_PLUGIN
    kill_while_delivering(tmp_path, ruleset_file, target)
    seen_before_kill = {alert["id"] for alert in received(tmp_path)}
    assert len(seen_before_kill) == FALLING  # handed over, but the hook never returned

    code, out, err = finished(healthcore("deliver", "--history", target, *plugin))
    assert (code, out, err) == (0, f"delivered {FALLING:,} alerts to plugin "
                                   "'delivering_plugin'\n", "")
    again = finished(healthcore("deliver", "--history", target, *plugin))
    assert again == (0, "no alert delivered: none was waiting for an installed plugin\n", "")

    deliveries = received(tmp_path)
    assert len(deliveries) == 2 * FALLING  # at least once: twice for those of the killed run
    raised = {alert["id"]: alert for alert in deliveries}
    assert set(raised) == seen_before_kill  # the same stable ids the second time
    assert {alert["account_id"] for alert in raised.values()} == {
        f"A{n:05d}" for n in range(ACCOUNTS) if n % 7}
    assert {alert["since"] for alert in raised.values()} == {"2024-02-02"}
    assert len(open_alerts(target)) == FALLING


def test_undelivered_alerts_go_out_with_the_next_run_and_a_rerun_raises_none_again(
        tmp_path, site, ruleset_file, target):
    plugin = DELIVERING_PLUGIN
    kill_while_delivering(tmp_path, ruleset_file, target)
    (tmp_path / "received.jsonl").unlink()
    code, _, err = run(tmp_path, ruleset_file, target, "2024-02-02", *plugin)  # the same date
    assert code == 0, err
    assert len(received(tmp_path)) == FALLING  # the pending ones, once
    assert "alerts raised" not in err  # the episodes were raised by the first try already
    code, _, err = run(tmp_path, ruleset_file, target, "2024-02-02", *plugin)
    assert (code, len(received(tmp_path))) == (0, FALLING)  # nothing twice once delivered


def failed_delivery_of_0202(tmp_path, ruleset_file, target) -> None:
    """02-01, then 02-02 (raising an alert for every falling account) whose plugin fails."""
    plugin = ("--plugin", "delivering_plugin")
    assert run(tmp_path, ruleset_file, target, "2024-02-01", *plugin)[0] == 0
    code, _, err = finished(healthcore(*evaluate_args(
        ruleset_file, usage_file(tmp_path, "2024-02-02", 60), target, "2024-02-02", *plugin),
        env={"FAIL_DELIVERY": "1"}))
    assert code == 0 and f"failed to deliver {FALLING:,} alerts: ConnectionError" in err
    assert received(tmp_path) == []


def test_a_corrected_rerun_withdraws_the_undelivered_alerts_it_no_longer_raises(
        tmp_path, site, ruleset_file, target):
    failed_delivery_of_0202(tmp_path, ruleset_file, target)
    corrected = usage_file(tmp_path, "corrected", 90)  # nobody fell after all
    code, _, err = finished(healthcore(*evaluate_args(
        ruleset_file, corrected, target, "2024-02-02", "--plugin", "delivering_plugin")))
    assert code == 0, err
    assert received(tmp_path) == []
    assert finished(healthcore("deliver", "--history", target, "--plugin",
                               "delivering_plugin"))[1] == (
        "no alert delivered: none was waiting for an installed plugin\n")


def test_deleting_a_run_withdraws_its_undelivered_alerts(tmp_path, site, ruleset_file, target):
    failed_delivery_of_0202(tmp_path, ruleset_file, target)
    code, _, err = finished(healthcore("history", "--delete", "--as-of", "2024-02-02",
                                       "--history", target))
    assert code == 0, err
    assert finished(healthcore("deliver", "--history", target, "--plugin",
                               "delivering_plugin"))[:2] == (
        0, "no alert delivered: none was waiting for an installed plugin\n")
    assert received(tmp_path) == []
    # recorded again, the date raises and delivers its alerts once
    assert run(tmp_path, ruleset_file, target, "2024-02-02", "--plugin",
               "delivering_plugin")[0] == 0
    assert len(received(tmp_path)) == FALLING


def test_the_python_api_delivers_through_the_installed_plugins(tmp_path, ruleset_file,
                                                               sqlite_history):
    # a plugin installed as a distribution: found by its entry point, not given by name
    site = tmp_path / "installed"
    (site / "installed_alerts-1.0.dist-info").mkdir(parents=True)
    (site / "installed_alerts-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: installed-alerts\nVersion: 1.0\n", encoding="utf-8")
    (site / "installed_alerts-1.0.dist-info" / "entry_points.txt").write_text(
        "[healthcore]\ninstalled_alerts = installed_alerts\n", encoding="utf-8")
    (site / "installed_alerts.py").write_text(DELIVERING, encoding="utf-8")
    script = f"""
from healthcore import history, load_ruleset
ruleset = load_ruleset({str(ruleset_file)!r})
for day, usage in (("2024-02-01", 90), ("2024-02-02", 60)):
    history.evaluate(ruleset, [{{"account_id": "A", "usage": usage}},
                               {{"account_id": "B", "usage": 100}}], {sqlite_history!r}, day)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(site),
                               "RECEIVED": str(tmp_path / "received.jsonl")})
    assert done.returncode == 0, done.stderr
    assert [(a["account_id"], a["alert"], a["since"]) for a in received(tmp_path)] == [
        ("A", "slipped", "2024-02-02")]


# ----------------------------------------------------- 2. runs of different dates, or late

def test_runs_of_two_dates_at_once_give_the_history_of_runs_in_date_order(
        tmp_path, site, ruleset_file, target):
    # the earlier date is scoring: it holds the history
    earlier = slow_run_scoring(tmp_path, ruleset_file, target, "2024-02-02", 3)
    later = healthcore(*evaluate_args(ruleset_file, usage_file(tmp_path, "2024-02-03", 20),
                                      target, "2024-02-03", *SLOW))
    first, second = finished(earlier), finished(later)
    assert first[0] == 0 and second[0] == 0, (first[2], second[2])
    before, after = scores_of(first[1]), scores_of(second[1])
    assert all(after[a]["previous_score"] == before[a]["score"] for a in after)
    assert {after[a]["previous_tier"] for a in after} == {"at_risk", "healthy"}
    # one episode per falling account: raised on 02-02, going on (not raised again) on 02-03
    alerts = open_alerts(target)
    assert len(alerts) == FALLING
    assert {(a["since"], a["raised"]) for a in alerts} == {("2024-02-02", False)}


def test_a_run_dated_before_a_recorded_run_is_refused_whether_late_or_concurrent(
        tmp_path, site, ruleset_file, target):
    later = slow_run_scoring(tmp_path, ruleset_file, target, "2024-02-03", 2)
    earlier = healthcore(*evaluate_args(ruleset_file, usage_file(tmp_path, "2024-02-02", 60),
                                        target, "2024-02-02", *SLOW, "-o",
                                        str(tmp_path / "out.csv")))
    assert finished(later)[0] == 0
    code, out, err = finished(earlier)
    assert code == 2 and out == ""
    assert ("cannot record the run of usage-watch on 2024-02-02: the history already has "
            "later runs of this ruleset (2024-02-03), whose trends, alerts and previous(...) "
            "values were computed without it; nothing was recorded.") in err
    assert not (tmp_path / "out.csv").exists()  # refused before any output is written
    with history.open(target) as store:
        assert store.runs()["as_of"].to_list() == ["2024-02-01", "2024-02-03"]
    assert {(a["since"], a["raised"]) for a in open_alerts(target)} == {("2024-02-03", True)}
    # recording the latest date again is fine
    assert run(tmp_path, ruleset_file, target, "2024-02-03", *SLOW)[0] == 0


# -------------------------------------------------------- 3. no command destroys a history

@pytest.mark.parametrize("table", ["healthcore_scores", "HEALTHCORE_RUNS", "main.healthcore_outbox",
                                   "healthcore_schema_version"])
def test_results_are_never_written_into_the_history_tables(tmp_path, ruleset_file,
                                                           sqlite_history, table):
    assert run(tmp_path, ruleset_file, sqlite_history, "2024-02-01")[0] == 0
    code, _, err = finished(healthcore(
        "evaluate", str(ruleset_file), str(usage_file(tmp_path, "x", 50)), "--to-db",
        f"sqlite:///{sqlite_history}", "--to-table", table))
    assert code == 2
    assert err.startswith(f"error: '{table}' is a table of the score history")
    assert "choose another table name" in err
    with history.open(sqlite_history) as store:
        assert store.runs()["accounts"].to_list() == [ACCOUNTS]


def test_every_history_table_is_named_as_the_writers_of_results_refuse():
    from healthcore.errors import InputError
    from healthcore.history.tables import SCHEMA_VERSION_TABLE, TABLE_NAMES
    from healthcore.io.database import HISTORY_TABLE_PREFIX, check_not_history_table

    for table in (*TABLE_NAMES, SCHEMA_VERSION_TABLE):
        assert table.startswith(HISTORY_TABLE_PREFIX)
        with pytest.raises(InputError, match="is a table of the score history"):
            check_not_history_table(f'public."{table.upper()}"')
    check_not_history_table("scores")  # any other name may be written


def test_writing_results_refuses_the_history_tables_without_loading_the_history(tmp_path):
    script = ("import sys\n"
              "from healthcore.errors import InputError\n"
              "from healthcore.io.database import write_frame\n"
              "import polars as pl\n"
              "try:\n"
              "    write_frame(pl.DataFrame({'a': [1]}), sys.argv[1], 'healthcore_runs')\n"
              "except InputError as exc:\n"
              "    print(exc)\n"
              "print(sorted(m for m in sys.modules if m.startswith('healthcore.history')))\n")
    done = subprocess.run([sys.executable, "-c", script, f"sqlite:///{tmp_path / 'out.db'}"],
                          capture_output=True, text=True, check=True)
    refused, loaded = done.stdout.splitlines()
    assert refused.startswith("'healthcore_runs' is a table of the score history")
    assert loaded == "[]"
    assert not (tmp_path / "out.db").exists()


def test_the_python_api_never_writes_results_into_the_history_tables(tmp_path, ruleset_file,
                                                                    sqlite_history):
    from healthcore import load_ruleset, score
    from healthcore.errors import InputError
    from healthcore.io.database import write_table

    assert run(tmp_path, ruleset_file, sqlite_history, "2024-02-01")[0] == 0
    results = score(load_ruleset(ruleset_file), [{"account_id": "A1", "usage": 50}])
    with pytest.raises(InputError, match="'healthcore_alerts' is a table of the score history"):
        write_table(results, f"sqlite:///{sqlite_history}", "healthcore_alerts")
    with history.open(sqlite_history) as store:
        assert store.runs()["accounts"].to_list() == [ACCOUNTS]
        assert len(store.open_alerts()) == 0


def test_a_run_in_which_no_account_scores_does_not_replace_a_good_one(tmp_path, ruleset_file,
                                                                      target):
    assert run(tmp_path, ruleset_file, target, "2024-02-01")[0] == 0
    renamed = tmp_path / "renamed.csv"
    renamed.write_text("account_id,Usage\nA00001,50\nA00002,60\n", encoding="utf-8")
    code, out, err = finished(healthcore(*evaluate_args(ruleset_file, renamed, target,
                                                        "2024-02-01")))
    assert (code, out) == (2, "")
    assert ("cannot record the run: none of its 2 accounts could be scored (the first one: "
            "field 'usage' is not in the input; no indicator has a value for this account, so "
            "it has no score); nothing was recorded, and the runs already recorded are "
            "kept") in err
    with history.open(target) as store:
        assert store.runs()["accounts"].to_list() == [ACCOUNTS]


# ------------------------------------------------------- 4. overrides recorded during a run

def test_an_override_recorded_while_a_run_scores_is_either_in_it_or_not_in_force_that_day(
        tmp_path, site, ruleset_file, target):
    scoring = slow_run_scoring(tmp_path, ruleset_file, target, "2024-02-02", 2)
    override = healthcore("override", "A00001", "--history", target, "--churned",
                          "--reason", "cancelled", "--from", "2024-02-02")
    code, out, err = finished(scoring)
    assert code == 0, err
    assert finished(override)[0] == 0
    in_run = scores_of(out)["A00001"]
    assert in_run["override"] is None  # the run had read the overrides before it was made
    assert any(a["account_id"] == "A00001" for a in open_alerts(target))
    listed = CliRunner().invoke(main, ["overrides", "--history", target, "--as-of",
                                       "2024-02-02", "-f", "json"])
    found = json.loads(listed.stdout)
    assert found["overrides"] == []  # not in force for the run of that date
    assert [(o["account_id"], o["kind"], o["after_runs"]) for o in found["after_runs"]] == [
        ("A00001", "churned", ["usage-watch"])]
    table = CliRunner().invoke(main, ["overrides", "--history", target, "--as-of",
                                      "2024-02-02"]).stdout
    assert "no override in force on 2024-02-02" in table
    assert "recorded after the run of 2024-02-02" in table
    # the next run (or the same date recorded again) applies it and raises nothing for it
    code, out, err = run(tmp_path, ruleset_file, target, "2024-02-02", *SLOW)
    assert code == 0, err
    assert scores_of(out)["A00001"]["override"].startswith("churned")
    assert not any(a["account_id"] == "A00001" for a in open_alerts(target))
    relisted = json.loads(CliRunner().invoke(main, ["overrides", "--history", target,
                                                    "--as-of", "2024-02-02", "-f",
                                                    "json"]).stdout)
    assert [o["account_id"] for o in relisted["overrides"]] == ["A00001"]
    assert relisted["after_runs"] == []


# ---------------------------------------------------------- 5. what waiting and Ctrl-C say



def paused_writer(tmp_path: Path, ruleset_file: Path, target: str, day: str, seconds: float,
                  *extra: str) -> tuple[subprocess.Popen, Path]:
    """A real ``evaluate --history`` that stops ``seconds`` just before its commit."""
    script = tmp_path / "writer.py"
    script.write_text(WRITER, encoding="utf-8")
    flag = tmp_path / "paused.flag"
    process = subprocess.Popen(
        [sys.executable, str(script), str(flag), str(seconds),
         *evaluate_args(ruleset_file, usage_file(tmp_path, day, USAGE[day]), target, day,
                        *extra)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(flag, process)
    return process, flag


def test_a_history_busy_for_longer_than_the_wait_names_the_run_writing(tmp_path, ruleset_file,
                                                                        target):
    assert run(tmp_path, ruleset_file, target, "2024-02-01")[0] == 0
    writer, _ = paused_writer(tmp_path, ruleset_file, target, "2024-02-02", 30)
    try:
        code, out, err = finished(healthcore(
            *evaluate_args(ruleset_file, usage_file(tmp_path, "2024-02-03", 20), target,
                           "2024-02-03"), env={"HEALTHCORE_HISTORY_WAIT": "1"}))
        assert (code, out) == (2, "")
        assert ("cannot record the run of usage-watch on 2024-02-03: another healthcore run "
                "is writing to this history (record the run of usage-watch on 2024-02-02"
                ) in err
        assert "did not finish within 1 s; nothing was changed: try again when it has " \
               "finished (the wait is set by HEALTHCORE_HISTORY_WAIT, in seconds)" in err
        # reading never waits for the writer
        for args in (["alerts"], ["history", "A00001"], ["overrides"]):
            code, out, err = finished(healthcore(*args, "--history", target),
                                      timeout=20)
            assert code == 0 and err == "", (args, err)
    finally:
        writer.kill()
        writer.communicate()


def test_ctrl_c_while_recording_says_the_output_was_written_and_the_history_kept(
        tmp_path, ruleset_file, target):
    assert run(tmp_path, ruleset_file, target, "2024-02-01")[0] == 0
    output = tmp_path / "scores.jsonl"
    writer, _ = paused_writer(tmp_path, ruleset_file, target, "2024-02-02", 60, "-o",
                              str(output))
    writer.send_signal(signal.SIGINT)
    code, _, err = finished(writer)
    assert code == 130
    shown = safe_url(target) if "://" in target else target
    assert err.endswith(f"interrupted: {output} already holds this run's results; {shown} was "
                        "left as it was (the run was not recorded)\n")
    assert output.read_text(encoding="utf-8").count("\n") == ACCOUNTS
    with history.open(target) as store:
        assert store.runs()["as_of"].to_list() == ["2024-02-01"]


def test_alerts_taken_while_another_run_holds_the_history_go_again_not_lost(
        tmp_path, site, ruleset_file, target, monkeypatch):
    plugin = ("--plugin", "delivering_plugin")
    assert run(tmp_path, ruleset_file, target, "2024-02-01", *plugin)[0] == 0
    monkeypatch.setenv("RECEIVED", str(tmp_path))  # a folder: the plugin fails, alerts wait
    code, _, err = run(tmp_path, ruleset_file, target, "2024-02-02", *plugin)
    assert code == 0 and "plugin 'delivering_plugin' failed to deliver" in err
    monkeypatch.setenv("RECEIVED", str(tmp_path / "received.jsonl"))
    writer, _ = paused_writer(tmp_path, ruleset_file, target, "2024-02-03", 30)
    try:
        from healthcore.plugin.registry import load_registry

        monkeypatch.setenv("HEALTHCORE_HISTORY_WAIT", "1")
        registry = load_registry(["delivering_plugin"])
        with history.open(target) as store:
            done = history.deliver(store, registry)
        assert done.delivered == {"delivering_plugin": FALLING}
        assert done.problems[0].startswith(f"plugin 'delivering_plugin' took {FALLING:,} "
                                           "alerts, but they could not be marked delivered")
        assert done.problems[0].endswith("they will be delivered again, with the same ids")
    finally:
        writer.kill()
        writer.communicate()
    monkeypatch.delenv("HEALTHCORE_HISTORY_WAIT")  # the server may take a while to end its run
    with history.open(target) as store:
        again = history.deliver(store, registry)
    assert again.delivered == {"delivering_plugin": FALLING} and again.problems == []
    ids = [alert["id"] for alert in received(tmp_path)]
    assert len(ids) == 2 * FALLING and len(set(ids)) == FALLING
