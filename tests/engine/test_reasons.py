"""The reasons and errors of the explanation: their texts, their order and their edge cases."""

from __future__ import annotations

import healthcore

import polars as pl

from healthcore.engine.reasons import ActionReason, IndicatorCost, ranked_reasons, text_list
from helpers import by_id, ruleset

ONE = """
indicators:
  - id: a
    label: A
    metric: field
    params: {field: a}
    normalize: {linear: {worst: 0, best: 100}}
    weight: 1
"""


def _formatted(cost: float) -> str:
    """The text of a cost as polars formats the cost rounded to one decimal."""
    return f"A cost {pl.Series([cost]).round(1).cast(pl.String)[0]} points"


def test_every_cost_in_tenths_and_halves_reads_as_its_rounded_value(builtin_registry):
    # one indicator of weight 1 costs 100 - value: every step of 0.005 from 0 to 100
    values = [step / 200 for step in range(20_001)]
    results = healthcore.score(ruleset(ONE, builtin_registry),
                               pl.DataFrame({"account_id": [str(v) for v in values], "a": values}))
    frame = results.frame
    for value, reasons in zip(values, frame["reasons"].to_list()):
        cost = 100.0 - value
        assert reasons == ([_formatted(cost)] if cost > 0.05 else []), value


def test_random_costs_read_as_their_rounded_value(builtin_registry):
    values = pl.Series([0.05, 0.15, 0.25, 99.95, 99.85, 12.345, 50.05, 0.0])
    values = pl.concat([values, pl.Series(list(range(1_000))) / 997 * 100])
    results = healthcore.score(ruleset(ONE, builtin_registry),
                               pl.DataFrame({"account_id": [str(k) for k in range(len(values))],
                                             "a": values}))
    for value, reasons in zip(values.to_list(), results.frame["reasons"].to_list()):
        cost = 100.0 - value
        assert reasons == ([_formatted(cost)] if cost > 0.05 else []), value


def test_a_cost_of_exactly_100_points(builtin_registry):
    results = healthcore.score(ruleset(ONE, builtin_registry), [{"account_id": "x", "a": 0}])
    assert results.to_records()[0]["reasons"] == ["A cost 100.0 points"]


def _reasons(costs: dict[str, list[float | None]], actions: list[ActionReason] = (),
             top: int = 3) -> list[list[str]]:
    frame = pl.DataFrame(costs, schema={name: pl.Float64 for name in costs})
    indicators = [IndicatorCost(pl.col(name), f"{name} cost ") for name in costs]
    lazy, reasons = ranked_reasons(frame.lazy(), indicators, list(actions), top, pl.lit(True))
    return lazy.select(reasons.alias("reasons")).collect()["reasons"].to_list()


def test_costs_beyond_100_points_are_formatted_too():
    assert _reasons({"x": [150.04, 100.05, 1e6, 0.05, None]}) == [
        ["x cost 150.0 points"], [f"x cost {pl.Series([100.05]).round(1).cast(pl.String)[0]}"
                                 " points"],
        ["x cost 1000000.0 points"], [], []]


def test_ties_keep_the_ruleset_order_and_indicators_go_before_actions():
    fired = pl.lit(True)
    late = ActionReason(fired, -15.0, "late")
    small = ActionReason(fired, -2.0, "small")
    reasons = _reasons({"x": [15.0, 2.0], "y": [15.0, 30.0], "z": [2.0, 15.0]},
                       [small, late], top=3)
    assert reasons == [
        ["x cost 15.0 points", "y cost 15.0 points", "late", "z cost 2.0 points", "small"],
        ["y cost 30.0 points", "z cost 15.0 points", "late", "x cost 2.0 points", "small"]]


def test_an_account_with_no_reason_has_an_empty_list():
    quiet = ActionReason(pl.lit(False), -5.0, "never")
    assert _reasons({"x": [0.0, None, 0.04]}, [quiet]) == [[], [], []]


def test_many_problems_on_one_account_keep_their_order():
    messages = [f"problem {k}" for k in range(25)]
    items = [pl.when(pl.col("bad")).then(pl.lit(message)) for message in messages]
    frame = pl.DataFrame({"bad": [True, False, None]})
    listed = frame.select(text_list(items).alias("errors"))["errors"].to_list()
    assert listed == [messages, [], []]


def test_every_bad_field_of_an_account_is_reported_in_field_order(builtin_registry):
    body = "indicators:\n" + "".join(
        f"  - {{id: i{k}, metric: field, params: {{field: f{k}}},"
        f" normalize: {{linear: {{worst: 0, best: 1}}}}, weight: 1}}\n" for k in range(22))
    account = {"account_id": "x"} | {f"f{k}": f"bad{k}" for k in range(22)}
    fine = {"account_id": "y"} | {f"f{k}": "0.5" for k in range(22)}
    records = by_id(healthcore.score(ruleset(body, builtin_registry), [account, fine]))
    assert records["x"]["errors"] == [
        *(f"field 'f{k}': 'bad{k}' is not a number" for k in range(22)),
        "no indicator has a value for this account, so it has no score"]
    assert records["y"]["errors"] == []
