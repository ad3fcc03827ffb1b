"""Early warning on a score history: previous(...) in expressions, alerts declared in the
ruleset (one per episode, with a cool-down, delivered to plugins), and manual overrides with
their audit trail. Every test runs on a SQLite file and on a real PostgreSQL server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from healthcore.cli.main import main
from healthcore.errors import RulesetError
from healthcore.ruleset import loads_ruleset

RULESET = """\
healthcore: 1
name: usage-slide
indicators:
  - id: usage
    metric: field
    params: {field: usage}
    normalize: {linear: {worst: 0, best: 100}}
    weight: 1
actions:
  - id: usage_fell
    when: "usage < 0.7 * previous(usage, 30)"
    points: -5
    reason: usage fell 30 % in 30 days
tiers:
  - {name: healthy, min: 70, color: green}
  - {name: watch, min: 40, color: yellow}
  - {name: at_risk, min: 0, color: red}
alerts:
  - {id: slipped, kind: tier_worsened, severity: critical}
"""

# A's usage falls step by step; B stays; C arrives in the second run
SLIDE = {
    "2024-01-01": "account_id,usage\nA,90\nB,80\n",
    "2024-02-01": "account_id,usage\nA,60\nB,80\nC,75\n",
    "2024-03-01": "account_id,usage\nA,30\nB,80\nC,75\n",
}


def run(tmp_path: Path, target: str, day: str, accounts: str, ruleset: str = RULESET,
        *extra: str):
    ruleset_file = tmp_path / "ruleset.yaml"
    ruleset_file.write_text(ruleset, encoding="utf-8")
    accounts_file = tmp_path / f"accounts-{day}.csv"
    accounts_file.write_text(accounts, encoding="utf-8")
    return CliRunner().invoke(main, ["evaluate", str(ruleset_file), str(accounts_file),
                                     "--history", target, "--as-of", day, "-f", "json",
                                     *extra])


def scored(result) -> dict[str, dict]:
    assert result.exit_code == 0, result.output
    return {row["account_id"]: row for row in json.loads(result.stdout)}


def cli(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result


def open_alerts(target: str, *extra: str) -> list[dict]:
    return json.loads(cli("alerts", "--history", target, "-f", "json", *extra).stdout)["alerts"]


# --------------------------------------------------------------- the check, end to end

def test_three_dated_runs_deltas_one_alert_and_an_override_that_expires(tmp_path, target):
    first = scored(run(tmp_path, target, "2024-01-01", SLIDE["2024-01-01"]))
    assert (first["A"]["score"], first["A"]["score_delta"], first["A"]["tier"]) == (
        90.0, None, "healthy")
    assert open_alerts(target) == []

    cli("override", "B", "--history", target, "--tier", "at_risk", "--reason",
        "champion left", "--from", "2024-02-01", "--until", "2024-02-20", "--by", "ana")
    second_run = run(tmp_path, target, "2024-02-01", SLIDE["2024-02-01"])
    second = scored(second_run)
    # usage 90 -> 60 is a fall of a third (below 0.7 x 90 = 63): -5 points
    assert (second["A"]["score"], second["A"]["score_delta"], second["A"]["previous_tier"],
            second["A"]["tier"]) == (55.0, -35.0, "healthy", "watch")
    assert second["A"]["actions"] == ["usage_fell"]
    assert (second["B"]["tier"], second["B"]["computed_tier"], second["B"]["score"]) == (
        "at_risk", "healthy", 80.0)
    assert second["B"]["override"] == "tier at_risk until 2024-02-20 (by ana: champion left)"
    assert (second["C"]["score_delta"], second["C"]["previous_tier"]) == (None, None)
    assert "2 alerts raised (slipped x2)" in second_run.stderr
    raised = open_alerts(target)
    assert [(a["alert"], a["account_id"], a["since"], a["raised"], a["severity"])
            for a in raised] == [("slipped", "A", "2024-02-01", True, "critical"),
                                 ("slipped", "B", "2024-02-01", True, "critical")]
    assert raised[0]["message"] == "tier fell from healthy to watch"

    third_run = run(tmp_path, target, "2024-03-01", SLIDE["2024-03-01"])
    third = scored(third_run)
    # 60 -> 30 is a fall by half: -5 again; still the same episode for A, so no new alert
    assert (third["A"]["score"], third["A"]["score_delta"], third["A"]["tier"]) == (
        25.0, -30.0, "at_risk")
    # the override expired on 2024-02-20: B is back to what its data says
    assert (third["B"]["tier"], third["B"]["override"], third["B"]["previous_tier"]) == (
        "healthy", None, "at_risk")
    assert "alert" not in third_run.stderr
    still = open_alerts(target)
    assert [(a["account_id"], a["since"], a["raised"], a["message"]) for a in still] == [
        ("A", "2024-02-01", False, "tier fell from healthy to at_risk")]
    assert open_alerts(target, "--new") == []

    trail = json.loads(cli("overrides", "B", "--history", target, "--all", "-f",
                           "json").stdout)["overrides"]
    assert [(o["kind"], o["tier"], o["author"], o["starts"], o["until"]) for o in trail] == [
        ("tier", "at_risk", "ana", "2024-02-01", "2024-02-20")]
    now = json.loads(cli("overrides", "--history", target, "--as-of", "2024-03-01", "-f",
                         "json").stdout)
    assert now == {"overrides": [], "after_runs": []}
    timeline = json.loads(cli("history", "B", "--history", target, "-f", "json").stdout)
    assert [(r["tier"], r["override"]) for r in timeline["runs"]] == [
        ("healthy", None), ("at_risk", "tier at_risk until 2024-02-20 (by ana: champion left)"),
        ("healthy", None)]


def test_rerunning_a_date_replaces_its_alerts_without_raising_them_again(tmp_path, target):
    run(tmp_path, target, "2024-01-01", SLIDE["2024-01-01"])
    assert "1 alert raised" in run(tmp_path, target, "2024-02-01", "account_id,usage\nA,60\n"
                                   ).stderr
    again = run(tmp_path, target, "2024-02-01", "account_id,usage\nA,60\nB,10\n")
    assert "1 alert raised (slipped x1)" in again.stderr  # B's, not A's again
    assert [(a["account_id"], a["raised"]) for a in open_alerts(target)] == [
        ("B", True), ("A", True)]  # same severity: the lowest score (B's 10) first
    recovered = run(tmp_path, target, "2024-02-01", "account_id,usage\nA,95\nB,80\n")
    assert "alert" not in recovered.stderr and open_alerts(target) == []


# ------------------------------------------------------------------------------ alert kinds

NO_ACTIONS = RULESET.replace("""actions:
  - id: usage_fell
    when: "usage < 0.7 * previous(usage, 30)"
    points: -5
    reason: usage fell 30 % in 30 days
""", "")
KINDS = NO_ACTIONS.replace("alerts:\n  - {id: slipped, kind: tier_worsened, severity: critical}\n",
                        """alerts:
  - {id: drop, kind: score_drop, points: 20, within_days: 45}
  - {id: low, kind: indicator, indicator: usage, below: 30, cooldown_days: 40}
  - {id: huge, kind: indicator, indicator: usage, of: value, above: 1000, severity: info}
  - {id: stuck, kind: stays_in_tier, tier: [at_risk], runs: 3}
""")


def raised_on(tmp_path, target, day, usage, ruleset=KINDS) -> list[str]:
    result = run(tmp_path, target, day, f"account_id,usage\nA,{usage}\n", ruleset)
    scored(result)
    return sorted(a["alert"] for a in open_alerts(target, "--new"))


def test_each_kind_of_alert_and_the_cool_down(tmp_path, target):
    assert raised_on(tmp_path, target, "2024-01-01", 90) == []
    # 90 -> 65 within 45 days: a fall of 25 points (>= 20)
    assert raised_on(tmp_path, target, "2024-02-01", 65) == ["drop"]
    # no run in the 45 days before Mar 20 (Feb 1 is 48 days back): the drop episode ends;
    # usage 20 is below 30: low is raised
    assert raised_on(tmp_path, target, "2024-03-20", 20) == ["low"]
    # 35 is not below 30: the low episode ends
    assert raised_on(tmp_path, target, "2024-04-01", 35) == []
    # below 30 again 39 days after the low episode's last run: within its 40-day cool-down,
    # the episode resumes (no new alert). drop has no cool-down: the highest score within 45
    # days is 35 (Apr 1), a fall of 25, so a new drop episode. at_risk 3 runs in a row: stuck
    assert raised_on(tmp_path, target, "2024-04-28", 10) == ["drop", "stuck"]
    low = [a for a in open_alerts(target) if a["alert"] == "low"]
    assert [(a["since"], a["message"]) for a in low] == [("2024-03-20",
                                                           "usage points 10.0 below 30")]
    assert raised_on(tmp_path, target, "2024-06-01", 5) == []  # every episode goes on
    assert raised_on(tmp_path, target, "2024-08-01", 80) == []  # and ends
    # below 30 more than 40 days after the low episode's last run (Jun 1): a new episode
    assert raised_on(tmp_path, target, "2024-10-01", 10) == ["low"]
    assert raised_on(tmp_path, target, "2024-11-01", 2000) == ["huge"]  # a value, not points


def test_windows_reaching_before_the_year_1_hold_every_earlier_run(tmp_path, target):
    assert raised_on(tmp_path, target, "0001-01-01", 10) == ["low"]
    assert raised_on(tmp_path, target, "0001-01-15", 50) == []
    # the highest score within 45 days is 50 (Jan 15): a fall of 40; low holds again 31 days
    # after its last run, within its 40-day cool-down: the episode resumes, no new alert
    assert raised_on(tmp_path, target, "0001-02-01", 10) == ["drop"]
    assert [(a["alert"], a["since"]) for a in open_alerts(target)] == [
        ("low", "0001-01-01"), ("drop", "0001-02-01")]


def test_a_failed_output_raises_no_alert_until_the_run_is_recorded(tmp_path, target):
    run(tmp_path, target, "2024-01-01", SLIDE["2024-01-01"])
    broken = tmp_path / "notes.db"
    broken.write_text("not a database", encoding="utf-8")
    failed = run(tmp_path, target, "2024-02-01", SLIDE["2024-02-01"], RULESET,
                 "--to-db", f"sqlite:///{broken}", "--to-table", "scores")
    assert failed.exit_code == 2 and "cannot create table 'scores'" in failed.stderr
    assert "alert" not in failed.stderr and open_alerts(target) == []
    fixed = run(tmp_path, target, "2024-02-01", SLIDE["2024-02-01"], RULESET,
                "--to-db", f"sqlite:///{tmp_path / 'scores.db'}", "--to-table", "scores")
    assert fixed.exit_code == 0, fixed.output
    assert "1 alert raised (slipped x1)" in fixed.stderr
    assert [(a["account_id"], a["raised"]) for a in open_alerts(target)] == [("A", True)]


def test_deleting_a_run_deletes_its_alerts(tmp_path, target):
    for day, accounts in SLIDE.items():
        scored(run(tmp_path, target, day, accounts))
    deleted = cli("history", "--delete", "--as-of", "2024-03-01", "--history", target,
                  "--ruleset", "usage-slide")
    assert deleted.stdout == "deleted the run of usage-slide on 2024-03-01: 3 accounts, 1 alert\n"
    # the latest run is now Feb 1, which raised the alert
    assert [(a["as_of"], a["account_id"], a["raised"], a["message"])
            for a in open_alerts(target)] == [
        ("2024-02-01", "A", True, "tier fell from healthy to watch")]


def test_stays_in_tier_needs_enough_runs(tmp_path, target):
    assert raised_on(tmp_path, target, "2024-01-01", 10) == ["low"]
    assert raised_on(tmp_path, target, "2024-02-01", 10) == []
    assert raised_on(tmp_path, target, "2024-03-01", 10) == ["stuck"]


def test_alert_declarations_are_checked_at_load(builtin_registry):
    text = RULESET.replace("alerts:\n  - {id: slipped, kind: tier_worsened, severity: critical}\n",
                           """alerts:
  - {id: a, kind: indicator, indicator: usag, below: 3}
  - {id: b, kind: stays_in_tier, tier: atrisk, runs: 2}
  - {id: c, kind: tier_worsened, points: 3}
  - {id: d, kind: indicator, indicator: usage}
  - {id: a, kind: score_drop, points: 5}
""")
    with pytest.raises(RulesetError) as caught:
        loads_ruleset(text, "r.yaml", registry=builtin_registry)
    assert [str(d) for d in caught.value.diagnostics] == [
        "r.yaml:19:41: alerts[0].indicator: unknown indicator 'usag' (did you mean 'usage'?)",
        "r.yaml:20:40: alerts[1].tier: unknown tier 'atrisk' (did you mean 'at_risk'?); the "
        "tiers are healthy, watch, at_risk",
        "r.yaml:21:34: alerts[2].points: 'points' does not apply to a tier_worsened alert "
        "(allowed: cooldown_days, id, kind, label, severity)",
        "r.yaml:22:5: alerts[3]: an indicator alert needs exactly one of 'below' or 'above'",
        "r.yaml:23:5: alerts[4]: 'within_days' is required",
        "r.yaml:23:10: alerts[4].id: the id 'a' is already used by alerts[0]",
    ]


# ------------------------------------------------------------------------------- delivery

PLUGIN = """\
import json, os
from healthcore import hookimpl

@hookimpl
def healthcore_deliver_alerts(alerts):
    with open(os.environ["ALERT_OUTBOX"], "a", encoding="utf-8") as outbox:
        for alert in alerts:
            outbox.write(json.dumps(alert) + "\\n")
"""

BROKEN = """\
from healthcore import hookimpl

@hookimpl
def healthcore_deliver_alerts(alerts):
    raise ConnectionError("chat service unreachable")
"""


def test_a_plugin_receives_each_alert_once_and_a_failing_one_loses_nothing(
        tmp_path, target, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    (site / "outbox_plugin.py").write_text(PLUGIN, encoding="utf-8")
    (site / "broken_plugin.py").write_text(BROKEN, encoding="utf-8")
    monkeypatch.syspath_prepend(str(site))
    outbox = tmp_path / "outbox.jsonl"
    monkeypatch.setenv("ALERT_OUTBOX", str(outbox))
    plugins = ("--plugin", "outbox_plugin", "--plugin", "broken_plugin")
    for day, accounts in SLIDE.items():
        result = run(tmp_path, target, day, accounts, RULESET, *plugins)
        assert result.exit_code == 0, result.output
        if day == "2024-02-01":
            assert ("plugin 'broken_plugin' failed to deliver 1 alert: ConnectionError: chat "
                    "service unreachable") in result.stderr
    sent = [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines()]
    assert sent == [{"id": "beb87be75de5066f88e3", "alert": "slipped", "label": "slipped",
                     "severity": "critical",
                     "account_id": "A", "score": 55.0, "tier": "watch", "since": "2024-02-01",
                     "message": "tier fell from healthy to watch", "ruleset": "usage-slide",
                     "as_of": "2024-02-01"}]
    assert len(open_alerts(target)) == 1


# ------------------------------------------------------------------------------ overrides

PERCENTILE = RULESET.replace("""  - {name: healthy, min: 70, color: green}
  - {name: watch, min: 40, color: yellow}
  - {name: at_risk, min: 0, color: red}""", """  - {name: top, percentile: 50, color: green}
  - {name: bottom, percentile: 0, color: red}""").replace(
    "  - {id: slipped, kind: tier_worsened, severity: critical}\n",
    "  - {id: low, kind: indicator, indicator: usage, below: 50}\n")


def test_churned_accounts_keep_their_last_score_and_leave_the_percentiles(tmp_path, target):
    run(tmp_path, target, "2024-01-01", "account_id,usage\nA,10\nB,20\nC,30\nD,40\n",
        PERCENTILE)
    cli("override", "A", "--history", target, "--churned", "--reason", "did not renew",
        "--from", "2024-01-15", "--by", "sam")
    later = scored(run(tmp_path, target, "2024-02-01",
                       "account_id,usage\nA,\nB,20\nC,30\nD,40\n", PERCENTILE))
    # A has no data any more: it keeps 10.0 and its tier, and is not an error
    assert (later["A"]["status"], later["A"]["score"], later["A"]["tier"],
            later["A"]["computed_score"]) == ("ok", 10.0, "bottom", None)
    assert later["A"]["override"] == "churned (by sam: did not renew)"
    # ranked among B, C, D only: B is below 50 %, C (1 of 3 lower: 33 %) too, D (67 %) top
    assert [later[k]["tier"] for k in "BCD"] == ["bottom", "bottom", "top"]
    assert [a["account_id"] for a in open_alerts(target)] == ["B", "C", "D"]


def test_freeze_keeps_the_recorded_score_until_cleared(tmp_path, target):
    run(tmp_path, target, "2024-01-01", "account_id,usage\nA,80\n")
    cli("override", "A", "--history", target, "--freeze", "--reason", "data migration",
        "--from", "2024-01-10")
    frozen = scored(run(tmp_path, target, "2024-02-01", "account_id,usage\nA,20\n"))["A"]
    assert (frozen["score"], frozen["tier"], frozen["computed_score"], frozen["score_delta"]
            ) == (80.0, "healthy", 15.0, 0.0)
    cli("override", "A", "--history", target, "--clear", "--reason", "migration done",
        "--from", "2024-02-15")
    free = scored(run(tmp_path, target, "2024-03-01", "account_id,usage\nA,20\n"))["A"]
    assert (free["score"], free["tier"], free["override"]) == (15.0, "at_risk", None)
    trail = json.loads(cli("overrides", "A", "--history", target, "--all", "-f",
                           "json").stdout)["overrides"]
    assert [(o["kind"], o["reason"]) for o in trail] == [("freeze", "data migration"),
                                                         ("clear", "migration done")]


def in_force_listed(target: str, day: str) -> list[tuple]:
    listed = json.loads(cli("overrides", "--history", target, "--as-of", day, "-f",
                            "json").stdout)["overrides"]
    return [(o["account_id"], o["kind"], o["ruleset"], o["except_rulesets"]) for o in listed]


def test_overrides_lists_exactly_what_runs_apply(tmp_path, target):
    scored(run(tmp_path, target, "2024-01-01", SLIDE["2024-01-01"]))
    override = ("override", "--history", target, "--reason", "why", "--by", "ana")
    # A: a tier for this ruleset, then a clear for every ruleset: nothing applies
    cli(*override, "A", "--tier", "at_risk", "--ruleset", "usage-slide", "--from", "2024-02-01")
    cli(*override, "A", "--clear", "--from", "2024-02-05")
    # B: a tier for every ruleset, then a clear for this ruleset: applies to others only
    cli(*override, "B", "--tier", "at_risk", "--from", "2024-02-01")
    cli(*override, "B", "--clear", "--ruleset", "usage-slide", "--from", "2024-02-05")
    # C: a freeze for every ruleset, then a tier for another ruleset
    cli(*override, "C", "--freeze", "--from", "2024-02-01")
    cli(*override, "C", "--tier", "watch", "--ruleset", "other", "--from", "2024-02-02")
    assert in_force_listed(target, "2024-02-10") == [
        ("B", "tier", None, ["usage-slide"]), ("C", "freeze", None, ["other"]),
        ("C", "tier", "other", [])]
    assert in_force_listed(target, "2024-02-03") == [
        ("A", "tier", "usage-slide", []), ("B", "tier", None, []),
        ("C", "freeze", None, ["other"]), ("C", "tier", "other", [])]
    later = scored(run(tmp_path, target, "2024-02-10", SLIDE["2024-02-01"]))
    assert [(later[k]["tier"], later[k]["override"]) for k in "AB"] == [
        ("watch", None), ("healthy", None)]
    assert later["C"]["override"] == "frozen (by ana: why)"


@pytest.mark.parametrize("args, message", [
    (["--tier", "watch", "--freeze"], "give exactly one of --tier TIER, --freeze, --churned "
                                      "or --clear"),
    (["--churned", "--reason", " "], "give a --reason: every override is kept with who made "
                                     "it and why"),
    (["--freeze", "--from", "2024-05-01", "--until", "2024-04-01"],
     "--until 2024-04-01 is before the override starts (2024-05-01): it would never apply"),
    (["--freeze", "--until", "next week"], "--until: 'next week' is not a date"),
])
def test_override_mistakes_are_explained(tmp_path, args, message):
    if "--reason" not in args:
        args = [*args, "--reason", "why"]
    result = CliRunner().invoke(main, ["override", "A", "--history", str(tmp_path / "h.db"),
                                       *args])
    assert result.exit_code == 2 and message in result.stderr, result.output


def test_an_override_naming_an_unknown_tier_is_not_applied_and_says_so(tmp_path, target):
    cli("override", "A", "--history", target, "--tier", "at-risk", "--reason", "typo",
        "--from", "2024-01-01")
    result = run(tmp_path, target, "2024-01-02", "account_id,usage\nA,90\n")
    assert scored(result)["A"]["tier"] == "healthy"
    assert ("the override of account 'A' puts it in tier 'at-risk', which ruleset "
            "'usage-slide' does not have (its tiers: healthy, watch, at_risk)") in result.stderr


# ------------------------------------------------------------------------------ previous()

def test_previous_reads_the_run_at_least_the_days_back(tmp_path, target):
    ruleset = RULESET.replace('when: "usage < 0.7 * previous(usage, 30)"',
                              'when: "previous(tier, 30) == \'healthy\' and score_now < 70"'
                              ).replace("  - id: usage\n", """  - id: score_now
    metric: field
    params: {field: usage}
    normalize: {linear: {worst: 0, best: 100}}
    weight: 0
  - id: usage
""")
    run(tmp_path, target, "2024-01-01", "account_id,usage,score_now\nA,90,90\n", ruleset)
    # 10 days later the run of 30 days before does not exist yet: previous(tier, 30) is null
    ten = scored(run(tmp_path, target, "2024-01-11", "account_id,usage,score_now\nA,60,60\n",
                     ruleset))["A"]
    assert (ten["score"], ten["actions"]) == (60.0, [])
    month = scored(run(tmp_path, target, "2024-02-01", "account_id,usage,score_now\nA,60,60\n",
                       ruleset))["A"]
    assert (month["score"], month["actions"]) == (55.0, ["usage_fell"])


def test_previous_without_a_history_is_empty_with_a_warning(tmp_path):
    ruleset_file = tmp_path / "r.yaml"
    ruleset_file.write_text(RULESET, encoding="utf-8")
    accounts = tmp_path / "a.csv"
    accounts.write_text("account_id,usage\nA,10\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["evaluate", str(ruleset_file), str(accounts), "-f",
                                       "json"])
    assert json.loads(result.stdout)[0]["score"] == 10.0
    assert ("the ruleset reads the score history (previous(usage, 30)) but no history is "
            "given") in result.stderr


@pytest.mark.parametrize("expression, message", [
    ("previous(usag) > 1", "r.yaml:11:11: actions[0].when: previous(usag): 'usag' is not "
                           "recorded in the history (did you mean 'usage'?)"),
    ("previous(usage, 2.5) > 1", "the days back must be a whole number from 0 to 3660"),
    ("previous(tier) > 1", "previous(tier) is text, but it is used as a number"),
    ("previous(1) > 1", "previous() takes what to look back at"),
])
def test_previous_mistakes_are_reported_at_load(builtin_registry, expression, message):
    text = RULESET.replace("usage < 0.7 * previous(usage, 30)", expression)
    with pytest.raises(RulesetError) as caught:
        loads_ruleset(text, "r.yaml", registry=builtin_registry)
    assert message in str(caught.value.diagnostics[0])


def test_the_table_shows_the_change_and_the_override(tmp_path, target, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    run(tmp_path, target, "2024-01-01", "account_id,usage\nA,90\n")
    cli("override", "A", "--history", target, "--tier", "watch", "--reason", "escalation",
        "--from", "2024-01-02", "--by", "ana")
    result = run(tmp_path, target, "2024-02-01", "account_id,usage\nA,80\n", RULESET,
                 "-f", "table")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "change" in text and "-10.0" in text and "watch *" in text
    assert "* override: tier watch (by ana: escalation)" in text


def test_history_commands_show_hostile_ids_and_reasons_as_text(tmp_path, target, monkeypatch):
    """Ids and reasons come from exports and from people: in the alerts, overrides and history
    output their control characters are shown escaped and rich markup is not interpreted."""
    monkeypatch.setenv("COLUMNS", "250")
    hostile = "A\x1b[2J[bold]x"
    run(tmp_path, target, "2024-01-01", f'account_id,usage\n"{hostile}",90\n')
    run(tmp_path, target, "2024-02-01", f'account_id,usage\n"{hostile}",30\n')
    cli("override", hostile, "--history", target, "--freeze", "--reason",
        "why\x1b]0;pwned\x07", "--by", "[red]ana")
    shown = "A\\x1b[2J[bold]x"
    for args in (["alerts", "--history", target], ["overrides", "--history", target],
                 ["history", hostile, "--history", target]):
        output = cli(*args).stdout
        assert "\x1b" not in output and "\x07" not in output, args
        assert shown in output.replace("\n", ""), args
    overrides = cli("overrides", "--history", target).stdout
    assert "why\\x1b]0;pwned\\x07" in overrides.replace("\n", "") and "[red]ana" in overrides


def test_the_alerts_table_keeps_the_reason_readable_at_80_columns(tmp_path, target,
                                                                  monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    long_id = "ACCOUNT-" + "7" * 60
    run(tmp_path, target, "2024-01-01", f"account_id,usage\n{long_id},90\n")
    run(tmp_path, target, "2024-02-01", f"account_id,usage\n{long_id},30\n")
    lines = cli("alerts", "--history", target).stdout.splitlines()
    assert max(map(len, lines)) <= 80
    assert any("tier fell from" in line for line in lines)  # the reason keeps its words
