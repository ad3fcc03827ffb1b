"""healthcore backtest: tier churn rates, lifts and AUCs computed by hand on ten accounts, the AUC
against scikit-learn's on seeded synthetic accounts, the outcome field's spellings, and every
mistake a user can make, with its message."""

from __future__ import annotations

import healthcore
import json

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import roc_auc_score

from healthcore import loads_ruleset
from healthcore.analysis.backtest import (UNSCORED, auc_expr, backtest, flag, outcome_rule,
                                 read_outcomes)
from healthcore.cli.render.analysis import render_backtest
from healthcore.errors import InputError
from helpers import run_cli as run

RULESET = """\
healthcore: 1
name: tiny
account_id: id
indicators:
  - {id: usage, metric: field, params: {field: usage}, normalize: {linear: {worst: 0, best: 100}}, weight: 3}
  # more tickets, more points: the wrong way round on purpose
  - {id: tickets, metric: field, params: {field: tickets}, normalize: {linear: {worst: 0, best: 100}}, weight: 1}
tiers:
  - {name: healthy, min: 70, color: green}
  - {name: at_risk, min: 40, color: yellow}
  - {name: unhealthy, min: 0, color: red}
"""
# score = (3 x usage + tickets) / 4, or usage alone when tickets is missing
ACCOUNTS = """\
id,usage,tickets,churned
A1,90,10,No
A2,80,40,no
A3,75,,Yes
A4,60,40,FALSE
A5,50,60,1
A6,30,80,churned
A7,30,80,0
A8,10,70,y
A9,50,50,
A10,40,20,maybe
"""
# A1 (270 + 10) / 4 = 70 healthy, retained     A2 (240 + 40) / 4 = 70 healthy, retained
# A3 75 (usage only) healthy, churned          A4 (180 + 40) / 4 = 55 at_risk, retained
# A5 (150 + 60) / 4 = 52.5 at_risk, churned    A6 (90 + 80) / 4 = 42.5 at_risk, churned
# A7 42.5 at_risk, retained                    A8 (30 + 70) / 4 = 25 unhealthy, churned
# A9: no outcome; A10: 'maybe' is neither: both left out of the figures.
#
# 8 labelled, 4 churned: base rate 0.5.
# healthy 3 accounts, 1 churned: 1/3, lift 2/3; at_risk 4, 2: 0.5, lift 1;
# unhealthy 1, 1: 1, lift 2.
# AUC of the score: retained 70, 70, 55, 42.5 against churned 75, 52.5, 42.5, 25:
#   70 beats 3 (twice), 55 beats 3, 42.5 beats 25 and ties 42.5: 3 + 3 + 3 + 1.5 = 10.5 of 16.
# AUC of usage: retained 90, 80, 60, 30 against churned 75, 50, 30, 10: 4 + 4 + 3 + 1.5 = 12.5 / 16.
# AUC of tickets (A3 has none): retained 10, 40, 40, 80 against churned 60, 80, 70:
#   only 80 beats 60 and 70 and ties 80: 2.5 of 12, wrong_direction.
# coverage over the 10 accounts: usage 10, tickets 9.
# contribution, mean over the 10 scored accounts: usage 3/4 x usage (A3: all of its 75):
#   (67.5 + 60 + 75 + 45 + 37.5 + 22.5 + 22.5 + 7.5 + 37.5 + 30) / 10 = 40.5;
#   tickets 1/4 x tickets (A3: 0): (2.5 + 10 + 0 + 10 + 15 + 20 + 20 + 17.5 + 12.5 + 5) / 10 = 11.25
MAYBE = ("outcome field 'churned': 1 account with an outcome that means neither churn nor "
         "retention, left out: 'maybe' (1) (say what they mean with good_when or bad_when)")
MAYBE_CLI = MAYBE.replace("good_when or bad_when", "--good-when or --bad-when")


def accounts(text: str = ACCOUNTS) -> pl.DataFrame:
    from healthcore.io.readers import read_bytes

    return read_bytes(text.encode(), "csv")


def test_tiny_backtest_by_hand():
    result = backtest(loads_ruleset(RULESET), accounts(), "churned")
    assert result.to_dict() == {
        "ruleset": "tiny", "outcome": "churned", "accounts": 10, "labelled": 8, "scored": 8,
        "churned": 4, "base_rate": 0.5, "auc": 10.5 / 16,
        "tiers": [
            {"tier": "healthy", "accounts": 3, "churned": 1, "rate": pytest.approx(1 / 3),
             "lift": pytest.approx(2 / 3)},
            {"tier": "at_risk", "accounts": 4, "churned": 2, "rate": 0.5, "lift": 1.0},
            {"tier": "unhealthy", "accounts": 1, "churned": 1, "rate": 1.0, "lift": 2.0}],
        "indicators": [
            {"id": "usage", "auc": 12.5 / 16, "coverage": 1.0,
             "contribution": pytest.approx(40.5), "flag": None},
            {"id": "tickets", "auc": 2.5 / 12, "coverage": 0.9,
             "contribution": pytest.approx(11.25), "flag": "wrong_direction"}],
        "warnings": [MAYBE]}


def test_auc_agrees_with_scikit_learn_on_the_tiny_case():
    frame = accounts()
    scores = healthcore.score(loads_ruleset(RULESET), frame).scores
    labelled = frame.get_column("churned").is_in(["No", "no", "FALSE", "0"]) | \
        frame.get_column("churned").is_in(["Yes", "1", "churned", "y"])
    retained = frame.get_column("churned").is_in(["No", "no", "FALSE", "0"]).filter(labelled)
    assert backtest(loads_ruleset(RULESET), frame, "churned").auc == pytest.approx(
        roc_auc_score(retained.to_numpy(), scores["score"].filter(labelled).to_numpy()),
        abs=1e-15)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_auc_agrees_with_scikit_learn_on_synthetic_accounts(seed):
    rng = np.random.default_rng(seed)
    n = 2000
    # scores in steps of 0.5, so that many tie; churn more likely at low scores
    score = rng.integers(0, 201, n) / 2.0
    churned = rng.random(n) < 1 / (1 + np.exp((score - 40) / 15))
    score[rng.random(n) < 0.05] = np.nan  # unscored accounts are left out
    frame = pl.DataFrame({"score": score, "churned": churned}).with_columns(
        pl.col("score").fill_nan(None))
    ours = frame.select(auc_expr(pl.col("score"), pl.col("churned"))).item()
    known = ~np.isnan(score)
    assert ours == pytest.approx(roc_auc_score(~churned[known], score[known]), abs=1e-12)


def test_auc_is_none_with_one_class_only():
    frame = pl.DataFrame({"score": [1.0, 2.0], "churned": [True, True]})
    assert frame.select(auc_expr(pl.col("score"), pl.col("churned"))).item() is None


def test_flags_and_their_band():
    assert flag(None) == flag(None, 0, 0) == "no_data"
    assert flag(None, 2, 0) == "only_churned" and flag(None, 0, 3) == "only_retained"
    assert flag(0.5) == flag(0.5199) == flag(0.4801) == "no_separation"
    assert flag(0.52) is None and flag(0.9) is None
    assert flag(0.48) == flag(0.1) == "wrong_direction"


def test_points_of_one_outcome_only_are_not_called_no_data():
    # tickets is known for A1 (retained) and A3 (churned) only among labelled accounts; with
    # A3's removed, only the retained A1 has tickets points; with A1's too, none has
    text = "id,usage,tickets,churned\nA1,90,10,no\nA2,80,,no\nA3,75,30,yes\nA4,20,,yes\n"
    only_retained = text.replace("75,30,yes", "75,,yes")
    figures = {name: {i.id: i.flag for i in backtest(loads_ruleset(RULESET),
                                                       accounts(data), "churned").indicators}
               for name, data in (("both", text), ("retained", only_retained),
                                  ("none", only_retained.replace("90,10,no", "90,,no")))}
    assert figures == {"both": {"usage": None, "tickets": "wrong_direction"},
                       "retained": {"usage": None, "tickets": "only_retained"},
                       "none": {"usage": None, "tickets": "no_data"}}
    report = render_backtest(backtest(loads_ruleset(RULESET), accounts(only_retained), "churned"))
    assert report.splitlines()[-1] == ("tickets: only retained labelled accounts have points "
                                       "for it (AUC -)")
    churned_only = text.replace("90,10,no", "90,,no")
    assert render_backtest(backtest(loads_ruleset(RULESET), accounts(churned_only), "churned")
                       ).splitlines()[-1] == ("tickets: only churned labelled accounts have "
                                              "points for it (AUC -)")


def test_accounts_not_scored_are_counted_and_left_out_of_the_auc():
    ruleset = loads_ruleset(RULESET.replace("weight: 1}", "weight: 1, missing: error}"))
    result = backtest(ruleset, accounts(), "churned")
    # A3 (churned, no tickets) is not scored: 7 scored; retained 70, 70, 55, 42.5 against
    # churned 52.5, 42.5, 25: 3 + 3 + 3 + 1.5 = 10.5 of 12
    assert (result.labelled, result.scored, result.auc) == (8, 7, 10.5 / 12)
    assert [(t.tier, t.accounts, t.churned) for t in result.tiers] == [
        ("healthy", 2, 0), ("at_risk", 4, 2), ("unhealthy", 1, 1), (UNSCORED, 1, 1)]
    assert result.tiers[0].lift == 0.0 and result.tiers[-1].lift == 2.0


def test_results_already_computed_are_used_as_given():
    ruleset = loads_ruleset(RULESET)
    frame = accounts()
    results = healthcore.score(ruleset, frame)
    assert backtest(ruleset, frame, "churned", results=results).to_dict() == \
        backtest(ruleset, frame, "churned").to_dict()


# -- the outcome field ------------------------------------------------------------------------

def outcomes_of(values, **rule) -> list[bool | None]:
    frame = pl.DataFrame({"outcome": values}, strict=False)
    return read_outcomes(frame, outcome_rule("outcome", **rule))[0].to_list()


def test_usual_spellings_of_the_outcome():
    assert outcomes_of(["Yes", " no ", "TRUE", "f", "1", "0", "1.0", "churned", "Retained",
                        "lost", "renewed", None, ""]) == [
        True, False, True, False, True, False, True, True, False, True, False, None, None]
    assert outcomes_of([True, False, None]) == [True, False, None]
    assert outcomes_of([1, 0, 0, 2]) == [True, False, False, None]


def test_a_field_that_tells_the_good_outcome():
    # renewed: yes is good, so no (and its spellings) is bad
    assert outcomes_of(["yes", "No", "1", "false", "churned"], good_when=["yes"]) == [
        False, True, False, True, True]
    assert outcome_rule("renewed", good_when=["Y"]).bad >= {"no", "n", "false", "f", "0"}


def test_custom_outcome_labels():
    assert outcomes_of(["Closed Won", "closed lost", "open"], good_when=["Closed Won"],
                       bad_when=["closed lost"]) == [False, True, None]
    # one side given: the other keeps its usual words
    assert outcomes_of(["won", "yes", "no"], good_when=["won"]) == [False, True, None]


def test_a_value_cannot_be_both_good_and_bad():
    with pytest.raises(InputError) as caught:
        outcome_rule("status", good_when=["won", "yes"], bad_when=["y"])
    assert str(caught.value) == ("outcome field 'status': 'yes' (a good outcome) and 'y' (a "
                                 "bad one) stand for the same value")


def test_unknown_outcome_field_says_did_you_mean():
    with pytest.raises(InputError) as caught:
        backtest(loads_ruleset(RULESET), accounts(), "churn")
    assert str(caught.value) == ("the accounts have no outcome field 'churn' (did you mean "
                                 "'churned'?); fields found: id, usage, tickets, churned")


def test_no_recognized_outcome_names_the_values():
    text = "id,usage,tickets,churned\nA1,90,10,maybe\nA2,80,40,maybe\nA3,75,,unknown\n"
    with pytest.raises(InputError) as caught:
        backtest(loads_ruleset(RULESET), accounts(text), "churned")
    assert str(caught.value) == (
        "outcome field 'churned': no account has a known outcome; values found: 'maybe' (2), "
        "'unknown' (1). Say which values mean a bad outcome (churn) with bad_when and which "
        "a good one with good_when")


def test_an_empty_outcome_field():
    text = "id,usage,tickets,churned\nA1,90,10,\nA2,80,40,\n"
    with pytest.raises(InputError) as caught:
        backtest(loads_ruleset(RULESET), accounts(text), "churned")
    assert str(caught.value).startswith("outcome field 'churned': no account has a known "
                                        "outcome: it is empty for every account. ")


def test_a_single_outcome_class_is_refused():
    text = "id,usage,tickets,churned\nA1,90,10,no\nA2,80,40,No\nA3,75,,\n"
    with pytest.raises(InputError) as caught:
        backtest(loads_ruleset(RULESET), accounts(text), "churned")
    assert str(caught.value) == ("outcome field 'churned': all 2 accounts with a known outcome "
                                 "retained; a backtest needs churned and retained accounts")


def test_a_ruleset_reading_the_outcome_is_warned_about():
    leaky = RULESET.replace("tiers:\n", "  - {id: leak, metric: field, params: {field: churned}, "
                                         "normalize: {linear: {worst: 0, best: 1}}, weight: 1}\n"
                                         "tiers:\n")
    result = backtest(loads_ruleset(leaky), accounts(), "churned")
    assert ("the ruleset reads the outcome field 'churned' itself, so its score already knows "
            "the answer") in result.warnings


# -- the command ------------------------------------------------------------------------------

def files(write):
    return str(write("tiny.yaml", RULESET)), str(write("accounts.csv", ACCOUNTS))


def test_command_table(write):
    result = run("backtest", *files(write), "--outcome", "churned")
    assert result.exit_code == 0, result.output
    assert result.stdout == render_backtest(backtest(loads_ruleset(RULESET), accounts(),
                                                 "churned")) + "\n"
    assert result.stdout.splitlines()[:13] == [
        "tiny: 10 accounts, 8 with a known outcome in 'churned', 4 churned (base rate 50.0 %)",
        "AUC of the score: 0.656 on 8 scored accounts (1.0: perfect, 0.5: no better than "
        "chance)",
        "",
        "  tier       accounts  churned  churn rate  lift",
        "  healthy           3        1      33.3 %  0.67",
        "  at_risk           4        2      50.0 %  1.00",
        "  unhealthy         1        1     100.0 %  2.00",
        "",
        "  indicator    AUC  coverage  contribution  flag",
        "  usage      0.781   100.0 %          40.5",
        "  tickets    0.208    90.0 %          11.2  wrong_direction",
        "",
        "tickets: points the wrong way: more points go with more churn (AUC 0.208)"]
    assert result.stderr == f"warning: {MAYBE_CLI}\n"


def test_command_json_and_good_when(write):
    ruleset, _ = files(write)
    flipped = write("renewals.csv", "id,usage,tickets,renewed\nA1,90,10,yes\nA2,80,40,no\n"
                                    "A3,75,,true\nA4,60,40,Y\nA5,50,60,0\n")
    result = run("backtest", ruleset, str(flipped), "--outcome", "renewed", "--good-when",
                 "yes", "-f", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    # retained 70, 75, 55 against churned 70, 52.5: 1.5 + 2 + 1 = 4.5 of 6
    assert (data["labelled"], data["churned"], data["auc"]) == (5, 2, 0.75)


def test_command_exit_code_1_when_accounts_are_not_scored(write):
    ruleset = write("strict.yaml", RULESET.replace("weight: 1}", "weight: 1, missing: error}"))
    result = run("backtest", str(ruleset), files(write)[1], "--outcome", "churned")
    assert result.exit_code == 1
    assert result.stderr.endswith("warning: 1 of the 8 accounts with a known outcome could not "
                                  "be scored; they are left out of the AUC (tier: unscored)\n")
    assert "  unscored          1        1     100.0 %  2.00" in result.stdout


def test_command_errors_exit_2(write):
    ruleset, data = files(write)
    result = run("backtest", ruleset, data, "--outcome", "Churned")
    assert result.exit_code == 2
    assert result.stderr == ("error: the accounts have no outcome field 'Churned' (did you "
                             "mean 'churned'?); fields found: id, usage, tickets, churned\n")
    result = run("backtest", ruleset, data)
    assert result.exit_code == 2 and "Missing option '--outcome'" in result.stderr
