"""healthcore summary: portfolio figures from summed counts, on accounts computed by hand."""

from __future__ import annotations

import healthcore
import json

import polars as pl
import pytest
from click.testing import CliRunner

from healthcore import InputError, loads_ruleset
from healthcore.cli.main import main
from healthcore.io.readers import read_bytes
from healthcore.analysis.summary import summarize
from healthcore.cli.render.analysis import render_summary

RULESET = """\
healthcore: 1
name: portfolio
account_id: id
indicators:
  - {id: health, metric: field, params: {field: h}, normalize: {linear: {worst: 0, best: 100}}, weight: 1}
  - {id: nps, metric: nps, params: {promoters: p, passives: pa, detractors: d}, normalize: {linear: {worst: -100, best: 100}}, weight: 0}
  - {id: csat, metric: csat, params: {responses: ratings}, normalize: {linear: {worst: 0, best: 100}}, weight: 0}
  - {id: churn, metric: churn_rate, params: {lost: lost, at_start: users}, normalize: {linear: {worst: 20, best: 0}}, weight: 0}
  - {id: renewal, metric: renewal_rate, params: {numerator: renewed, denominator: due}, normalize: {linear: {worst: 0, best: 100}}, weight: 0}
  - {id: mrr, metric: mrr, params: {fees: fees}, normalize: {linear: {worst: 0, best: 1000}}, weight: 0}
  - {id: arr, metric: arr, params: {fees: fees}, normalize: {linear: {worst: 0, best: 12000}}, weight: 0}
  - {id: nrr, metric: nrr, params: {start_mrr: start, expansion: up, contraction: down, churned: gone}, normalize: {linear: {worst: 80, best: 120}}, weight: 0}
segments:
  - {id: large, label: Large, when: users >= 10}
tiers:
  - {name: good, min: 50, color: green}
  - {name: bad, min: 0, color: red}
"""
# Only 'health' weighs: the score is h (A 80 good, B 30 bad, C 20 bad; D has no h: not scored).
# A and B are in the segment 'large' (users >= 10), C and D in 'default'.
ACCOUNTS = """\
id,h,p,pa,d,ratings,lost,users,renewed,due,fees,start,up,down,gone
A,80,10,8,2,5;4;2,1,10,3,4,100;50,1000,200,0,0
B,30,0,5,5,1;5,4,20,0,2,300,500,0,100,0
C,20,,,,,2,0,5,3,50,,,,
D,,1,0,0,4,0,5,1,1,20,100,0,0,50
"""
# C's NPS and CSAT have no data, its churn rate is null (0 users at the start: its 2 lost do not
# count), its renewal rate is invalid (5 renewed of 3 due: not counted), its NRR has no data.


def accounts() -> pl.DataFrame:
    return read_bytes(ACCOUNTS.encode(), "csv")


def summary():
    ruleset = loads_ruleset(RULESET)
    frame = accounts()
    return summarize(healthcore.score(ruleset, frame), frame)


def test_portfolio_rates_come_from_summed_counts_not_from_means():
    overall = summary().overall
    # NPS: promoters 10+0+1, passives 8+5+0, detractors 2+5+0
    assert overall.counts["nps"] == {"promoters": 11, "passives": 13, "detractors": 7,
                                     "accounts": 3}
    assert overall.figures["nps"] == 100 * (11 - 7) / 31
    # CSAT from lists of ratings (4 and 5 are positive): 2 of 3, 1 of 2, 1 of 1
    assert overall.counts["csat"] == {"positive": 4, "total": 6, "accounts": 3}
    assert overall.figures["csat"] == 100 * 4 / 6
    # churn: (1 + 4 + 0) lost of (10 + 20 + 5); C's 2 lost of 0 are left out
    assert overall.counts["churn_rate"] == {"lost": 5, "at_start": 35, "accounts": 3}
    assert overall.figures["churn_rate"] == 100 * 5 / 35
    # renewal through the generic numerator/denominator names; C's 5 of 3 is left out
    assert overall.counts["renewal_rate"] == {"renewed": 4, "eligible": 7, "accounts": 3}
    assert overall.figures["renewal_rate"] == 100 * 4 / 7
    # MRR: 150 + 300 + 50 + 20, ARR 12 times that; NRR from summed MRR movements
    assert overall.figures["mrr"] == 520.0 and overall.figures["arr"] == 6240.0
    assert overall.counts["nrr"] == {"start_mrr": 1600, "expansion": 200, "contraction": 100,
                                     "churned": 50, "accounts": 3}
    assert overall.figures["nrr"] == 100 * (1600 - 100 - 50 + 200) / 1600
    # MRR at risk: the red tier 'bad' holds B (300) and C (50); D is not scored
    assert overall.figures["mrr_at_risk"] == 350.0 and overall.at_risk_accounts == 2


def test_two_accounts_nps_is_not_the_mean_of_their_nps():
    large = summary().segments[0]
    assert (large.name, large.label, large.accounts) == ("large", "segment Large", 2)
    # 10 promoters, 2 detractors of 20 (NPS 40) and 0, 5 of 10 (NPS -50): (10 - 7) / 30
    assert large.figures["nps"] == 10.0
    assert large.figures["csat"] == 60.0 and large.figures["renewal_rate"] == 50.0
    assert large.figures["churn_rate"] == 100 * 5 / 30
    assert large.figures["nrr"] == 100 * (1500 - 100 + 200) / 1500
    assert (large.figures["mrr"], large.figures["mrr_at_risk"]) == (450.0, 300.0)


def test_groups_overall_per_segment_and_per_tier():
    result = summary()
    assert result.at_risk_tiers == ("bad",)
    overall = result.overall
    assert (overall.accounts, overall.scored) == (4, 3)
    assert overall.mean_score == pytest.approx((80 + 30 + 20) / 3)
    assert overall.tier_mix == {"good": 1, "bad": 2, "unscored": 1}
    default = result.segments[1]
    assert (default.name, default.accounts, default.scored, default.mean_score) == \
        ("default", 2, 1, 20.0)
    assert default.figures["nps"] == 100.0 and default.figures["mrr_at_risk"] == 50.0
    assert [(g.name, g.accounts) for g in result.by_tier] == \
        [("good", 1), ("bad", 2), ("unscored", 1)]
    good, bad, unscored = result.by_tier
    assert good.tier_mix == {"good": 1, "bad": 0, "unscored": 0}
    assert (good.figures["nps"], bad.figures["nps"], unscored.figures["nps"]) == \
        (40.0, -50.0, 100.0)
    assert (good.figures["mrr_at_risk"], bad.figures["mrr_at_risk"]) == (0.0, 350.0)
    assert unscored.tier_mix == {"good": 0, "bad": 0, "unscored": 1}
    assert unscored.mean_score is None and unscored.at_risk_accounts == 0


def test_figures_the_ruleset_cannot_provide_are_null_not_zero():
    ruleset = loads_ruleset("""\
        healthcore: 1
        name: small
        account_id: id
        indicators:
          - {id: nps, metric: nps, params: {responses: answers, cutoffs: {promoters: 8, passives: 6}}, normalize: {linear: {worst: -100, best: 100}}, weight: 1}
        tiers:
          - {name: ok, min: 50, color: green}
          - {name: watch, min: 20, color: yellow}
          - {name: low, min: 0}
        """.replace("        ", ""))
    rows = [{"id": "x", "answers": [8, 7, 6, 5]}, {"id": "y", "answers": [10, 2]},
            {"id": "z", "answers": []}]
    result = summarize(healthcore.score(ruleset, rows), rows)
    data = result.to_dict()
    # promoters from 8: 8 and 10; passives 6-7: 7 and 6; detractors below 6: 5 and 2
    assert data["overall"]["counts"]["nps"] == {"promoters": 2, "passives": 2,
                                                "detractors": 2, "accounts": 2}
    assert data["overall"]["nps"] == 0.0
    assert data["figures"] == ["nps"]
    for name in ("csat", "churn_rate", "renewal_rate", "mrr", "arr", "nrr", "mrr_at_risk"):
        assert data["overall"][name] is None, name
    assert data["overall"]["counts"]["mrr"] is None
    # no red tier: the lowest tier is the one at risk
    assert data["at_risk_tiers"] == ["low"] and data["segments"] == []
    header, _ = result.table()
    assert header == ["group", "accounts", "mean score", "ok", "watch", "low", "NPS"]


def test_indicators_of_one_metric_add_up_and_identical_ones_count_once():
    ruleset = loads_ruleset("""\
healthcore: 1
name: two-surveys
account_id: id
indicators:
  - {id: users, metric: nps, params: {promoters: up, passives: ua, detractors: ud}, normalize: {linear: {worst: -100, best: 100}}, weight: 1}
  - {id: admins, metric: nps, params: {promoters: ap, passives: aa, detractors: ad}, normalize: {linear: {worst: -100, best: 100}}, weight: 1}
  - {id: users_again, metric: nps, params: {promoters: up, passives: ua, detractors: ud}, normalize: {linear: {worst: -100, best: 100}}, weight: 1}
tiers:
  - {name: all, min: 0, color: green}
""")
    rows = [{"id": "x", "up": 3, "ua": 1, "ud": 0, "ap": 0, "aa": 0, "ad": 4},
            {"id": "y", "up": 0, "ua": 0, "ud": 2, "ap": None, "aa": None, "ad": None}]
    overall = summarize(healthcore.score(ruleset, rows), rows).overall
    assert overall.counts["nps"] == {"promoters": 3, "passives": 1, "detractors": 6,
                                     "accounts": 2}
    assert overall.figures["nps"] == 100 * (3 - 6) / 10


def test_the_accounts_must_be_the_ones_scored():
    ruleset = loads_ruleset(RULESET)
    frame = accounts()
    with pytest.raises(InputError, match=r"the accounts \(3\) are not the ones scored "
                                         r"\(4 results\)"):
        summarize(healthcore.score(ruleset, frame), frame.head(3))


def test_text_table_shows_the_provided_figures(tmp_path):
    text = render_summary(summary())
    lines = text.splitlines()
    assert lines[0] == "portfolio: 4 accounts"
    assert lines[2].split() == ["group", "accounts", "mean", "score", "good", "bad", "NPS",
                                "CSAT", "churn", "renewal", "MRR", "ARR", "NRR", "MRR", "at",
                                "risk"]
    assert lines[3].split() == ["all", "accounts", "4", "43.3", "1", "(25", "%)", "2", "(50",
                                "%)", "+12.9", "66.7", "%", "14.3", "%", "57.1", "%", "520",
                                "6,240", "103.1", "%", "350"]
    assert "At risk: the accounts in the tier bad. MRR at risk is their MRR." in text


def test_cli_json_and_exit_code(tmp_path):
    ruleset = tmp_path / "portfolio.yaml"
    ruleset.write_text(RULESET, encoding="utf-8")
    data = tmp_path / "accounts.csv"
    data.write_text(ACCOUNTS, encoding="utf-8")
    result = CliRunner().invoke(main, ["summary", str(ruleset), str(data), "-f", "json"])
    # D could not be scored: the summary is printed, with exit code 1
    assert result.exit_code == 1, result.output
    assert "1 of 4 accounts could not be scored" in result.stderr
    printed = json.loads(result.stdout)
    assert printed == summary().to_dict()
    assert printed["overall"]["nps"] == 100 * 4 / 31
    assert [g["name"] for g in printed["segments"]] == ["large", "default"]
    assert [g["name"] for g in printed["tiers"]] == ["good", "bad", "unscored"]
    table = CliRunner().invoke(main, ["summary", str(ruleset), str(data)])
    assert table.exit_code == 1 and table.stdout.startswith("portfolio: 4 accounts\n")


def test_cli_reports_a_bad_input_with_exit_code_2(tmp_path):
    ruleset = tmp_path / "portfolio.yaml"
    ruleset.write_text(RULESET, encoding="utf-8")
    result = CliRunner().invoke(main, ["summary", str(ruleset), str(tmp_path / "none.csv")])
    assert result.exit_code == 2
    assert "none.csv: cannot read the file" in result.stderr
