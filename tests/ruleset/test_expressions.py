"""Expressions: null semantics, safety at load, and the batch and scalar paths agreeing."""

from __future__ import annotations

import math
import warnings

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from healthcore import RulesetError, loads_ruleset
from healthcore.ruleset.expressions import ExpressionError, parse

PARAMS = {"p": 3, "tier_name": "gold"}


def compile_expr(source: str, registry, want: str = "any"):
    return parse(source, registry.functions, PARAMS, want=want)


def batch(expression, rows: list[dict]) -> list:
    frame = pl.DataFrame(rows, schema={"x": pl.Float64, "y": pl.Float64, "z": pl.Float64,
                                       "s": pl.String, "flag": pl.Boolean})
    return frame.select(expression.to_polars(lambda name, kind: pl.col(name)).alias("r")
                        )["r"].to_list()


@pytest.mark.parametrize("source,row,expected", [
    ("x + y * 2", {"x": 1.0, "y": 2.0}, 5.0),
    ("x + y", {"x": 1.0, "y": None}, None),                 # null propagates
    ("x / y", {"x": 1.0, "y": 0.0}, None),                  # division by zero is null
    ("x * y", {"x": 1e300, "y": 1e300}, None),              # overflow is null, never inf
    ("x ** 0.5", {"x": -4.0}, None),                        # no complex numbers, no NaN
    ("1 / (x * 10) ** 0.5", {"x": -1e308}, None),           # a power of an infinity is null
    ("x > 1", {"x": None}, None),                           # comparison with null is null
    ("x > 1 and y > 1", {"x": 0.0, "y": None}, False),      # three-valued logic
    ("x > 1 or y > 1", {"x": 2.0, "y": None}, True),
    ("x > 1 or y > 1", {"x": 0.0, "y": None}, None),
    ("not (x > 1)", {"x": None}, None),
    ("1 if x > 1 else 2", {"x": None}, 2.0),                # a null condition is not true
    ("x < y < z", {"x": 1.0, "y": 2.0, "z": 1.5}, False),
    ("s in ('gold', 'silver')", {"s": "silver"}, True),
    ("s == tier_name", {"s": "gold"}, True),
    ("x * p", {"x": 2.0}, 6.0),                             # parameters are constants
    ("min(x, y, 7)", {"x": 3.0, "y": 5.0}, 3.0),
    ("max(x, y)", {"x": 3.0, "y": None}, None),
    ("round(x, 1)", {"x": 2.25}, 2.2),                      # halves to even
    ("round(x)", {"x": 2.5}, 2.0),
    ("coalesce(x, y, 0)", {"x": None, "y": None}, 0.0),
    ("x / (1 / 0)", {"x": 1.0}, None),                      # a written division by zero too
    ("is_null(x)", {"x": None}, True),
    ("abs(x)", {"x": -2.5}, 2.5),
])
def test_semantics_in_both_paths(source, row, expected, builtin_registry):
    expression = compile_expr(source, builtin_registry)
    full = {"x": None, "y": None, "z": None, "s": None, "flag": None, **row}
    assert expression.evaluate(full) == expected
    assert batch(expression, [full]) == [expected]


@pytest.mark.parametrize("source,message", [
    ("__import__('os')", "names starting with '_' are not allowed ('__import__')"),
    ("__import__('os').system('id')", "attribute access (a '.') is not allowed in expressions"),
    ("().__class__", "attribute access (a '.') is not allowed in expressions"),
    ("x.real", "attribute access (a '.') is not allowed in expressions"),
    ("9 ** 9 ** 9", "the exponent of ** must be a number written in the expression"),
    ("x ** 1000", "the exponent 1000 is too large (at most 100)"),
    ("'a' * 10 ** 9", "'a' is text, but a number is needed here"),
    ("(lambda: 1)()", "only functions called by name are allowed"),
    ("lambda: 1", "lambda is not allowed in expressions"),
    ("(y := 1)", "assignment (':=') is not allowed in expressions"),
    ("[v for v in (1, 2)]", "comprehensions are not allowed in expressions"),
    ("x[0]", "indexing with [ ] is not allowed in expressions"),
    ("open('f')", "unknown function 'open'"),
    ("max(x, key=abs)", "max() takes no named arguments"),
    ("x = 1", "only an expression is allowed here, not a statement"),
    ("import os", "only an expression is allowed here, not a statement"),
    ("x // 2", "the operator '//' is not available"),
    ("x ** (1 / 0)", "the exponent of ** must be a number written in the expression"),
    ("x is None", "the comparison 'is' is not available"),
    ("f'{x}'", "f-strings are not allowed in expressions"),
    ("'" + "a" * 1500 + "' == s", "text longer than 1000 characters is not allowed"),
    ("x + " * 600 + "1", "the expression is longer than 2000 characters"),
    ("(" * 1000 + "x" + ")" * 1000, "the expression is longer than 2000 characters"),
    ("(" * 200 + "x" + ")" * 200, "nested more than 32 levels deep"),
    ("-" * 100 + "x", "nested more than 32 levels deep"),
    ("roun(x)", "unknown function 'roun' (did you mean 'round'?)"),
    ("round(x, 1, 2)", "round() takes 1 to 2 arguments, not 3"),
    ("round(x, y)", "argument 2 of round() must be a number written in the expression"),
    ("s > 'a'", "'s' is used as text elsewhere"),
])
def test_unsafe_or_invalid_expressions_are_rejected(source, message, builtin_registry):
    with pytest.raises(ExpressionError) as caught:
        parse("s == 'x' and (" + source + ")" if source.startswith("s >") else source,
              builtin_registry.functions, PARAMS)
    assert message in str(caught.value)


def test_attacks_are_rejected_when_the_ruleset_loads_naming_the_line(builtin_registry):
    text = """healthcore: 1
name: hostile
indicators:
  - id: a
    metric: expression
    params: {expr: "__import__('os').system('rm -rf /')"}
    normalize: {linear: {worst: 0, best: 1}}
    weight: 1
actions:
  - id: boom
    when: "'a' * 10 ** 9 == 'a'"
    points: 1
tiers:
  - {name: all, min: 0}
"""
    with pytest.raises(RulesetError) as caught:
        loads_ruleset(text, "hostile.yaml", registry=builtin_registry)
    assert [str(d) for d in caught.value.diagnostics] == [
        "hostile.yaml:6:21: indicators[0].params.expr: attribute access (a '.') is not "
        "allowed in expressions",
        "hostile.yaml:11:12: actions[0].when: 'a' is text, but a number is needed here",
    ]


# --------------------------------------------------------------------- differential test

NUMBERS = st.sampled_from([None, 0.0, -0.0, 1.0, -1.0, 2.5, 0.5, 3.0, -7.25, 1e300, 1e-300,
                           123456.789])
TEXTS = st.sampled_from([None, "gold", "silver", ""])
FLAGS = st.sampled_from([None, True, False])

number_leaf = st.sampled_from(["x", "y", "z", "p", "0", "1", "2.5", "-3", "0.5"])


def simple_conditions(numbers):
    two = st.tuples(numbers, numbers)
    return st.one_of(
        two.map(lambda t: f"{t[0]} < {t[1]}"), two.map(lambda t: f"{t[0]} >= {t[1]}"),
        two.map(lambda t: f"{t[0]} == {t[1]}"), two.map(lambda t: f"{t[0]} != {t[1]}"),
        st.tuples(numbers, numbers, numbers).map(lambda t: f"{t[0]} <= {t[1]} < {t[2]}"),
        st.just("s == 'gold'"), st.just("s in ('gold', 'silver')"), st.just("flag"),
        st.just("s != tier_name"), numbers.map(lambda a: f"is_null({a})"),
        numbers.map(lambda a: f"{a} in (1, 2.5, -3)"))


def _numbers(children):
    two = st.tuples(children, children)
    return st.one_of(
        two.map(lambda t: f"({t[0]} + {t[1]})"), two.map(lambda t: f"({t[0]} - {t[1]})"),
        two.map(lambda t: f"({t[0]} * {t[1]})"), two.map(lambda t: f"({t[0]} / {t[1]})"),
        children.map(lambda a: f"({a} ** 2)"), children.map(lambda a: f"({a} ** 0.5)"),
        children.map(lambda a: f"({a} ** -1)"), children.map(lambda a: f"(-{a})"),
        children.map(lambda a: f"abs({a})"), two.map(lambda t: f"min({t[0]}, {t[1]})"),
        two.map(lambda t: f"max({t[0]}, {t[1]})"), children.map(lambda a: f"round({a})"),
        children.map(lambda a: f"round({a}, 2)"), two.map(lambda t: f"coalesce({t[0]}, {t[1]})"),
        st.tuples(simple_conditions(number_leaf), children, children).map(
            lambda t: f"({t[1]} if {t[0]} else {t[2]})"),
    )


number_expressions = st.recursive(number_leaf, _numbers, max_leaves=8)
conditions = st.recursive(simple_conditions(number_expressions), lambda c: st.one_of(
    st.tuples(c, c).map(lambda t: f"({t[0]} and {t[1]})"),
    st.tuples(c, c).map(lambda t: f"({t[0]} or {t[1]})"),
    c.map(lambda a: f"(not {a})")), max_leaves=4)
any_expressions = st.one_of(number_expressions, conditions)
rows = st.lists(st.fixed_dictionaries({"x": NUMBERS, "y": NUMBERS, "z": NUMBERS, "s": TEXTS,
                                       "flag": FLAGS}), min_size=1, max_size=12)


def same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=any_expressions, data=rows)
def test_batch_and_scalar_evaluation_agree(source, data, builtin_registry):
    expression = compile_expr(source, builtin_registry)
    vectorized = batch(expression, data)
    scalar = [expression.evaluate(row) for row in data]
    assert all(same(v, s) for v, s in zip(vectorized, scalar)), (source, data, vectorized,
                                                                 scalar)


def test_parameters_varying_by_account_agree_in_both_paths(builtin_registry):
    expression = compile_expr("x * p if s == tier_name else -p", builtin_registry)
    rows = [{"x": 2.0, "s": "gold"}, {"x": 2.0, "s": "tin"}]
    vectorized = (pl.DataFrame({"x": [2.0, 2.0], "s": ["gold", "tin"], "seg_p": [5.0, 7.0]})
                  .select(expression.to_polars(
                      lambda name, kind: pl.col(name),
                      lambda name: pl.col("seg_p") if name == "p" else None).alias("r"))
                  ["r"].to_list())
    scalar = [expression.evaluate(row, {"p": p}) for row, p in zip(rows, (5, 7))]
    assert vectorized == scalar == [10.0, -7.0]


# ------------------------------------------------------------------ chains, statements, names

@pytest.mark.parametrize("source,row,expected", [
    (" + ".join(["x"] * 40), {"x": 2.5}, 100.0),                      # 40 terms: one level
    (" - ".join(["x"] * 60), {"x": 1.5}, -87.0),
    ("x" + " * 2 / 2" * 40, {"x": 3.0}, 3.0),
    ("x + x - x" + " + 0" * 40, {"x": 1e308}, None),                  # left to right: inf first
    ("x" + " / 2" * 200, {"x": 2.0 ** 200}, 1.0),
    ("abs(" * 30 + " + ".join(["x"] * 40) + ")" * 30, {"x": -1.0}, 40.0),
    ("1 / (x - x" + " + x - x" * 19 + ")", {"x": 1.0}, None),         # a division by zero
])
def test_long_chains_are_one_level_and_keep_their_order(source, row, expected, builtin_registry):
    expression = compile_expr(source, builtin_registry)
    full = {"x": None, "y": None, "z": None, "s": None, "flag": None, **row}
    assert expression.evaluate(full) == expected
    assert batch(expression, [full]) == [expected]


def test_nesting_still_counts_around_chains(builtin_registry):
    with pytest.raises(ExpressionError) as caught:
        compile_expr("abs(" * 33 + "x + y" + ")" * 33, builtin_registry)
    assert str(caught.value) == "the expression is nested more than 32 levels deep"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(terms=st.lists(st.tuples(st.sampled_from(["+", "-", "*", "/"]), number_leaf),
                      min_size=33, max_size=120),
       first=number_leaf, data=rows)
def test_batch_and_scalar_evaluation_agree_on_long_chains(terms, first, data, builtin_registry):
    source = first + "".join(f" {op} {leaf}" for op, leaf in terms)
    expression = compile_expr(source, builtin_registry)
    vectorized = batch(expression, data)
    scalar = [expression.evaluate(row) for row in data]
    assert all(same(v, s) for v, s in zip(vectorized, scalar)), (source, data, vectorized,
                                                                 scalar)


@pytest.mark.parametrize("template", [
    "abs({} + 1)",          # each arithmetic ends in a finiteness check
    "({} ** 2)",            # each power too
    "x / ({})",             # a division by a column: by zero it is null
    "({} / 3 + 1)",         # a division by a number: exact
    "(1 if {} in (1, 2) else 2)",
])
def test_each_part_is_compiled_once(template, builtin_registry):
    """An expression that repeated a part of itself (``when(e.is_finite()).then(e)``) would
    grow exponentially with nesting: 12 levels took minutes to compile."""
    source = "x"
    for _ in range(12):
        source = template.format(source)
    compiled = compile_expr(source, builtin_registry).to_polars(lambda name, kind: pl.col(name))
    assert str(compiled).count('col("x")') == source.count("x")


def test_division_by_a_number_is_exact_as_in_python(builtin_registry):
    expression = compile_expr("x / 10", builtin_registry)
    values = [3.0, 7.0, 0.3, 123456.789, -1e-300]
    assert batch(expression, [{"x": v} for v in values]) == [v / 10 for v in values]


def test_division_by_a_parameter_a_segment_sets_to_zero_is_null(builtin_registry):
    expression = compile_expr("x / p", builtin_registry)
    vectorized = (pl.DataFrame({"x": [6.0, 6.0], "seg_p": [3.0, 0.0]})
                  .select(expression.to_polars(
                      lambda name, kind: pl.col(name),
                      lambda name: pl.col("seg_p") if name == "p" else None).alias("r"))
                  ["r"].to_list())
    scalar = [expression.evaluate({"x": 6.0}, {"p": p}) for p in (3, 0)]
    assert vectorized == scalar == [2.0, None]


@pytest.mark.parametrize("source,message,column", [
    ("x > 1; import os", "only one expression is allowed here, but 'import os' follows the "
     "first one; to combine conditions, join them with 'and' or 'or'", 8),
    ("x > 1\ny < 2", "only one expression is allowed here, but 'y < 2' follows the first one; "
     "to combine conditions, join them with 'and' or 'or'", 1),
    ("s == 'café' and \uff58 > 1", "'\uff58' is written with characters that stand for other "
     "ones: write it as 'x'", 17),                     # columns count characters, not bytes
    ("s == 'café' and x.real > 1", "attribute access (a '.') is not allowed in expressions",
     17),
    ("x is 1", "the comparison 'is' is not available: use == != < <= > >= in", 1),
])
def test_refusals_name_their_column_and_no_warning_escapes(source, message, column,
                                                           builtin_registry):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning would be raised here instead
        with pytest.raises(ExpressionError) as caught:
            parse(source, builtin_registry.functions, PARAMS)
    assert (str(caught.value), caught.value.column) == (message, column)
