"""Choosing output columns, and results computed lazily as they are written."""

from __future__ import annotations

import io

import healthcore
import polars as pl
import pytest

from healthcore.engine.outputs import choose_columns, output_columns
from healthcore.errors import InputError
from healthcore.io.writers import STREAM_ROWS, write
from helpers import SAAS, SAAS_ACCOUNTS, ruleset

GROUPED = """
indicators:
  - id: a
    metric: field
    params: {field: a}
    normalize: {linear: {worst: 0, best: 10}}
    weight: 1
    group: usage
  - id: b
    metric: field
    params: {field: b}
    normalize: {linear: {worst: 0, best: 10}}
    weight: 1
    group: usage
groups:
  - {id: usage, weight: 1}
"""


@pytest.fixture
def grouped(builtin_registry):
    return ruleset(GROUPED, builtin_registry)


def test_the_default_columns_are_those_of_the_results(grouped):
    results = healthcore.score(grouped, [{"account_id": "x", "a": 5, "b": 10}])
    assert output_columns(grouped) == results.frame.columns == results.columns()


@pytest.mark.parametrize("names, expected", [
    (["score"], ["score"]),
    (["indicators.a.points", "a.points", "score"], ["a.points", "score"]),
    (["b"], ["b.value", "b.points", "b.weight", "b.contribution"]),
    (["indicators"], [f"{i}.{f}" for i in "ab" for f in ("value", "points", "weight",
                                                         "contribution")]),
    (["groups.usage.weight", "usage.points"], ["usage.weight", "usage.points"]),
    (["groups"], ["usage.points", "usage.weight", "usage.contribution"]),
])
def test_names_of_output_columns(grouped, names, expected):
    assert choose_columns(grouped, names) == expected


@pytest.mark.parametrize("name, message", [
    ("tiers", "unknown output column 'tiers' (did you mean 'tier'?)"),
    ("groups.usage.value", "unknown output column 'groups.usage.value'"),
    ("indicators.usage", "unknown output column 'indicators.usage'"),
    ("segment", "unknown output column 'segment'"),
    ("score_delta", "the column 'score_delta' comes with a run recorded in a history: give "
                    "history too, or leave the column out"),
])
def test_names_that_are_no_output_column(grouped, name, message):
    with pytest.raises(InputError) as caught:
        choose_columns(grouped, ["account_id", name])
    assert str(caught.value).startswith(message)


def test_history_columns_are_known_with_a_history(grouped):
    assert choose_columns(grouped, ["override", "previous_tier"], history=True) == [
        "override", "previous_tier"]


def saas_accounts() -> pl.DataFrame:
    return pl.read_csv(SAAS_ACCOUNTS)


def test_a_lazy_run_counts_what_an_eager_one_computes():
    ruleset = healthcore.load_ruleset(SAAS)
    accounts = saas_accounts()
    broken = accounts.with_columns(pl.when(pl.int_range(pl.len()) % 3 == 0)
                                   .then(None).otherwise(pl.col("seats")).alias("seats"),
                                   pl.lit(None, pl.Int64).alias("nps_promoters"))
    for frame in (accounts, broken, accounts.head(0)):
        eager = healthcore.score(ruleset, frame)
        lazy = healthcore.score(ruleset, frame, lazy=True)
        assert (lazy.tier_counts(), lazy.unscorable, len(lazy), lazy.warnings) == (
            eager.tier_counts(), eager.unscorable, len(eager), eager.warnings)
        assert lazy.frame.equals(eager.frame) and lazy.scores.equals(eager.scores)


def test_a_lazy_run_warns_of_percentile_tiers_with_too_few_scores(builtin_registry):
    tiers = """\
tiers:
  - {name: top, percentile: 75, color: green}
  - {name: middle, percentile: 25, color: yellow}
  - {name: bottom, percentile: 0, color: red}
"""
    rules = ruleset(GROUPED, builtin_registry, tiers)
    accounts = [{"account_id": str(n), "a": 5, "b": 5} for n in range(4)]
    eager, lazy = (healthcore.score(rules, accounts, **how) for how in ({}, {"lazy": True}))
    assert lazy.warnings == eager.warnings
    assert "4 scored accounts with 1 distinct score for 3 tiers" in lazy.warnings[0]


def test_lazy_columns_are_computed_alone_and_equal_the_full_results():
    ruleset = healthcore.load_ruleset(SAAS)
    results = healthcore.score(ruleset, saas_accounts(), lazy=True)
    chosen = ["tier", "account_id", "nps.points", "reasons"]
    assert results.lazy(chosen).collect().equals(results.frame.select(chosen))
    # ACC-1001: 7 promoters, 1 passive, no detractor: NPS 87.5, (87.5 + 100) / 2 = 93.75 points
    assert results.nested(["account_id", "nps.value", "nps.points"]).to_dicts()[0] == {
        "account_id": "ACC-1001", "indicators": {"nps": {"value": 87.5, "points": 93.75}}}


def test_explain_and_lazy_do_not_go_together():
    with pytest.raises(ValueError, match="give one of them"):
        healthcore.score(healthcore.load_ruleset(SAAS), saas_accounts(), explain=True, lazy=True)


def test_json_written_in_batches_is_the_whole_frame_as_one_array(builtin_registry):
    rules = ruleset(GROUPED, builtin_registry)
    rows = 2 * STREAM_ROWS + 7  # three batches
    accounts = pl.DataFrame({"account_id": [f"A{n}" for n in range(rows)],
                             "a": [n % 11 for n in range(rows)], "b": [None] * rows},
                            schema_overrides={"b": pl.Int64})
    results = healthcore.score(rules, accounts, lazy=True)
    written = io.BytesIO()
    write(results, "json", written)
    assert written.getvalue() == results.nested().write_json().encode()
    empty = io.BytesIO()
    write(healthcore.score(rules, accounts.head(0), lazy=True), "json", empty)
    assert empty.getvalue() == b"[]"
