"""The score, exactly as DESIGN.md defines it, on accounts computed by hand."""

from __future__ import annotations

import healthcore
import textwrap

import polars as pl
import pytest

from healthcore.errors import InputError
from helpers import by_id, ruleset

TWO = """
indicators:
  - id: a
    metric: field
    params: {field: a}
    normalize: {linear: {worst: 0, best: 10}}
    weight: 3
  - id: b
    metric: field
    params: {field: b}
    normalize: {linear: {worst: 0, best: 10}}
    weight: 1
"""


def test_weighted_mean_of_points(builtin_registry):
    # a: 5 -> 50 points, b: 10 -> 100 points; (3*50 + 1*100) / 4 = 62.5
    results = healthcore.score(ruleset(TWO, builtin_registry), [{"account_id": "x", "a": 5, "b": 10}])
    record = results.to_records()[0]
    assert record["score"] == pytest.approx(62.5, abs=1e-9)
    assert record["tier"] == "at_risk" and record["color"] == "yellow"
    assert record["status"] == "ok" and record["errors"] == []
    assert record["indicators"]["a"] == {"value": 5.0, "points": 50.0, "weight": 3.0,
                                         "contribution": pytest.approx(37.5)}
    assert record["indicators"]["b"]["contribution"] == pytest.approx(25.0)


def test_missing_indicator_renormalizes_the_others(builtin_registry):
    # a missing: score is b's points alone (weights renormalized): 100
    record = healthcore.score(ruleset(TWO, builtin_registry), [{"account_id": "x", "a": None, "b": 10}]
                                                  ).to_records()[0]
    assert record["score"] == pytest.approx(100.0)
    assert record["indicators"]["a"] == {"value": None, "points": None, "weight": 3.0,
                                         "contribution": None}
    assert record["indicators"]["b"]["contribution"] == pytest.approx(100.0)


def test_zero_policy_counts_missing_as_zero_points(builtin_registry):
    body = TWO.replace("weight: 3", "weight: 3\n    missing: zero")
    record = healthcore.score(ruleset(body, builtin_registry), [{"account_id": "x", "a": None, "b": 10}]
                                                   ).to_records()[0]
    # (3*0 + 1*100) / 4 = 25
    assert record["score"] == pytest.approx(25.0)
    assert record["indicators"]["a"]["points"] == 0.0
    assert record["tier"] == "unhealthy"


def test_ruleset_wide_zero_policy(builtin_registry):
    body = "missing: zero\n" + textwrap.dedent(TWO)
    record = healthcore.score(ruleset(body, builtin_registry), [{"account_id": "x", "a": 5}]).to_records()[0]
    # b is not even a column: counts 0 points; (3*50 + 0) / 4 = 37.5
    assert record["score"] == pytest.approx(37.5)


def test_error_policy_makes_the_account_unscorable_with_the_reason(builtin_registry):
    body = TWO.replace("weight: 3", "weight: 3\n    missing: error")
    results = healthcore.score(ruleset(body, builtin_registry), [
        {"account_id": "x", "a": None, "b": 10}, {"account_id": "y", "a": 2, "b": 10}])
    x, y = results.to_records()
    assert x["status"] == "error" and x["score"] is None and x["tier"] is None
    assert x["errors"] == ["indicator 'a' has no value and its missing policy is 'error'"]
    assert y["score"] == pytest.approx((3 * 20 + 100) / 4)
    assert results.unscorable == 1


def test_account_with_no_indicator_has_no_score_and_says_why(builtin_registry):
    record = healthcore.score(ruleset(TWO, builtin_registry), [{"account_id": "x", "a": None, "b": None}]
                                                  ).to_records()[0]
    assert record["status"] == "error" and record["score"] is None
    assert record["errors"] == ["no indicator has a value for this account, so it has no score"]


ACTIONS = TWO + """
actions:
  - id: late
    when: overdue > 30
    points: -15
    reason: Late by more than {limit} days
  - id: referral
    when: referrals >= 1
    points: 40
parameters: {limit: 30}
"""


def test_actions_add_points_and_the_score_is_clamped(builtin_registry):
    results = healthcore.score(ruleset(ACTIONS, builtin_registry), [
        {"account_id": "late", "a": 5, "b": 10, "overdue": 45, "referrals": 0},
        {"account_id": "floor", "a": 0, "b": 1, "overdue": 45, "referrals": 0},
        {"account_id": "ceiling", "a": 10, "b": 10, "overdue": 0, "referrals": 2},
        {"account_id": "unknown", "a": 5, "b": 10, "overdue": None, "referrals": None},
    ])
    records = by_id(results)
    assert records["late"]["score"] == pytest.approx(62.5 - 15)
    assert records["late"]["actions"] == ["late"]
    assert "Late by more than 30 days (-15 points)" in records["late"]["reasons"]
    # (0 + 10) / 4 = 2.5, minus 15 -> clamped to 0
    assert records["floor"]["score"] == 0.0
    # 100 + 40 -> clamped to 100
    assert records["ceiling"]["score"] == 100.0
    assert records["ceiling"]["actions"] == ["referral"]
    # a null condition is not true: no action fires
    assert records["unknown"]["score"] == pytest.approx(62.5)
    assert records["unknown"]["actions"] == []


SCORE_AS_IS = """
indicators:
  - id: s
    metric: field
    params: {field: s}
    normalize: {linear: {worst: 0, best: 100}}
    weight: 1
"""
"""One indicator whose points are the field s itself."""


def test_absolute_tier_boundaries_are_inclusive(builtin_registry):
    body = SCORE_AS_IS
    results = healthcore.score(ruleset(body, builtin_registry), 
        [{"account_id": str(v), "s": v} for v in (70, 69.999, 40, 39.5, 0, 100)])
    assert [r["tier"] for r in results.to_records()] == [
        "healthy", "at_risk", "at_risk", "unhealthy", "unhealthy", "healthy"]


def test_percentile_tiers_follow_the_rank_in_the_population(builtin_registry):
    body = SCORE_AS_IS
    tiers = """
tiers:
  - {name: healthy, percentile: 75, color: green}
  - {name: at_risk, percentile: 25, color: yellow}
  - {name: unhealthy, percentile: 0, color: red}
"""
    scores = [12, 80, 33, 47, 95, 5, 61, 70]  # eight distinct scores
    accounts = [{"account_id": f"a{v}", "s": v} for v in scores]
    accounts.append({"account_id": "none", "s": None})  # unscored: not in the population
    results = healthcore.score(ruleset(body, builtin_registry, tiers), accounts)
    tiers_by_score = {r["score"]: r["tier"] for r in results.to_records()}
    assert tiers_by_score == {95.0: "healthy", 80.0: "healthy",
                              70.0: "at_risk", 61.0: "at_risk", 47.0: "at_risk", 33.0: "at_risk",
                              12.0: "unhealthy", 5.0: "unhealthy", None: None}


def test_percentile_ties_share_a_rank(builtin_registry):
    body = SCORE_AS_IS
    tiers = """
tiers:
  - {name: top, percentile: 50}
  - {name: rest, percentile: 0}
"""
    # ranks: 10 -> 0, 20 -> 25, 20 -> 25, 30 -> 75
    results = healthcore.score(ruleset(body, builtin_registry, tiers), 
        [{"account_id": str(i), "s": v} for i, v in enumerate([10, 20, 20, 30])])
    assert [r["tier"] for r in results.to_records()] == ["rest", "rest", "rest", "top"]


@pytest.mark.parametrize("values, accounts, distinct", [
    ([95.4], "1 scored account", "1 distinct score"),
    ([60, 60, 60, None], "3 scored accounts", "1 distinct score"),
    ([60, 70], "2 scored accounts", "2 distinct scores"),
])
def test_percentile_tiers_warn_when_there_are_fewer_scores_than_tiers(values, accounts,
                                                                     distinct, builtin_registry):
    tiers = """
tiers:
  - {name: healthy, percentile: 75}
  - {name: at_risk, percentile: 25}
  - {name: unhealthy, percentile: 0}
"""
    results = healthcore.score(ruleset(SCORE_AS_IS, builtin_registry, tiers), 
        [{"account_id": str(i), "s": v} for i, v in enumerate(values)])
    assert results.to_records()[0]["tier"] == "unhealthy"  # nobody scores lower
    assert results.warnings == [
        f"percentile tiers rank the accounts of a run against each other, and this run has "
        f"{accounts} with {distinct} for 3 tiers: an account is in the lowest tier when none "
        "scores lower, whatever its score; score larger batches, or use tiers with 'min'"]
    eight = [{"account_id": str(v), "s": v} for v in range(10, 90, 10)]
    assert healthcore.score(ruleset(SCORE_AS_IS, builtin_registry, tiers), eight).warnings == []


def test_bands_take_the_first_band_reached(builtin_registry):
    body = """
    indicators:
      - id: usage
        metric: ratio
        params: {numerator: active, denominator: seats}
        normalize: {bands: [{min: 0.8, points: 100}, {min: 0.5, points: 60}, {points: 20}]}
        weight: 1
    """
    results = healthcore.score(ruleset(body, builtin_registry), [
        {"account_id": "hi", "active": 8, "seats": 10},
        {"account_id": "mid", "active": 5, "seats": 10},
        {"account_id": "lo", "active": 1, "seats": 10},
        {"account_id": "zero-seats", "active": 1, "seats": 0},
    ])
    records = by_id(results)
    assert [records[k]["score"] for k in ("hi", "mid", "lo")] == [100.0, 60.0, 20.0]
    # division by zero is null, never infinity: the only indicator drops out
    assert records["zero-seats"]["indicators"]["usage"]["value"] is None
    assert records["zero-seats"]["status"] == "error"


def test_linear_lower_is_better_and_clamps(builtin_registry):
    body = """
    indicators:
      - id: tickets
        metric: field
        params: {field: t}
        normalize: {linear: {worst: 20, best: 0}}
        weight: 1
    """
    results = healthcore.score(ruleset(body, builtin_registry), 
        [{"account_id": str(v), "t": v} for v in (0, 5, 20, 40, -3)])
    assert [r["score"] for r in results.to_records()] == [100.0, 75.0, 0.0, 0.0, 100.0]


def test_expression_normalizer_and_metric(builtin_registry):
    body = """
    parameters: {target: 80}
    indicators:
      - id: usage
        metric: expression
        params: {expr: active / seats * 100}
        normalize: {expression: 100 - abs(value - target) * 2}
        weight: 1
    """
    results = healthcore.score(ruleset(body, builtin_registry), [
        {"account_id": "on-target", "active": 8, "seats": 10},
        {"account_id": "low", "active": 5, "seats": 10},
        {"account_id": "far", "active": 0, "seats": 10},
    ])
    assert [r["score"] for r in results.to_records()] == [pytest.approx(100.0),
                                                          pytest.approx(40.0), 0.0]


def test_nps_and_csat_from_counts(builtin_registry):
    body = """
    indicators:
      - id: nps
        metric: nps
        normalize: {linear: {worst: -100, best: 100}}
        weight: 1
      - id: csat
        metric: csat
        normalize: {linear: {worst: 0, best: 100}}
        weight: 1
    """
    results = healthcore.score(ruleset(body, builtin_registry), [
        # 60 % promoters, 30 % passives, 10 % detractors: NPS 50 -> 75 points
        # 35 positive of 50: CSAT 70 -> 70 points
        {"account_id": "a", "nps_promoters": 6, "nps_passives": 3, "nps_detractors": 1,
         "csat_positive": 35, "csat_total": 50},
        {"account_id": "no-answers", "nps_promoters": 0, "nps_passives": 0,
         "nps_detractors": 0, "csat_positive": 40, "csat_total": 20},
    ])
    a, empty = results.to_records()
    assert a["indicators"]["nps"]["value"] == pytest.approx(50.0)
    assert a["indicators"]["csat"]["value"] == pytest.approx(70.0)
    assert a["score"] == pytest.approx(72.5)
    assert empty["indicators"]["nps"]["value"] is None
    assert empty["indicators"]["csat"]["value"] is None
    assert "csat: positive (40.0) is more than total (20.0)" in empty["errors"]
    assert empty["status"] == "error"


def test_bad_values_are_reported_not_turned_into_numbers(builtin_registry):
    results = healthcore.score(ruleset(TWO, builtin_registry), pl.DataFrame({
        "account_id": ["text", "nan", "inf", "blank", "ok"],
        "a": ["abc", "nan", "inf", "  ", "5"],
        "b": ["10", "10", "10", "10", "10"],
    }))
    records = by_id(results)
    assert records["text"]["errors"] == ["field 'a': 'abc' is not a number"]
    assert records["nan"]["errors"] == ["field 'a': 'nan' is not a number"]
    assert records["inf"]["errors"] == ["field 'a': 'inf' is not a number"]
    for key in ("text", "nan", "inf", "blank"):  # a dropped out, b alone scores
        assert records[key]["score"] == 100.0
        assert records[key]["indicators"]["a"]["value"] is None
    assert records["blank"]["errors"] == []  # blank is missing, not wrong
    assert records["ok"]["score"] == pytest.approx(62.5)


def test_negative_counts_are_invalid(builtin_registry):
    body = """
    indicators:
      - id: nps
        metric: nps
        normalize: {linear: {worst: -100, best: 100}}
        weight: 1
    """
    record = healthcore.score(ruleset(body, builtin_registry), [
        {"account_id": "x", "nps_promoters": -2, "nps_passives": 3, "nps_detractors": 1}
    ]).to_records()[0]
    assert record["errors"][0] == ("field 'nps_promoters': -2 is not a valid count "
                                   "(a number, 0 or more)")
    assert record["status"] == "error"


def test_missing_column_is_reported_per_account_and_for_the_batch(builtin_registry):
    results = healthcore.score(ruleset(TWO, builtin_registry), [{"account_id": "x", "a": 5}])
    record = results.to_records()[0]
    assert record["score"] == pytest.approx(50.0)
    assert record["errors"] == ["field 'b' is not in the input"]
    assert results.warnings == ["field 'b' is not in the input: the indicators and actions "
                                "reading it have no value for any account"]


def test_every_account_comes_out_once_in_input_order(builtin_registry):
    accounts = [{"account_id": f"id{i:05d}", "a": i % 11, "b": (i * 7) % 11 if i % 3 else None}
                for i in range(2000)]
    accounts[10]["account_id"] = None
    results = healthcore.score(ruleset(TWO, builtin_registry), accounts)
    assert results.frame["account_id"].to_list() == [a["account_id"] for a in accounts]
    assert results.to_records()[10]["status"] == "error"
    assert "the account has no 'account_id'" in results.to_records()[10]["errors"]


def test_reasons_list_costliest_indicators_then_fired_negative_actions(builtin_registry):
    results = healthcore.score(ruleset(ACTIONS, builtin_registry), 
        [{"account_id": "x", "a": 2, "b": 9, "overdue": 31, "referrals": 0}])
    # a costs 3/4 * (100 - 20) = 60, the late action 15, b 1/4 * (100 - 90) = 2.5
    assert results.to_records()[0]["reasons"] == [
        "a cost 60.0 points", "Late by more than 30 days (-15 points)", "b cost 2.5 points"]


def test_missing_account_id_column_is_an_input_error(builtin_registry):
    with pytest.raises(InputError, match="no field 'account_id'.*did you mean 'account_ID'"):
        healthcore.score(ruleset(TWO, builtin_registry), [{"account_ID": "x", "a": 1}])


def test_dataframe_and_list_of_dicts_agree(builtin_registry):
    rows = [{"account_id": "x", "a": 5.0, "b": 7.0, "overdue": 40.0, "referrals": 1.0}]
    compiled = ruleset(ACTIONS, builtin_registry)
    assert healthcore.score(compiled, rows).to_records() == healthcore.score(compiled, pl.DataFrame(rows)).to_records()


def test_boolean_fields_accept_common_spellings(builtin_registry):
    body = TWO + """
actions:
  - id: churn_risk
    when: champion_left
    points: -10
"""
    results = healthcore.score(ruleset(body, builtin_registry), pl.DataFrame({
        "account_id": ["yes", "no", "TRUE", "0", "maybe", "null"],
        "a": [10] * 6, "b": [10] * 6,
        "champion_left": ["yes", "no", "TRUE", "0", "maybe", None]}))
    records = by_id(results)
    assert [records[k]["score"] for k in ("yes", "no", "TRUE", "0", "maybe", "null")] == [
        90.0, 100.0, 90.0, 100.0, 100.0, 100.0]
    assert records["maybe"]["errors"] == [
        "field 'champion_left': 'maybe' is not true/false (use true, false, yes, no, 1 or 0)"]


def test_explaining_at_once_or_on_first_use_gives_the_same_results(builtin_registry):
    rows = [{"account_id": f"a{i}", "a": i % 11, "b": None if i % 4 == 0 else 10 - i % 11,
             "overdue": 40 if i % 3 == 0 else 0, "referrals": i % 2} for i in range(50)]
    compiled = ruleset(ACTIONS, builtin_registry)
    lazy, eager = healthcore.score(compiled, rows), healthcore.score(compiled, rows, explain=True)
    assert eager.scores.equals(lazy.scores)
    assert eager.frame.equals(lazy.frame)
    assert lazy.scores.columns == [c for c in lazy.frame.columns
                                   if c not in ("actions", "reasons", "errors")]


def test_target_normalizer_scores_the_distance_to_a_target(builtin_registry):
    body = """
    indicators:
      - id: usage
        metric: field
        params: {field: u}
        normalize: {target: {value: 0.8, tolerance: 0.05, zero_at: 0.55}}
        weight: 1
    """
    results = healthcore.score(ruleset(body, builtin_registry), 
        [{"account_id": str(v), "u": v} for v in (0.8, 0.85, 0.7, 1.05, 0.3, 1.5)])
    # within 0.05 of 0.8: 100; then 100 points lost over the next 0.5 (0 at a distance of 0.55):
    # 0.7 is 0.05 past the tolerance -> 90; 1.05 is 0.2 past -> 60; 0.3 is 0.45 past -> 10
    assert [r["score"] for r in results.to_records()] == [
        100.0, 100.0, pytest.approx(90.0), pytest.approx(60.0), pytest.approx(10.0), 0.0]


def test_target_needs_zero_at_beyond_the_tolerance(builtin_registry):
    from healthcore import RulesetError

    body = """
    indicators:
      - id: usage
        metric: field
        params: {field: u}
        normalize: {target: {value: 0.8, tolerance: 0.2, zero_at: 0.1}}
        weight: 1
    """
    with pytest.raises(RulesetError, match=r"t.yaml:7:\d+: indicators\[0\].normalize.target."
                                           r"zero_at: zero_at \(0.1\) must be larger than "
                                           r"tolerance \(0.2\)"):
        ruleset(body, builtin_registry)


GROUPS = """
groups:
  - {id: usage, label: Product usage, weight: 60}
  - {id: support, weight: 40, combine: min}
indicators:
  - {id: a, group: usage, metric: field, params: {field: a},
     normalize: {linear: {worst: 0, best: 10}}, weight: 3}
  - {id: b, group: usage, metric: field, params: {field: b},
     normalize: {linear: {worst: 0, best: 10}}, weight: 1}
  - {id: c, group: support, metric: field, params: {field: c},
     normalize: {linear: {worst: 0, best: 10}}, weight: 1}
  - {id: d, group: support, metric: field, params: {field: d},
     normalize: {linear: {worst: 0, best: 10}}, weight: 1}
"""


def test_groups_weight_their_members_then_each_other(builtin_registry):
    results = healthcore.score(ruleset(GROUPS, builtin_registry), [
        {"account_id": "x", "a": 5, "b": 10, "c": 8, "d": 2},
        {"account_id": "y", "a": None, "b": 10, "c": None, "d": None},
        {"account_id": "z", "a": None, "b": None, "c": None, "d": None},
    ])
    x, y, z = results.to_records()
    # usage: (3*50 + 1*100) / 4 = 62.5; support: the weakest of 80 and 20 = 20
    # score: (60*62.5 + 40*20) / 100 = 45.5
    assert x["score"] == pytest.approx(45.5)
    assert x["groups"] == {"usage": {"points": 62.5, "weight": 60.0,
                                     "contribution": pytest.approx(37.5)},
                           "support": {"points": 20.0, "weight": 40.0,
                                       "contribution": pytest.approx(8.0)}}
    contributions = {k: v["contribution"] for k, v in x["indicators"].items()}
    assert contributions == {"a": pytest.approx(22.5), "b": pytest.approx(15.0),
                             "c": 0.0, "d": pytest.approx(8.0)}
    # costs: d decides its group: 0.4 * (100 - 20) = 32; a: 0.6 * 3/4 * (100 - 50) = 22.5
    assert x["reasons"] == ["d cost 32.0 points", "a cost 22.5 points"]
    # a group with no value drops out and the other groups' weights are scaled up
    assert y["score"] == 100.0 and y["groups"]["support"]["points"] is None
    assert y["groups"]["support"]["contribution"] is None
    assert z["status"] == "error"


def test_max_group_and_zero_policy_inside_a_group(builtin_registry):
    body = GROUPS.replace("combine: min", "combine: max").replace(
        "params: {field: a},", "params: {field: a}, missing: zero,")
    record = healthcore.score(ruleset(body, builtin_registry), 
        [{"account_id": "x", "a": None, "b": 10, "c": 8, "d": 2}]).to_records()[0]
    # usage: (3*0 + 1*100) / 4 = 25 (a counts as 0); support: the best of 80 and 20 = 80
    assert record["groups"]["usage"]["points"] == pytest.approx(25.0)
    assert record["score"] == pytest.approx((60 * 25 + 40 * 80) / 100)
    assert record["indicators"]["c"]["contribution"] == pytest.approx(0.4 * 80)


@pytest.mark.parametrize("change,message", [
    (("group: support, metric: field, params: {field: d}", "metric: field, params: {field: d}"),
     "t.yaml:13:5: indicators[3]: this indicator needs a 'group' since the ruleset declares "
     "groups (one of: usage, support)"),
    (("{id: d, group: support", "{id: d, group: suport"),
     "t.yaml:13:20: indicators[3].group: unknown group 'suport' (did you mean 'support'?)"),
    (("{id: support, weight: 40", "{id: a, weight: 40"),
     "t.yaml:5:10: groups[1].id: 'a' is the id of an indicator too; give the group another id"),
])
def test_group_mistakes(change, message, builtin_registry):
    from healthcore import RulesetError

    with pytest.raises(RulesetError) as caught:
        ruleset(GROUPS.replace(*change), builtin_registry)
    assert message in [str(d) for d in caught.value.diagnostics]


SEGMENTS = ACTIONS.replace("when: overdue > 30", "when: overdue > limit") + """
segments:
  - id: enterprise
    when: seats >= 100
    weights: {a: 1}
    parameters: {limit: 60}
    tiers: {healthy: 80}
"""


def test_segments_override_weights_parameters_and_thresholds(builtin_registry):
    results = healthcore.score(ruleset(SEGMENTS, builtin_registry), [
        {"account_id": "e1", "seats": 150, "a": 5, "b": 10, "overdue": 45, "referrals": 0},
        {"account_id": "e2", "seats": 150, "a": 5, "b": 10, "overdue": 70, "referrals": 0},
        {"account_id": "s1", "seats": 10, "a": 5, "b": 10, "overdue": 45, "referrals": 0},
        {"account_id": "n1", "seats": None, "a": 5, "b": 10, "overdue": 0, "referrals": 0},
    ])
    records = by_id(results)
    # enterprise: a weighs 1 (not 3): (50 + 100) / 2 = 75; late means more than 60 days
    assert records["e1"]["segment"] == "enterprise"
    assert records["e1"]["score"] == pytest.approx(75.0)
    assert records["e1"]["actions"] == []
    assert records["e1"]["tier"] == "at_risk"  # healthy starts at 80 in this segment
    assert records["e1"]["indicators"]["a"]["weight"] == 1.0
    assert records["e2"]["score"] == pytest.approx(60.0)
    assert "Late by more than 60 days (-15 points)" in records["e2"]["reasons"]
    # the rest: the ruleset's own values
    assert records["s1"]["segment"] == "default"
    assert records["s1"]["score"] == pytest.approx(62.5 - 15)
    assert "Late by more than 30 days (-15 points)" in records["s1"]["reasons"]
    assert records["s1"]["indicators"]["a"]["weight"] == 3.0
    assert records["n1"]["segment"] == "default"  # a null condition is not true
    assert records["n1"]["tier"] == "at_risk"


def test_results_have_no_segment_field_without_segments(builtin_registry):
    record = healthcore.score(ruleset(TWO, builtin_registry), [{"account_id": "x", "a": 1, "b": 1}]
                                                  ).to_records()[0]
    assert "segment" not in record and "groups" not in record


@pytest.mark.parametrize("segment,message", [
    ("  - {id: big, when: seats > 1, weights: {aa: 1}}",
     "segments[0].weights.aa: 'aa' is neither an indicator nor a group (did you mean 'a'?)"),
    ("  - {id: big, when: seats > 1, parameters: {limt: 1}}",
     "segments[0].parameters.limt: unknown parameter 'limt' (did you mean 'limit'?)"),
    ("  - {id: big, when: seats > 1, parameters: {limit: soon}}",
     "segments[0].parameters.limit: 'soon' is not of the same kind as the ruleset's value 30"),
    ("  - {id: big, when: seats > 1, tiers: {at_risk: 75}}",
     "segments[0].tiers: with these thresholds the tiers are not from the best down to 0: "
     "each tier needs a lower threshold than the one before, and the last 0"),
    ("  - {id: default, when: seats > 1}",
     "segments[0].id: 'default' is the segment of accounts no segment matches; give this one "
     "another id"),
    ("  - {id: big, when: seats > 1, weights: {a: 0, b: 0}}",
     "segments[0].weights: with these weights every indicator has weight 0, so no account of "
     "the segment can be scored"),
    ("  - {id: big, when: seats > 1, parameters: {limit: 500}}",
     "actions[0].when: with the parameters of segments[0]: the exponent 500 is too large "
     "(at most 100)"),
])
def test_segment_mistakes(segment, message, builtin_registry):
    from healthcore import RulesetError

    body = ACTIONS.replace("when: overdue > 30", "when: overdue ** limit > 30") + (
        "\nsegments:\n" + segment + "\n")
    with pytest.raises(RulesetError) as caught:
        ruleset(body, builtin_registry)
    found = [str(d).split(": ", 1)[1] for d in caught.value.diagnostics]
    assert message in found, found
