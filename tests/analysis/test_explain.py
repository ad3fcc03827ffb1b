"""``healthcore explain`` and :func:`healthcore.analysis.explain.explain`: one account, hand-computed."""

from __future__ import annotations

import healthcore
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from helpers import REPO
from healthcore.cli.main import EXIT_INVALID, EXIT_OK, EXIT_UNSCORED, main
from healthcore.errors import InputError
from healthcore.analysis.explain import explain, number
from healthcore.io.readers import read_accounts
from healthcore.ruleset import load_ruleset

RULESET = """\
healthcore: 1
name: explained
account_id: id
parameters: {late_days: 30}
groups:
  - {id: usage, label: Product usage, weight: 60}
  - {id: support, label: Support, weight: 40, combine: min}
segments:
  - id: enterprise
    when: seats >= 100
    weights: {usage: 40}
    parameters: {late_days: 60}
    tiers: {healthy: 80}
indicators:
  - id: seat_usage
    label: Seat usage
    group: usage
    metric: ratio
    params: {numerator: active, denominator: seats}
    normalize: {target: {value: 0.8, zero_at: 0.8}}
    weight: 3
  - id: nps
    label: NPS
    group: usage
    metric: field
    params: {field: nps}
    normalize: {linear: {worst: -100, best: 100}}
    weight: 1
  - id: tickets
    label: Open tickets
    group: support
    metric: field
    params: {field: tickets}
    normalize: {bands: [{min: 10, points: 20, label: swamped}, {min: 3, points: 60}, {points: 100}]}
    weight: 1
  - id: csat
    group: support
    metric: field
    params: {field: csat}
    normalize: {linear: {worst: 0, best: 100}}
    weight: 1
actions:
  - id: late
    label: Late invoice
    when: overdue > late_days
    points: -10
    reason: Invoice more than {late_days} days overdue
  - id: referral
    when: referrals >= 1
    points: 5
    reason: Referred a customer
tiers:
  - {name: healthy, min: 70, color: green}
  - {name: at_risk, min: 40, color: yellow}
  - {name: unhealthy, min: 0, color: red}
"""

ACCOUNTS = """\
id,seats,active,nps,tickets,csat,overdue,referrals
E-1,200,62,20,12,90,90,1
S-1,10,8,60,1,80,45,0
X-1,,,,,,,
"""
# E-1, segment enterprise (group weights usage 40, support 40; late_days 60; healthy >= 80):
#   seat usage 62/200 = 0.31, target 0.8 zero at 0.8: 100 - 0.49 x 125 = 38.75 points
#   nps 20 -> 60 points; usage (mean) = (3 x 38.75 + 60) / 4 = 44.0625
#   tickets 12 -> 20 points (band 'swamped'); csat 90 -> 90; support (min) = 20, from tickets
#   base = 0.5 x 44.0625 + 0.5 x 20 = 32.03125; late (90 > 60) -10, referral +5 -> 27.03125
#   shares: seat usage 0.5 x 3/4 = 0.375, nps 0.125, tickets 0.5, csat 0
#   costs: seat usage 0.375 x 61.25 = 22.96875, nps 5, tickets 40, csat 0
# S-1, default segment: usage (3 x 100 + 80) / 4 = 95, support min(100, 80) = 80, from csat;
#   base 0.6 x 95 + 0.4 x 80 = 89; late (45 > 30) -10 -> 79, healthy
# no value at all -> status error


@pytest.fixture
def files(tmp_path: Path) -> tuple[str, str]:
    ruleset = tmp_path / "explained.yaml"
    ruleset.write_text(RULESET)
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(ACCOUNTS)
    return str(ruleset), str(accounts)


@pytest.fixture
def explained_of(files, builtin_registry):
    ruleset = load_ruleset(files[0], registry=builtin_registry)
    results = healthcore.score(ruleset, read_accounts(files[1]))
    return lambda account: explain(ruleset, results, account)


def run(*args: str):
    return CliRunner().invoke(main, ["explain", *args], catch_exceptions=False)


# ----------------------------------------------------------------------------- the API

def test_hand_computed_account_with_groups_and_segment(explained_of):
    e = explained_of("E-1")
    assert (e["account_id"], e["row"], e["status"], e["segment"]) == ("E-1", 0, "ok",
                                                                       "enterprise")
    assert e["score"] == pytest.approx(27.03125)
    assert e["base"] == pytest.approx(32.03125)
    assert e["adjustment"] == -5.0
    assert (e["tier"], e["color"]) == ("unhealthy", "red")
    ind = {i["id"]: i for i in e["indicators"]}
    assert ind["seat_usage"]["value"] == pytest.approx(0.31)
    assert ind["seat_usage"]["points"] == pytest.approx(38.75)
    assert ind["seat_usage"]["share"] == pytest.approx(0.375)
    assert ind["seat_usage"]["contribution"] == pytest.approx(14.53125)
    assert ind["seat_usage"]["cost"] == pytest.approx(22.96875)
    assert (ind["nps"]["points"], ind["nps"]["contribution"], ind["nps"]["cost"]) == \
        pytest.approx((60.0, 7.5, 5.0))
    assert (ind["tickets"]["points"], ind["tickets"]["contribution"], ind["tickets"]["cost"]) \
        == pytest.approx((20.0, 10.0, 40.0))
    assert (ind["csat"]["points"], ind["csat"]["contribution"], ind["csat"]["cost"]) == \
        pytest.approx((90.0, 0.0, 0.0))
    assert [i["weight"] for i in e["indicators"]] == [3.0, 1.0, 1.0, 1.0]
    # the contributions add up to the base, and each is share x points, as in the results
    assert sum(i["contribution"] for i in e["indicators"]) == pytest.approx(e["base"])
    for i in e["indicators"]:
        assert i["share"] * i["points"] == pytest.approx(i["contribution"])
    usage, support = e["groups"]
    assert (usage["id"], usage["label"], usage["combine"]) == ("usage", "Product usage", "mean")
    assert (usage["points"], usage["weight"], usage["contribution"], usage["cost"]) == \
        pytest.approx((44.0625, 40.0, 22.03125, 27.96875))
    assert usage["indicators"] == ["seat_usage", "nps"]
    assert (support["points"], support["weight"], support["contribution"]) == \
        pytest.approx((20.0, 40.0, 10.0))
    assert [(a["id"], a["points"], a["reason"]) for a in e["actions"]] == [
        ("late", -10.0, "Invoice more than 60 days overdue"),
        ("referral", 5.0, "Referred a customer")]
    assert e["tiers"] == [
        {"name": "healthy", "label": "healthy", "color": "green", "kind": "min",
         "threshold": 80.0, "current": False},
        {"name": "at_risk", "label": "at_risk", "color": "yellow", "kind": "min",
         "threshold": 40.0, "current": False},
        {"name": "unhealthy", "label": "unhealthy", "color": "red", "kind": "min",
         "threshold": 0.0, "current": True}]
    assert e["population"] == {"accounts": 3, "scored": 2, "percentile_rank": 0.0}
    assert e["errors"] == []


def test_reasons_in_the_authors_words(explained_of):
    assert explained_of("E-1")["reasons"] == [
        "Open tickets 12 (band 'swamped') cost 40.0 points",
        "Seat usage 0.31 (target 0.8) cost 23.0 points",
        "Invoice more than 60 days overdue (-10 points)",
        "NPS 20 (best 100) cost 5.0 points"]
    s = explained_of("S-1")
    assert s["segment"] == "default"
    assert (s["score"], s["tier"]) == (pytest.approx(79.0), "healthy")
    assert s["tiers"][0]["threshold"] == 70.0  # the ruleset's own thresholds
    assert s["population"]["percentile_rank"] == 50.0
    assert s["reasons"] == ["Invoice more than 30 days overdue (-10 points)",
                            "csat 80 (best 100) cost 8.0 points",
                            "NPS 60 (best 100) cost 3.0 points"]


def test_reasons_are_the_engines_with_values(builtin_registry):
    """Same reasons, same order as the results' own, once the value and phrase are removed."""
    import re

    ruleset = load_ruleset(str(REPO / "rulesets" / "saas-b2b.yaml"), registry=builtin_registry)
    results = healthcore.score(ruleset, read_accounts(str(REPO / "rulesets" / "saas-b2b.accounts.csv")))
    for record in results.to_records():
        mine = explain(ruleset, results, record["account_id"])["reasons"]
        labels = {i.label for i in ruleset.indicators}
        stripped = []
        for reason in mine:
            label = next((lab for lab in sorted(labels, key=len, reverse=True)
                          if reason.startswith(lab + " ") and " cost " in reason), None)
            stripped.append(reason if label is None else
                            re.sub(r"^.*? cost ", f"{label} cost ", reason))
        assert stripped == record["reasons"], record["account_id"]


def test_band_phrase_without_label_and_the_unscored_account(explained_of):
    s = explained_of("S-1")
    ind = {i["id"]: i for i in s["indicators"]}
    assert ind["tickets"]["phrase"] == "(band below 3)"
    assert s["groups"][1]["points"] == 80.0
    assert ind["csat"]["share"] == pytest.approx(0.4) and ind["tickets"]["share"] == 0.0
    x = explained_of("X-1")
    assert (x["status"], x["score"], x["tier"], x["base"]) == ("error", None, None, None)
    assert x["reasons"] == [] and x["population"]["percentile_rank"] is None
    assert "no indicator has a value for this account, so it has no score" in x["errors"]
    assert all(i["cost"] is None for i in x["indicators"])


def test_unknown_account_id_says_did_you_mean(explained_of):
    with pytest.raises(InputError) as caught:
        explained_of("E-2")
    message = str(caught.value)
    assert "no account has the id 'E-2' (did you mean 'E-1'?)" in message
    assert "3 accounts" in message and "'id'" in message and "as account_id" in message


def test_numbers_read_well():
    assert [number(v) for v in (0.31, 45.0, 1250000.0, 2.7777777, 0.000123)] == \
        ["0.31", "45", "1,250,000", "2.778", "0.000123"]


# ----------------------------------------------------------------------------- the command

def test_json_output_and_exit_code_0(files):
    result = run(*files, "--account", "E-1", "--format", "json")
    assert result.exit_code == EXIT_OK, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"ruleset", "account_id", "row", "rows", "status", "score", "tier",
                         "color", "base", "adjustment", "segment", "groups", "indicators",
                         "actions", "tiers", "population", "reasons", "errors"}
    assert (data["row"], data["rows"]) == (0, [0])
    assert set(data["indicators"][0]) == {"id", "label", "group", "value", "points", "weight",
                                          "share", "contribution", "cost", "normalizer",
                                          "phrase"}
    assert set(data["groups"][0]) == {"id", "label", "combine", "points", "weight", "share",
                                      "contribution", "cost", "indicators"}
    assert data["score"] == pytest.approx(27.03125)
    assert data["reasons"][1] == "Seat usage 0.31 (target 0.8) cost 23.0 points"


def test_panel_shows_the_key_figures(files):
    result = CliRunner().invoke(main, ["explain", *files, "--account", "E-1"],
                                catch_exceptions=False, terminal_width=120)
    assert result.exit_code == EXIT_OK, result.output
    out = result.stdout
    for text in ("explained: account E-1", "score 27.0", "unhealthy", "segment enterprise",
                 "Product usage (mean)", "Support (min)", "Seat usage", "0.31", "60.0",
                 "14.53", "44.1", "22.03", "Invoice more than 60 days overdue",
                 "Referred a customer", "healthy >= 80", "[unhealthy >= 0]",
                 "Open tickets 12 (band 'swamped') cost 40.0 points"):
        assert text in out, text


def test_unscored_account_is_explained_with_exit_code_1(files):
    result = run(*files, "--account", "X-1")
    assert result.exit_code == EXIT_UNSCORED
    assert "not scored" in result.stdout
    assert "no indicator has a value for this account" in result.stdout
    assert "account 'X-1' could not be scored" in result.stderr


def test_unknown_account_exit_code_2(files):
    result = run(*files, "--account", "e-1")
    assert result.exit_code == EXIT_INVALID
    assert "error: no account has the id 'e-1' (did you mean 'E-1'?)" in result.stderr
    assert result.stdout == ""


def test_invalid_ruleset_and_unreadable_input_exit_code_2(files, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(RULESET.replace("metric: field", "metric: feild", 1))
    result = run(str(bad), files[1], "--account", "E-1")
    assert result.exit_code == EXIT_INVALID
    assert "the ruleset was not used" in result.stderr
    result = run(files[0], str(tmp_path / "missing.csv"), "--account", "E-1")
    assert result.exit_code == EXIT_INVALID
    assert "cannot read the file" in result.stderr
    result = run(*files)
    assert result.exit_code == EXIT_INVALID and "--account" in result.stderr


def test_standard_input_with_input_format(files):
    result = CliRunner().invoke(main, ["explain", files[0], "-", "--input-format", "csv",
                                       "--account", "S-1", "-f", "json"], input=ACCOUNTS,
                                catch_exceptions=False)
    assert result.exit_code == EXIT_OK
    assert json.loads(result.stdout)["tier"] == "healthy"


def test_percentile_tiers_depend_on_the_batch(tmp_path, builtin_registry):
    ruleset = tmp_path / "p.yaml"
    ruleset.write_text("""\
healthcore: 1
name: p
account_id: id
indicators:
  - {id: x, metric: field, params: {field: x}, normalize: {linear: {worst: 0, best: 100}},
     weight: 1}
tiers:
  - {name: top, percentile: 50}
  - {name: rest, percentile: 0}
""")
    compiled = load_ruleset(str(ruleset), registry=builtin_registry)
    rows = [{"id": str(n), "x": float(n)} for n in (10, 20, 30, 40)]
    e = explain(compiled, healthcore.score(compiled, rows), "30")
    assert (e["tier"], e["population"]["percentile_rank"]) == ("top", 50.0)
    assert [(t["kind"], t["threshold"]) for t in e["tiers"]] == [("percentile", 50.0),
                                                                  ("percentile", 0.0)]
    assert explain(compiled, healthcore.score(compiled, rows + [{"id": "99", "x": 99.0},
                                                    {"id": "98", "x": 98.0}]), "30")["tier"] \
        == "rest"


# ----------------------------------------------------------------------------- hostile text

HOSTILE = """\
healthcore: 1
name: shop
account_id: id
indicators:
  - {id: usage, label: "[/]seats\\e[2J", metric: field, params: {field: usage},
     normalize: {linear: {worst: 0, best: 100}}, weight: 1}
actions:
  - {id: late, when: late, points: -10, reason: "[/] overdue [red]"}
tiers:
  - {name: ok, min: 50}
  - {name: low, min: 0}
"""


def test_markup_and_control_characters_are_shown_as_written(tmp_path):
    """Ids, labels, reasons and tiers come from exports and rulesets: rich markup in them is
    not interpreted (it crashed the panel, or changed the id shown) and control characters
    are escaped."""
    ruleset = tmp_path / "hostile.yaml"
    ruleset.write_text(HOSTILE)
    accounts = tmp_path / "accounts.csv"
    accounts.write_text('id,usage,late\n[/],80,true\n[bold red]boom,40,false\n'
                        '"line\nbreak\x1b[2J",60,false\n')
    out = CliRunner().invoke(main, ["explain", str(ruleset), str(accounts), "--account", "[/]"],
                             catch_exceptions=False, terminal_width=100)
    assert out.exit_code == EXIT_OK, out.output
    for text in ("shop: account [/]", "score 70.0  ok", "[/]seats\\x1b[2J",
                 "-10  [/] overdue [red]", "Tiers: [ok >= 50], low >= 0",
                 "- [/] overdue [red] (-10 points)",
                 "- [/]seats\\x1b[2J 80 (best 100) cost 20.0 points"):
        assert text in out.stdout, text
    assert "\x1b" not in out.stdout
    out = CliRunner().invoke(main, ["explain", str(ruleset), str(accounts), "--account",
                                    "[bold red]boom"], catch_exceptions=False, terminal_width=100)
    assert "shop: account [bold red]boom" in out.stdout
    assert "score 40.0  low" in out.stdout
    out = CliRunner().invoke(main, ["explain", str(ruleset), str(accounts), "--account",
                                    "line\nbreak\x1b[2J"], catch_exceptions=False,
                             terminal_width=100)
    assert out.exit_code == EXIT_OK, out.output
    assert "account line\\x0abreak\\x1b[2J" in out.stdout and "\x1b" not in out.stdout


# ----------------------------------------------------------------------------- repeated ids

REPEATED = ACCOUNTS + "S-1,10,2,60,1,80,0,0\n"
# the second S-1 (row 3): seat usage 2/10 = 0.2, target 0.8 zero at 0.8: 100 - 0.6 x 125 = 25
#   usage (3 x 25 + 80) / 4 = 38.75, support min(100, 80) = 80: 0.6 x 38.75 + 0.4 x 80 = 55.25,
#   not late: at_risk


def test_a_repeated_id_explains_the_first_row_and_says_so(tmp_path):
    ruleset = tmp_path / "explained.yaml"
    ruleset.write_text(RULESET)
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(REPEATED)
    first = run(str(ruleset), str(accounts), "--account", "S-1", "-f", "json")
    assert first.exit_code == EXIT_OK, first.output
    data = json.loads(first.stdout)
    assert (data["row"], data["rows"], data["score"]) == (1, [1, 3], pytest.approx(79.0))
    assert first.stderr == ("warning: account id 'S-1' is on 2 rows of the input (rows 1 and "
                            "3, counted from 0): each row is scored on its own; row 1 is "
                            "explained (--row N explains another); check the export\n")
    other = run(str(ruleset), str(accounts), "--account", "S-1", "--row", "3", "-f", "json")
    assert other.exit_code == EXIT_OK and other.stderr == ""
    data = json.loads(other.stdout)
    assert (data["row"], data["score"], data["tier"]) == (3, pytest.approx(55.25), "at_risk")
    panel = CliRunner().invoke(main, ["explain", str(ruleset), str(accounts), "--account",
                                      "S-1", "--row", "3"], terminal_width=100)
    assert "explained: account S-1 (row 3)" in panel.stdout
    wrong = run(str(ruleset), str(accounts), "--account", "S-1", "--row", "0")
    assert wrong.exit_code == EXIT_INVALID
    assert wrong.stderr == ("error: account 'S-1' is on rows 1 and 3 of the input (counted "
                            "from 0), not on row 0: give one of them with --row\n")


def test_the_row_of_a_unique_id(explained_of, files, builtin_registry):
    assert explained_of("S-1")["rows"] == [1]
    ruleset = load_ruleset(files[0], registry=builtin_registry)
    results = healthcore.score(ruleset, read_accounts(files[1]))
    assert explain(ruleset, results, "S-1", row=1)["score"] == pytest.approx(79.0)
    with pytest.raises(InputError) as caught:
        explain(ruleset, results, "S-1", row=2)
    assert str(caught.value) == ("account 'S-1' is on row 1 of the input (counted from 0), "
                                 "not on row 2: give one of them as row")
