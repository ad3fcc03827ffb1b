"""healthcore calibrate: on seeded synthetic accounts whose churn depends on two of five
indicators, the learned weights go to those two and the held-out AUC rises; the new ruleset
differs from the old only in its weights (and thresholds), comments and all; tier thresholds
chosen by hand-checkable rules; every refusal with its message."""

from __future__ import annotations

import json
import re

import numpy as np
import polars as pl
import pytest
import yaml
from click.testing import CliRunner

from healthcore import load_ruleset, loads_ruleset
from healthcore.analysis.calibrate import calibrate, choose_thresholds
from healthcore.cli.render.analysis import render_calibration
from healthcore.cli.main import main
from healthcore.errors import InputError
from helpers import run_cli as run

RULESET = """\
healthcore: 1
name: synthetic
account_id: id

# Five signals, weighted alike as a first guess.
indicators:
  - id: usage              # the strongest signal
    metric: field
    params: {field: usage}
    normalize: {linear: {worst: 0, best: 100}}
    weight: 20
  - id: nps
    metric: field
    params: {field: nps}
    normalize: {linear: {worst: 0, best: 100}}
    weight: 20   # a comment after the weight
  - {id: noise_a, metric: field, params: {field: noise_a}, normalize: {linear: {worst: 0, best: 100}}, weight: 20}
  - id: noise_b
    metric: field
    params: {field: noise_b}
    normalize: {linear: {worst: 0, best: 100}}
    weight: 20.0
  - id: tickets
    label: Tickets
    metric: field
    params: {field: tickets}
    normalize: {linear: {worst: 0, best: 100}}
    weight: 20

actions:
  - id: promo
    when: promo
    points: 5
    reason: On a promotion

tiers:
  - {name: healthy, min: 70, color: green}    # keep
  - {name: at_risk, min: 40, color: yellow}
  - {name: unhealthy, min: 0, color: red}
"""


def synthetic_accounts(n: int = 2000, seed: int = 7) -> pl.DataFrame:
    """Accounts whose churn depends on usage (strongly) and nps; the noise indicators are
    unrelated to it, and more tickets points go with MORE churn. A tenth of the nps values are
    missing; a random fifth of the accounts are on a promotion, unrelated to churn."""
    rng = np.random.default_rng(seed)
    usage, nps, noise_a, noise_b, tickets = (rng.uniform(0, 100, n) for _ in range(5))
    logit = 3.0 - 0.06 * usage - 0.03 * nps + 0.015 * tickets
    churned = rng.random(n) < 1 / (1 + np.exp(-logit))
    nps = np.where(rng.random(n) < 0.1, np.nan, nps)
    return pl.DataFrame({
        "id": [f"S-{i:05d}" for i in range(n)], "usage": usage, "nps": nps,
        "noise_a": noise_a, "noise_b": noise_b, "tickets": tickets,
        "promo": rng.random(n) < 0.2,
        "churned": np.where(churned, "yes", "no")}).with_columns(pl.col("nps").fill_nan(None))


@pytest.fixture(scope="module")
def synthetic():
    ruleset = loads_ruleset(RULESET, "synthetic.yaml")
    return ruleset, calibrate(ruleset, synthetic_accounts(), "churned")


def test_weights_go_to_the_informative_indicators(synthetic):
    _, result = synthetic
    weights = {w.id: w.new for w in result.weights}
    assert sum(weights.values()) == 100
    assert weights["usage"] > weights["nps"] > max(weights["noise_a"], weights["noise_b"])
    assert weights["usage"] + weights["nps"] >= 85
    assert weights["tickets"] == 0
    notes = {w.id: w.note for w in result.weights}
    assert notes["tickets"] == "wrong_direction"
    assert notes["usage"] is None and notes["nps"] is None
    coefficients = {w.id: w.coefficient for w in result.weights}
    assert coefficients["tickets"] < 0 < coefficients["nps"] < coefficients["usage"]
    assert [w.old for w in result.weights] == [20.0] * 5


def test_held_out_auc_rises(synthetic):
    _, result = synthetic
    assert result.before.labelled == result.after.labelled == 600  # 30 % of 2000
    assert result.train == {"accounts": 1400, "churned": result.train["churned"]}
    assert result.after.auc > result.before.auc + 0.05
    assert result.before.churned == result.after.churned


def test_the_new_ruleset_differs_only_in_weights_and_keeps_comments(synthetic):
    old, result = synthetic
    before = RULESET.splitlines()
    after = result.text.splitlines()
    assert len(before) == len(after)
    changed = [(a, b) for a, b in zip(before, after) if a != b]
    assert changed and all("weight:" in a for a, _ in changed)
    for a, b in changed:  # the number alone is replaced, the rest of the line is kept
        assert re.sub(r"weight: [0-9.]+", "weight: N", a) == \
            re.sub(r"weight: [0-9.]+", "weight: N", b)
    assert re.search(r"\n    weight: \d+   # a comment after the weight\n", result.text)
    assert "# Five signals, weighted alike as a first guess." in result.text
    assert "- id: usage              # the strongest signal" in result.text
    old_data, new_data = yaml.safe_load(RULESET), yaml.safe_load(result.text)
    for item in old_data["indicators"] + new_data["indicators"]:
        item.pop("weight")
    assert old_data == new_data
    compiled = loads_ruleset(result.text)
    assert [i.weight for i in compiled.indicators] == [w.new for w in result.weights]
    assert result.ruleset.name == old.name == "synthetic"


def test_the_written_ruleset_loads_and_validates(synthetic, tmp_path):
    _, result = synthetic
    target = tmp_path / "new.yaml"
    result.write(target)
    assert target.read_text(encoding="utf-8") == result.text
    assert [i.weight for i in load_ruleset(target).indicators] == [w.new for w in
                                                                  result.weights]
    assert list(tmp_path.iterdir()) == [target]  # nothing half-written left behind


def test_the_same_seed_gives_the_same_weights_and_another_seed_other_held_out_accounts():
    ruleset = loads_ruleset(RULESET)
    accounts = synthetic_accounts(600, seed=3)
    first = calibrate(ruleset, accounts, "churned", seed=5)
    again = calibrate(ruleset, accounts, "churned", seed=5)
    other = calibrate(ruleset, accounts, "churned", seed=6, test_share=0.5)
    assert first.to_dict() == again.to_dict()
    assert other.after.labelled == 300
    assert other.before.to_dict() != first.before.to_dict()


def test_weights_keep_the_scale_of_the_ruleset():
    small = RULESET.replace("weight: 20.0", "weight: 0.2").replace("weight: 20", "weight: 0.2")
    result = calibrate(loads_ruleset(small), synthetic_accounts(800, seed=1), "churned")
    weights = [w.new for w in result.weights]
    assert sum(weights) == pytest.approx(1.0)
    assert all(round(w, 2) == w for w in weights)  # steps of 1 % of the total
    assert [float(w) for w in re.findall(r"weight: ([0-9.]+)", result.text)] == weights


def test_groups_get_the_weights_and_their_members_keep_theirs():
    grouped = """\
healthcore: 1
name: grouped
account_id: id
groups:
  - {id: product, weight: 50}
  - {id: sentiment, weight: 50}
indicators:
  - {id: usage, group: product, metric: field, params: {field: usage}, normalize: {linear: {worst: 0, best: 100}}, weight: 3}
  - {id: noise_a, group: product, metric: field, params: {field: noise_a}, normalize: {linear: {worst: 0, best: 100}}, weight: 1}
  - {id: noise_b, group: sentiment, metric: field, params: {field: noise_b}, normalize: {linear: {worst: 0, best: 100}}, weight: 1}
tiers:
  - {name: healthy, min: 70, color: green}
  - {name: unhealthy, min: 0, color: red}
"""
    result = calibrate(loads_ruleset(grouped), synthetic_accounts(1500, seed=2), "churned")
    assert [(w.id, w.kind) for w in result.weights] == [("product", "group"),
                                                        ("sentiment", "group")]
    weights = {w.id: w.new for w in result.weights}
    assert weights["product"] > 80 and weights["product"] + weights["sentiment"] == 100
    assert [i.weight for i in result.ruleset.indicators] == [3, 1, 1]
    assert result.after.auc > result.before.auc


def test_percentile_tiers_get_percentile_thresholds():
    relative = RULESET.replace("min: 70", "percentile: 70").replace("min: 40", "percentile: 40") \
        .replace("min: 0", "percentile: 0")
    result = calibrate(loads_ruleset(relative), synthetic_accounts(1000, seed=4), "churned",
                       tiers=True)
    assert [t.tier for t in result.thresholds] == ["healthy", "at_risk"]
    assert result.ruleset.tier_mode == "percentile"
    new = [t.new for t in result.thresholds]
    assert [t.threshold for t in result.ruleset.tiers] == [*new, 0.0]
    assert 100 > new[0] > new[1] > 0
    assert "percentile: 0, color: red}" in result.text


def test_tier_thresholds_are_chosen_on_the_training_accounts():
    result = calibrate(loads_ruleset(RULESET), synthetic_accounts(), "churned", tiers=True)
    thresholds = [t.new for t in result.thresholds]
    assert [t.old for t in result.thresholds] == [70, 40]
    assert thresholds[0] > thresholds[1] > 0 and all(t == int(t) for t in thresholds)
    assert f"{{name: healthy, min: {int(thresholds[0])}, color: green}}    # keep" in result.text
    rates = [t.rate for t in result.after.tiers]
    assert rates[0] < rates[1] < rates[2]
    assert "tier     old threshold  new threshold" in render_calibration(result)


def test_choose_thresholds_by_hand():
    # cells 40, 41, 42: all churned, half churned, none churned. Any other cut mixes two of
    # them, so the best thresholds are 42 and 41 (a tier starts at its threshold).
    position = np.array([40.5] * 5 + [41.2] * 4 + [42.0] * 11)
    churned = np.array([True] * 5 + [True, False, True, False] + [False] * 11)
    assert choose_thresholds(position, churned, 3) == [42, 41]
    # Two tiers, the cost of a tier being churned x retained / accounts: the cut at 42 leaves
    # 9 accounts, 7 churned, below (7 x 2 / 9 = 1.56) and none churned above (0); the cut at 41
    # leaves none retained below (0) and 15 accounts, 2 churned, above (2 x 13 / 15 = 1.73).
    assert choose_thresholds(position, churned, 2) == [42]
    # no tier may hold fewer than the minimum share: 5 % of 20 is 1 account, 30 % is 6
    assert choose_thresholds(position, churned, 2, min_share=0.3) == [42]
    with pytest.raises(InputError) as caught:
        choose_thresholds(position, churned, 3, min_share=0.3)
    assert str(caught.value) == ("cannot choose thresholds for 3 tiers that each hold at least "
                                 "30% of the 20 training accounts; calibrate without tiers=True, "
                                 "or with more accounts")


# -- refusals -----------------------------------------------------------------------------------

def test_segments_with_their_own_weights_are_refused():
    segmented = RULESET.replace("actions:", """\
segments:
  - id: enterprise
    when: usage > 90
    weights: {usage: 40, nps: 10}
actions:""")
    with pytest.raises(InputError) as caught:
        calibrate(loads_ruleset(segmented), synthetic_accounts(200), "churned")
    assert str(caught.value) == (
        "segment 'enterprise' changes the weights of nps, usage: calibrate learns one set of "
        "weights for all accounts and cannot learn per-segment weights; calibrate a copy of the "
        "ruleset without the segment's weights, or one ruleset per segment")


def test_segment_thresholds_are_refused_with_tiers_only():
    segmented = RULESET.replace("actions:", """\
segments:
  - id: enterprise
    when: usage > 90
    tiers: {healthy: 80}
actions:""")
    ruleset = loads_ruleset(segmented)
    assert calibrate(ruleset, synthetic_accounts(300), "churned").thresholds is None
    with pytest.raises(InputError) as caught:
        calibrate(ruleset, synthetic_accounts(300), "churned", tiers=True)
    assert str(caught.value) == ("segment 'enterprise' changes the thresholds of the tiers "
                                 "healthy: tiers=True chooses one set of thresholds for all "
                                 "accounts; calibrate without tiers=True")


def first_churned(count: int) -> pl.DataFrame:
    """200 synthetic accounts of which the first ``count`` churned, and only they."""
    return synthetic_accounts(200).with_columns(
        churned=pl.when(pl.int_range(pl.len()) < count).then(pl.lit("yes")).otherwise(
            pl.lit("no")))


def test_too_few_accounts_of_one_outcome():
    with pytest.raises(InputError) as caught:
        calibrate(loads_ruleset(RULESET), first_churned(9), "churned")
    assert str(caught.value) == ("outcome field 'churned': 9 churned and 191 retained accounts; "
                                 "calibrating needs at least 10 of each (and learns better "
                                 "with hundreds)")


def test_no_indicator_going_with_retention():
    accounts = synthetic_accounts(1000)
    flipped = accounts.with_columns(pl.col("churned").replace({"yes": "no", "no": "yes"}))
    only_usage = """\
healthcore: 1
name: one
account_id: id
indicators:
  - {id: usage, metric: field, params: {field: usage}, normalize: {linear: {worst: 0, best: 100}}, weight: 1}
tiers:
  - {name: all, min: 0}
"""
    with pytest.raises(InputError) as caught:
        calibrate(loads_ruleset(only_usage), flipped, "churned")
    assert str(caught.value) == ("no indicator goes with retention on these accounts (every "
                                 "coefficient is 0 or negative): the weights cannot be learned; "
                                 "check the outcome field and which values mean churn")


def test_training_accounts_scored_all_with_one_outcome():
    # nps (missing: error) is known only for retained accounts: the churned ones are not scored
    strict = RULESET.replace("    weight: 20   #", "    missing: error\n    weight: 20   #")
    accounts = synthetic_accounts(400).with_columns(
        nps=pl.when(pl.col("churned") == "no").then(pl.col("nps").fill_null(50)))
    with pytest.raises(InputError) as caught:
        calibrate(loads_ruleset(strict), accounts, "churned")
    assert str(caught.value) == ("the training accounts that the ruleset can score all have "
                                 "the same outcome: the weights cannot be learned")


def test_a_weight_written_through_an_alias_is_refused():
    aliased = RULESET.replace("    weight: 20   # a comment", "    weight: &same 20   # a comment")
    aliased = aliased.replace("params: {field: tickets}\n    normalize: {linear: {worst: 0, "
                              "best: 100}}\n    weight: 20",
                              "params: {field: tickets}\n    normalize: {linear: {worst: 0, "
                              "best: 100}}\n    weight: *same")
    with pytest.raises(InputError) as caught:
        calibrate(loads_ruleset(aliased), synthetic_accounts(300), "churned")
    assert str(caught.value) == ("indicator 'nps': its weight (line 16) is not written as a "
                                 "plain number ('&same 20'); write the number itself so that "
                                 "calibrate can replace it")


def test_a_bad_held_out_share():
    with pytest.raises(InputError) as caught:
        calibrate(loads_ruleset(RULESET), synthetic_accounts(200), "churned", test_share=1.0)
    assert str(caught.value) == "the held-out share must be between 0 and 1, not 1.0"


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, True])
def test_a_seed_numpy_cannot_take_is_refused(seed):
    with pytest.raises(InputError) as caught:
        calibrate(loads_ruleset(RULESET), synthetic_accounts(200), "churned", seed=seed)
    assert str(caught.value) == ("the seed must be a whole number from 0 to 4294967295, not "
                                 f"{seed!r}")


def test_the_largest_seed_is_taken():
    result = calibrate(loads_ruleset(RULESET), synthetic_accounts(200), "churned",
                       seed=2**32 - 1)
    assert result.seed == 4294967295 and result.after.labelled == 60


@pytest.mark.parametrize("share, held, left", [(0.999, 200, 0), (0.001, 1, 199),
                                               (0.995, 199, 1)])
def test_a_held_out_share_leaving_a_part_too_small(share, held, left):
    # 200 accounts: a part of 0 or 1 account cannot hold a churned and a retained one
    with pytest.raises(InputError) as caught:
        calibrate(loads_ruleset(RULESET), synthetic_accounts(200), "churned", test_share=share)
    assert str(caught.value) == (f"a held-out share of {share} holds out {held} of the 200 "
                                 f"accounts with a known outcome and leaves {left} to learn "
                                 "from: each part needs churned and retained accounts; give a "
                                 "share nearer 0.3")


def test_a_held_out_share_leaving_one_outcome_out_of_a_part():
    # 10 churned, 190 retained; 2 % held out: 4 accounts. The stratified split keeps
    # 196 x 10 / 200 = 9.8 churned (rounded up: the largest remainder) to learn from, so all
    # 10, and 186 retained: the 4 held out are all retained
    with pytest.raises(InputError) as caught:
        calibrate(loads_ruleset(RULESET), first_churned(10), "churned", test_share=0.02)
    assert str(caught.value) == ("a held-out share of 0.02 holds out 4 of the 200 accounts with "
                                 "a known outcome (0 churned, 4 retained) and leaves 196 to "
                                 "learn from (10 churned, 186 retained): each part needs "
                                 "churned and retained accounts; give a share nearer 0.3")


# -- the command --------------------------------------------------------------------------------

@pytest.fixture
def files(tmp_path):
    ruleset = tmp_path / "synthetic.yaml"
    ruleset.write_text(RULESET, encoding="utf-8")
    accounts = tmp_path / "accounts.csv"
    synthetic_accounts(1000, seed=11).write_csv(accounts)
    return str(ruleset), str(accounts)


def test_command_writes_the_new_ruleset_and_reports_old_and_new(files, tmp_path):
    ruleset, accounts = files
    target = tmp_path / "new.yaml"
    result = run("calibrate", ruleset, accounts, "--outcome", "churned", "-o", str(target))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (f"{ruleset}: learned from 700 accounts, compared on 300 held-out "
                        "accounts (30.0 %, seed 0)")
    assert lines[2] == "  indicator  old weight  new weight  note"
    assert re.fullmatch(r"  tickets    +20 +0  given the others, more points went with more "
                        r"churn", lines[7])
    assert "Held-out backtest:" in lines
    auc = next(line for line in lines if line.startswith("  AUC"))
    old_auc, new_auc = map(float, auc.split()[1:])
    assert new_auc > old_auc
    assert lines[-1] == f"written: {target}"
    assert load_ruleset(target).indicators[-1].weight == 0


def test_command_json(files):
    ruleset, accounts = files
    result = run("calibrate", ruleset, accounts, "--outcome", "churned", "-f", "json",
                 "--seed", "3", "--test-share", "0.25", "--tiers")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"ruleset", "seed", "test_share", "train", "test", "weights",
                         "thresholds", "before", "after", "warnings", "written"}
    assert (data["seed"], data["test_share"], data["written"]) == (3, 0.25, None)
    assert data["test"]["accounts"] == data["after"]["labelled"] == 250
    assert data["train"]["accounts"] == 750
    assert [w["id"] for w in data["weights"]] == ["usage", "nps", "noise_a", "noise_b",
                                                  "tickets"]
    assert [t["tier"] for t in data["thresholds"]] == ["healthy", "at_risk"]
    assert data["after"]["auc"] > data["before"]["auc"]


def test_command_refuses_to_overwrite_the_ruleset(files):
    ruleset, accounts = files
    result = run("calibrate", ruleset, accounts, "--outcome", "churned", "-o", ruleset)
    assert result.exit_code == 2
    assert result.stderr == (f"error: {ruleset} is the ruleset being calibrated: write the new "
                             "one to another file (or give --force to replace it)\n")
    assert open(ruleset, encoding="utf-8").read() == RULESET
    result = run("calibrate", ruleset, accounts, "--outcome", "churned", "-o", ruleset,
                 "--force")
    assert result.exit_code == 0, result.output
    assert open(ruleset, encoding="utf-8").read() != RULESET


def test_command_refuses_an_existing_output(files, tmp_path):
    ruleset, accounts = files
    existing = tmp_path / "existing.yaml"
    existing.write_text("keep me", encoding="utf-8")
    result = run("calibrate", ruleset, accounts, "--outcome", "churned", "-o", str(existing))
    assert result.exit_code == 2
    assert result.stderr == (f"error: {existing} exists: give another file (or --force to "
                             "replace it)\n")
    assert existing.read_text(encoding="utf-8") == "keep me"


def test_command_without_output_writes_nothing(files, tmp_path):
    ruleset, accounts = files
    before = sorted(tmp_path.iterdir())
    result = run("calibrate", ruleset, accounts, "--outcome", "churned")
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("\nnot written: give -o NEW.yaml to write the calibrated "
                                  "ruleset\n")
    assert sorted(tmp_path.iterdir()) == before


@pytest.mark.parametrize("seed", ["-1", "4294967296"])
def test_command_refuses_a_seed_out_of_range(files, seed):
    result = CliRunner().invoke(main, ["calibrate", *files, "--outcome", "churned",
                                       f"--seed={seed}"])
    assert result.exit_code == 2
    assert (f"Invalid value for '--seed': {seed} is not in the range 0<=x<=4294967295."
            in result.stderr)


def test_command_refuses_a_held_out_share_leaving_nothing_to_learn_from(files):
    result = run("calibrate", *files, "--outcome", "churned", "--test-share", "0.9995")
    assert result.exit_code == 2
    assert result.stderr == ("error: a held-out share of 0.9995 holds out 1000 of the 1000 "
                             "accounts with a known outcome and leaves 0 to learn from: each "
                             "part needs churned and retained accounts; give a share nearer "
                             "0.3\n")
