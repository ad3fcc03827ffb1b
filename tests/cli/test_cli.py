"""The healthcore command as a user runs it: formats, files, exit codes and messages."""

from __future__ import annotations

import healthcore
import io
import json
import os
import stat
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from helpers import ACCOUNTS_CSV, EXPECTED, HAND, REPO, SAAS
from helpers import SAAS_ACCOUNTS as SAMPLE
from healthcore.cli.main import main




@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def ruleset_and_accounts(directory: Path, ruleset: tuple[str, str],
                         accounts: tuple[str, str]) -> tuple[str, str]:
    """Write a ruleset and an accounts file, each a (name, text) pair; their paths."""
    for name, text in (ruleset, accounts):
        (directory / name).write_text(text)
    return str(directory / ruleset[0]), str(directory / accounts[0])


@pytest.fixture
def hand(tmp_path: Path) -> tuple[str, str]:
    return ruleset_and_accounts(tmp_path, ("hand.yaml", HAND), ("accounts.csv", ACCOUNTS_CSV))


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
    (["evaluate", "{r}", "{a}", "-f", "table", "-o", "x.csv"], "the text format is for the "
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
    from healthcore.cli.render.results import render_results
    from healthcore.io.readers import read_accounts

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, color_system="standard", width=100)
    render_results(healthcore.score(load_ruleset(hand[0]), read_accounts(hand[1])), console)
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
                                  "init", "test", "diff", "history", "alerts", "deliver",
                                  "override", "overrides", "backtest", "calibrate", "summary",
                                  "report"}
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


# -- where -o writes: links, FIFOs, devices, missing directories, the input itself ------------

def hand_scores(rows: list[dict]) -> dict[str, tuple[float, str]]:
    return {row["account_id"]: (float(row["score"]), row["tier"]) for row in rows}


def test_output_through_a_symlink_replaces_its_target_and_keeps_the_link(runner, hand,
                                                                         tmp_path):
    (tmp_path / "real.json").write_text("REAL")
    (tmp_path / "link.json").symlink_to("real.json")
    (tmp_path / "dangling.json").symlink_to("new.json")
    for link, target in (("link.json", "real.json"), ("dangling.json", "new.json")):
        result = run(runner, "evaluate", *hand, "-o", str(tmp_path / link))
        assert result.exit_code == 0, result.stderr
        assert os.readlink(tmp_path / link) == target
        assert hand_scores(json.loads((tmp_path / target).read_text())) == EXPECTED
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "accounts.csv", "dangling.json", "hand.yaml", "link.json", "new.json", "real.json"]


def test_output_into_a_fifo_is_written_in_place(runner, hand, tmp_path):
    fifo = tmp_path / "scores.csv"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = run(runner, "evaluate", *hand, "-o", str(fifo))
    assert result.exit_code == 0, result.stderr
    # a FIFO replaced by a file would leave the reader waiting for a writer forever
    assert stat.S_ISFIFO(fifo.lstat().st_mode), "the FIFO was replaced by a regular file"
    reader.join()
    assert hand_scores(pl.read_csv(io.BytesIO(received[0]), infer_schema=False).to_dicts()) \
        == EXPECTED
    assert sorted(p.name for p in tmp_path.iterdir()) == ["accounts.csv", "hand.yaml",
                                                          "scores.csv"]


def run_onto_device(runner: CliRunner, device: str, *args: str):
    """``healthcore ARGS -o DEVICE``, and whether DEVICE is still a character device after
    it; a device replaced by a file (possible as root) is put back before the test goes on."""
    before = os.stat(device)
    try:
        result = run(runner, *args, "-o", device)
    finally:
        kept = stat.S_ISCHR(os.lstat(device).st_mode)
        if not kept:
            os.unlink(device)
            os.mknod(device, before.st_mode, before.st_rdev)
            os.chmod(device, stat.S_IMODE(before.st_mode))  # mknod applies the umask
    return result, kept


def test_output_onto_dev_null_is_written_in_place(runner, hand):
    result, kept = run_onto_device(runner, "/dev/null", "evaluate", *hand, "-f", "json")
    assert (result.exit_code, kept) == (0, True), result.stderr
    assert list(Path("/dev").glob(".null.*")) == []


def test_a_full_device_is_an_error_for_json_too(runner, hand):
    result, kept = run_onto_device(runner, "/dev/full", "evaluate", *hand, "-f", "json")
    assert (result.exit_code, kept) == (2, True)
    assert result.stderr == "error: cannot write /dev/full: No space left on device\n"


def test_a_link_to_a_deleted_file_is_written_in_place(tmp_path):
    # /dev/stdout of a run whose standard output goes to a file deleted since
    from healthcore.io.writers import atomic_path

    with tempfile.TemporaryFile(dir=tmp_path) as handle:
        handle.write(b"old content")
        handle.flush()
        with atomic_path(f"/proc/self/fd/{handle.fileno()}") as path:
            path.write_text("new")
        handle.seek(0)
        assert handle.read() == b"new"
    assert list(tmp_path.iterdir()) == []


def calibration_accounts(path: Path) -> None:
    """40 accounts of the HAND ruleset whose churn goes with low usage, 12 of them churned."""
    lines = ["id,active,seats,p,n,d,overdue,churned"]
    for i in range(40):
        lines.append(f"C{i:02d},{i % 10},10,{i % 7},2,{i % 3},{i % 50},"
                     f"{'yes' if i % 10 < 3 else 'no'}")
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("command, extra", [("evaluate", ()), ("report", ()),
                                            ("calibrate", ("--outcome", "churned"))])
def test_output_into_a_missing_directory_is_exit_code_2(runner, hand, tmp_path, command,
                                                        extra):
    accounts = tmp_path / "outcomes.csv"
    calibration_accounts(accounts)
    target = tmp_path / "nodir" / "out.json"
    result = run(runner, command, hand[0], str(accounts), *extra, "-o", str(target))
    assert result.exit_code == 2
    assert result.stderr == (f"error: cannot write {target}: the directory {target.parent} "
                             "does not exist\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["accounts.csv", "hand.yaml",
                                                          "outcomes.csv"]


def test_output_into_a_missing_directory_stops_before_the_run_is_recorded(runner, hand,
                                                                          tmp_path):
    history = tmp_path / "history.db"
    target = tmp_path / "nodir" / "out.json"
    result = run(runner, "evaluate", *hand, "--history", str(history), "-o", str(target))
    assert result.exit_code == 2
    assert result.stderr == (f"error: cannot write {target}: the directory {target.parent} "
                             "does not exist\n")
    assert not history.exists()


def test_output_paths_that_cannot_be_files_give_the_reason(runner, hand, tmp_path):
    from healthcore.errors import OutputError
    from healthcore.io.writers import atomic_path

    (tmp_path / "plain").write_text("a file")
    result = run(runner, "evaluate", *hand, "-o", str(tmp_path / "plain" / "x.json"))
    assert result.exit_code == 2
    assert result.stderr == (f"error: cannot write {tmp_path}/plain/x.json: {tmp_path}/plain "
                             "is not a directory\n")
    with pytest.raises(OutputError) as raised:
        with atomic_path(tmp_path):
            pass
    assert str(raised.value) == f"cannot write {tmp_path}: it is a directory; give a file path"


def test_the_accounts_file_can_be_its_own_output(runner, hand):
    result = run(runner, "evaluate", *hand, "-o", hand[1])
    assert result.exit_code == 0, result.stderr
    assert hand_scores(pl.read_csv(hand[1], infer_schema=False).to_dicts()) == EXPECTED


# -- control characters from rulesets and accounts never reach the terminal raw -------------

ESCAPING = HAND.replace("  - id: usage\n", '  - id: usage\n    label: "Usage \\e[31m[bold]"\n') \
    .replace("reason: More than {late_days} days late", 'reason: "Late \\r\\x9b2J"')
ESCAPING_CSV = ("id,active,seats,p,n,d,overdue\n"
                '"A1\x1b[2J\x1b]0;pwned\x07",5,n/a\x1b[31m,,,,0\n'
                "[bold]B2[/bold],9,10,,,,40\n")


@pytest.fixture
def escaping(tmp_path: Path) -> tuple[str, str]:
    return ruleset_and_accounts(tmp_path, ("escaping.yaml", ESCAPING),
                                ("escaping.csv", ESCAPING_CSV))


def test_the_table_shows_control_characters_escaped_and_markup_as_text(escaping):
    from rich.console import Console

    from healthcore import load_ruleset
    from healthcore.cli.render.results import render_results
    from healthcore.io.readers import read_accounts

    buffer = io.StringIO()
    render_results(healthcore.score(load_ruleset(escaping[0]), read_accounts(escaping[1]), explain=True),
                 Console(file=buffer, width=200, color_system=None))
    text = buffer.getvalue()
    assert not {"\x1b", "\x07", "\r", "\x9b"} & set(text)
    rows = {line.split("│")[1].strip(): [cell.strip() for cell in line.split("│")[2:5]]
            for line in text.splitlines() if line.startswith("│ ") and "│ account" not in line}
    assert rows == {
        "A1\\x1b[2J\\x1b]0;pwned\\x07": [
            "", "not scored", "field 'seats': 'n/a\\x1b[31m' is not a number; no indicator "
            "has a value for this account, so it has no score"],
        "[bold]B2[/bold]": ["80.0", "green", "Usage \\x1b[31m[bold] cost 10.0 points; "
                            "Late \\x0d\\x9b2J (-10 points)"]}


def test_warnings_and_errors_show_control_characters_escaped(runner, escaping, tmp_path):
    repeated = tmp_path / "repeated.csv"
    repeated.write_text("id,active,seats,p,n,d,overdue\n" + "A\x1b[2J,1,2,1,1,1,0\n" * 2)
    result = run(runner, "evaluate", escaping[0], str(repeated), "-f", "json")
    assert result.stderr == ("warning: 1 account id appears on more than one row "
                             "(A\\x1b[2J): each row is scored on its own; check the export\n")
    missing = tmp_path / "acc\x1b]0;x\x07.csv"
    result = run(runner, "evaluate", escaping[0], str(missing))
    assert result.exit_code == 2
    assert result.stderr == (f"error: {tmp_path}/acc\\x1b]0;x\\x07.csv: cannot read the "
                             "file: No such file or directory\n")


def test_output_files_keep_control_characters_as_they_are(runner, escaping, tmp_path):
    output = tmp_path / "out.csv"
    assert run(runner, "evaluate", *escaping, "-o", str(output)).exit_code == 1
    written = pl.read_csv(output, infer_schema=False)
    assert written["account_id"].to_list() == ["A1\x1b[2J\x1b]0;pwned\x07", "[bold]B2[/bold]"]
    assert written["reasons"][1] == "Usage \x1b[31m[bold] cost 10.0 points; Late \r\x9b2J " \
                                    "(-10 points)"


def test_a_reader_that_stops_early_ends_the_run_quietly_with_141(tmp_path):
    """``healthcore evaluate ... -f csv | head -1``: no traceback, exit code 141 (SIGPIPE)."""
    accounts = tmp_path / "many.csv"
    sample = (REPO / "rulesets" / "saas-b2b.accounts.csv").read_text().splitlines()
    accounts.write_text("\n".join([sample[0], *(sample[1:] * 100)]) + "\n")  # ~700 KB out
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("healthcore")), "evaluate",
         str(REPO / "rulesets" / "saas-b2b.yaml"), str(accounts), "-f", "csv", "-q"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout.readline().startswith(b"account_id,status,score")
    process.stdout.close()
    assert process.wait() == 141
    assert process.stderr.read() == b""


# -------------------------------------------------------- one vocabulary across the commands

@pytest.mark.parametrize("command,old,new", [
    (["evaluate", "{r}", "{a}"], "table", "text"),
    (["summary", "{r}", "{a}"], "table", "text"),
    (["diff", "{r}", "{r}", "{a}"], "table", "text"),
    (["explain", "{r}", "{a}", "--account", "001"], "panel", "text"),
])
def test_text_is_the_human_format_and_the_old_names_still_work(runner, hand, command, old,
                                                                 new):
    args = [arg.format(r=hand[0], a=hand[1]) for arg in command]
    shown = run(runner, *args, "-f", new)
    assert shown.exit_code == 0, shown.stderr
    assert run(runner, *args, "-f", old).stdout == shown.stdout
    help_text = run(runner, command[0], "--help").stdout
    assert "text" in help_text and old not in help_text.split("--format")[1].split("\n")[0]


@pytest.mark.parametrize("command", [["evaluate", "{r}", "{a}", "-f", "json"],
                                     ["summary", "{r}", "{a}", "-f", "json"],
                                     ["explain", "{r}", "{a}", "--account", "001", "-f", "json"],
                                     ["diff", "{r}", "{r}", "{a}", "-f", "json"],
                                     ["validate", "{r}", "--sample", "{a}"]])
def test_every_command_reading_accounts_takes_the_input_options(runner, tmp_path, hand,
                                                                   command):
    export = tmp_path / "export.txt"
    export.write_bytes(ACCOUNTS_CSV.replace(",", ";").encode("latin-1"))
    plain = [arg.format(r=hand[0], a=hand[1]) for arg in command]
    given = [arg.format(r=hand[0], a=str(export)) for arg in command]
    expected = run(runner, *plain)
    result = run(runner, *given, "--input-format", "csv", "--delimiter", ";",
                 "--encoding", "latin-1")
    assert result.exit_code == expected.exit_code == 0, result.stderr
    assert result.stdout == expected.stdout.replace(hand[1], str(export))


def test_validate_still_takes_sample_format_without_showing_it(runner, tmp_path, hand):
    sample = tmp_path / "sample.data"
    sample.write_text(ACCOUNTS_CSV)
    result = run(runner, "validate", hand[0], "--sample", str(sample), "--sample-format", "csv")
    assert result.exit_code == 0, result.stderr
    help_text = run(runner, "validate", "--help").stdout
    assert "--input-format" in help_text and "--sample-format" not in help_text


def test_the_cli_names_its_flags_where_the_library_names_parameters(runner, hand, tmp_path):
    explained = run(runner, "explain", *hand, "--account", "nope")
    assert explained.exit_code == 2
    assert "give one of their ids with --account" in explained.stderr
    with_outcome = tmp_path / "outcomes.csv"
    with_outcome.write_text(ACCOUNTS_CSV.replace("overdue\n", "overdue,churned\n", 1)
                            .replace(",0\n", ",0,maybe\n").replace(",40\n", ",40,maybe\n")
                            .replace(",\n", ",,maybe\n"))
    backtested = run(runner, "backtest", hand[0], str(with_outcome), "--outcome", "churned")
    assert backtested.exit_code == 2
    assert "with --bad-when and which a good one with --good-when" in backtested.stderr
    missing = run(runner, "alerts", "--history", str(tmp_path / "none.db"))
    assert missing.exit_code == 2
    assert "record runs with healthcore evaluate RULESET ACCOUNTS --history DB" in missing.stderr
    calibrated = run(runner, "calibrate", hand[0], str(with_outcome), "--outcome", "churned",
                     "--bad-when", "maybe", "-o", hand[0])
    assert calibrated.exit_code == 2
    assert "(or give --force to replace it)" in calibrated.stderr


def test_each_library_phrase_the_cli_rewords_is_in_the_library():
    import re

    from healthcore.cli.flags import PHRASES

    library = "\n".join(path.read_text() for path in (REPO / "healthcore").rglob("*.py")
                        if "cli" not in path.relative_to(REPO / "healthcore").parts)
    joined = re.sub(r'"\s*\n\s*f?"', "", library)  # the parts of a string written on lines
    for phrase, _ in PHRASES:
        assert phrase in joined, phrase
