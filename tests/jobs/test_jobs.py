"""The jobs of healthcore.jobs called from Python: what they write, record and return, in which
order, and the errors they raise (in the words of their parameters)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from helpers import REPO
from healthcore import history, load_ruleset
from healthcore.errors import InputError, OutputError
from healthcore.jobs import Accounts, EvaluateRun, Interrupted, Outputs, evaluate
from healthcore.jobs.alerts import by_account, first_accounts
from healthcore.jobs.overrides import list_overrides, record_override

SAAS = REPO / "rulesets" / "saas-b2b.yaml"
SAMPLE = str(REPO / "rulesets" / "saas-b2b.accounts.csv")


@pytest.fixture
def ruleset(builtin_registry):
    return load_ruleset(SAAS, registry=builtin_registry)


class Steps:
    """A progress that notes each step, and can fail at one of them."""

    def __init__(self, fail_at: str | None = None, error: BaseException | None = None):
        self.seen: list[str] = []
        self.fail_at, self.error = fail_at, error

    def phase(self, name: str, text: str | None = None) -> None:
        self._note(name)

    def detail(self, text: str) -> None:
        self._note(text)

    def _note(self, step: str) -> None:
        self.seen.append(step)
        if step == self.fail_at:
            raise self.error


def recorded_runs(target: str) -> int:
    with history.open(target, create=False) as store:
        return store.runs().height


def test_evaluate_writes_the_file_and_says_so(ruleset, tmp_path):
    output = tmp_path / "scores.csv"
    run = evaluate(ruleset, Accounts(SAMPLE), outputs=Outputs(file=str(output)))
    assert isinstance(run, EvaluateRun)
    assert run.written.outputs == [str(output)]
    assert run.written.history is None and not run.written.recorded
    written = pl.read_csv(output)
    assert written.height == len(run.results) > 0
    assert written["account_id"].to_list() == run.results.frame["account_id"].to_list()
    assert run.alerts == []


def test_evaluate_takes_a_dataframe_and_writes_nothing_by_default(ruleset):
    frame = pl.read_csv(SAMPLE)
    run = evaluate(ruleset, frame)
    assert run.written.outputs == []
    assert len(run.results) == frame.height


def test_repeated_ids_are_a_warning_returned_not_printed(ruleset, capsys):
    frame = pl.read_csv(SAMPLE)
    run = evaluate(ruleset, pl.concat([frame, frame.head(1)]))
    assert any("on more than one row" in warning for warning in run.warnings)
    assert capsys.readouterr() == ("", "")


def test_outputs_are_written_before_the_run_is_recorded(ruleset, tmp_path, sqlite_history):
    steps = Steps()
    output = tmp_path / "scores.json"
    run = evaluate(ruleset, Accounts(SAMPLE), outputs=Outputs(file=str(output)),
                   history=sqlite_history, as_of="2024-03-01", progress=steps)
    assert steps.seen.index("writing") < steps.seen.index("delivering the alerts")
    assert run.written.recorded and run.written.outputs == [str(output)]
    assert run.written.history == sqlite_history
    assert output.exists() and recorded_runs(sqlite_history) == 1


def test_an_output_that_fails_leaves_the_history_as_it_was(ruleset, tmp_path, sqlite_history):
    history.open(sqlite_history).close()
    steps = Steps(fail_at="writing", error=InputError("the disk is full"))
    with pytest.raises(InputError, match="the disk is full"):
        evaluate(ruleset, Accounts(SAMPLE), outputs=Outputs(file=str(tmp_path / "s.csv")),
                 history=sqlite_history, as_of="2024-03-01", progress=steps)
    assert recorded_runs(sqlite_history) == 0


def test_an_interruption_says_what_was_written(ruleset, tmp_path, sqlite_history):
    output = tmp_path / "scores.csv"
    steps = Steps(fail_at="delivering the alerts", error=KeyboardInterrupt())
    with pytest.raises(Interrupted) as caught:
        evaluate(ruleset, Accounts(SAMPLE), outputs=Outputs(file=str(output)),
                 history=sqlite_history, as_of="2024-03-01", progress=steps)
    assert caught.value.written.outputs == [str(output)]
    assert caught.value.written.recorded
    assert isinstance(caught.value, KeyboardInterrupt)

    steps = Steps(fail_at="writing", error=KeyboardInterrupt())
    with pytest.raises(Interrupted) as caught:
        evaluate(ruleset, Accounts(SAMPLE), outputs=Outputs(file=str(output)),
                 history=sqlite_history, as_of="2024-03-02", progress=steps)
    assert caught.value.written.outputs == [] and not caught.value.written.recorded
    assert recorded_runs(sqlite_history) == 1


def test_the_output_format_comes_from_the_file_name(tmp_path):
    assert Outputs(file=str(tmp_path / "s.parquet")).file_format == "parquet"
    assert Outputs(file=str(tmp_path / "s.txt"), format="jsonl").file_format == "jsonl"


@pytest.mark.parametrize("make,message", [
    (lambda: Accounts(), "give the accounts: a file, or a database with a query or a table"),
    (lambda: Accounts("a.csv", database="sqlite:///x.db", table="t"),
     "give either a file ('a.csv') or a database, not both"),
    (lambda: Accounts(database="sqlite:///x.db"),
     "with a database, give either a query or a table (one of them)"),
    (lambda: Accounts(table="t"), "query and table read from a database: give database too"),
    (lambda: Accounts(database="sqlite:///x.db", table="t", delimiter=";"),
     "delimiter is for a file of accounts, not for a database"),
    (lambda: Outputs(database="sqlite:///x.db"), "database and table go together"),
    (lambda: Outputs(file="scores.txt"), "cannot tell the output format from 'scores.txt'"),
    (lambda: Outputs(file="scores.json", csv_raw=True), "csv_raw is for a CSV file"),
    (lambda: Outputs(format="xml"), "unknown output format 'xml'"),
])
def test_bad_sources_and_outputs_are_refused_in_parameter_words(make, message):
    with pytest.raises(InputError) as caught:
        make()
    assert str(caught.value).startswith(message)
    assert "--" not in str(caught.value)


def test_history_options_need_a_history(ruleset):
    with pytest.raises(InputError, match="as_of dates a run recorded in a history"):
        evaluate(ruleset, Accounts(SAMPLE), as_of="2024-03-01")
    with pytest.raises(InputError, match="allow_future is for a run recorded in a history"):
        evaluate(ruleset, Accounts(SAMPLE), allow_future=True)


def test_an_unwritable_output_is_refused_before_reading(ruleset, tmp_path):
    steps = Steps()
    with pytest.raises(OutputError, match="does not exist"):
        evaluate(ruleset, Accounts(SAMPLE), progress=steps,
                 outputs=Outputs(file=str(tmp_path / "missing" / "scores.csv")))
    assert steps.seen == []


def test_a_future_date_is_refused_unless_allowed(ruleset, sqlite_history):
    later = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    with pytest.raises(InputError, match="is in the future"):
        evaluate(ruleset, Accounts(SAMPLE), history=sqlite_history, as_of=later)
    assert evaluate(ruleset, Accounts(SAMPLE), history=sqlite_history, as_of=later,
                    allow_future=True).written.recorded


def test_overrides_recorded_and_listed(sqlite_history):
    override = record_override(sqlite_history, "ACC-1", "tier", tier="at_risk",
                               reason="champion left", author="ana", starts="2024-01-01")
    assert (override.starts, override.until, override.author) == ("2024-01-01", None, "ana")
    listing = list_overrides(sqlite_history, as_of="2024-02-01")
    assert listing.day == "2024-02-01"
    assert listing.overrides["account_id"].to_list() == ["ACC-1"]
    assert listing.after_runs is not None and listing.after_runs.is_empty()
    assert list_overrides(sqlite_history, as_of="2023-12-31").overrides.is_empty()
    assert list_overrides(sqlite_history, trail=True).after_runs is None
    with pytest.raises(InputError, match="give a reason"):
        record_override(sqlite_history, "ACC-1", "freeze", reason=" ")


def test_alerts_are_listed_by_account_worst_first():
    found = pl.DataFrame({"ruleset": ["r"] * 4, "account_id": ["a", "b", "b", "c"],
                          "severity": ["info", "warning", "critical", "info"],
                          "score": [50.0, 70.0, 70.0, 10.0], "since": ["2024-01-01"] * 4,
                          "alert": ["x", "y", "z", "w"]})
    ordered = by_account(found)
    assert ordered["account_id"].to_list() == ["b", "b", "c", "a"]
    assert ordered["severity"].to_list()[:2] == ["critical", "warning"]
    assert first_accounts(ordered, 1)["account_id"].to_list() == ["b", "b"]
    assert first_accounts(ordered, 0).height == 4
