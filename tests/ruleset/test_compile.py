"""What a ruleset author sees for each kind of mistake: file:line:column, path, message."""

from __future__ import annotations

import pytest

from healthcore import RulesetError, load_ruleset, loads_ruleset
from helpers import problems

GOOD_TAIL = """\
tiers:
  - {name: healthy, min: 70, color: green}
  - {name: unhealthy, min: 0, color: red}
"""

INDICATOR = """\
indicators:
  - id: usage
    metric: ratio
    params: {numerator: active, denominator: seats}
    normalize: {linear: {worst: 0, best: 1}}
    weight: 1
"""


def test_every_problem_of_a_file_is_reported_at_once_with_its_location(write, builtin_registry):
    path = write("acme.yaml", """
        healthcore: 1
        name: acme
        parameters: {late_days: 30}
        indicators:
          - id: nps
            metric: npss
            normalize: {linear: {worst: -100, best: 100}}
            weight: 20
          - id: usage
            metric: ratio
            params: {numerator: active, denominatr: seats}
            normalize: {linear: {worst: 0, best: 0}}
            weight: -5
          - id: usage
            metric: expression
            params: {expr: "active.__class__"}
            normalise: {linear: {worst: 0, best: 1}}
            weight: 1
        actions:
          - id: late
            when: days_overdue > late_days and 9 ** 9 ** 9
            points: -15
            reason: Late by {lateness} days
        tiers:
          - {name: healthy, min: 70, color: green}
          - {name: at_risk, min: 70, color: pink}
          - {name: unhealthy, min: 10}
        """)
    with pytest.raises(RulesetError) as caught:
        load_ruleset(path, registry=builtin_registry)
    f = str(path)
    assert [str(d) for d in caught.value.diagnostics] == [
        f"{f}:6:13: indicators[0].metric: unknown metric 'npss' (did you mean 'nps'?)",
        f"{f}:11:13: indicators[1].params: 'denominator' is required",
        f"{f}:11:33: indicators[1].params.denominatr: unknown key 'denominatr' "
        "(did you mean 'denominator'?)",
        f"{f}:12:25: indicators[1].normalize.linear: worst and best are both 0: "
        "give two different values",
        f"{f}:13:13: indicators[1].weight: -5 is less than the minimum of 0",
        f"{f}:14:5: indicators[2]: 'normalize' is required",
        f"{f}:14:9: indicators[2].id: the id 'usage' is already used by indicators[1]",
        f"{f}:16:21: indicators[2].params.expr: attribute access (a '.') is not allowed "
        "in expressions",
        f"{f}:17:5: indicators[2].normalise: unknown key 'normalise' (did you mean 'normalize'?)",
        f"{f}:21:45: actions[0].when: the exponent of ** must be a number written in the "
        "expression, such as x ** 2 or x ** 0.5",
        f"{f}:23:13: actions[0].reason: unknown placeholder {{lateness}} "
        "(placeholders name parameters: late_days)",
        f"{f}:26:26: tiers[1].min: min 70 overlaps tiers[0] (min 70): list tiers from the "
        "best down, each with a lower min",
        f"{f}:26:37: tiers[1].color: 'pink' is not a color: use green, yellow, orange, red, "
        "blue, cyan, magenta, purple, gray, white, black or #rrggbb",
        f"{f}:27:28: tiers[2].min: the last tier starts at 10, so a score below 10 would have "
        "no tier: make the last tier's min 0",
    ]


def test_all_weights_zero(builtin_registry):
    text = "healthcore: 1\nname: t\n" + INDICATOR.replace("weight: 1", "weight: 0") + GOOD_TAIL
    assert problems(text, builtin_registry) == [
        "rs.yaml:4:3: indicators: every indicator has weight 0, so no account can be scored; "
        "give at least one a positive weight"]


def test_tiers_must_not_mix_kinds_or_come_out_of_order(builtin_registry):
    mixed = "healthcore: 1\nname: t\n" + INDICATOR + (
        "tiers:\n  - {name: a, percentile: 50}\n  - {name: b, min: 0}\n")
    assert problems(mixed, builtin_registry) == [
        "rs.yaml:10:3: tiers: tiers mix 'min' (a score) and 'percentile' (a rank): "
        "use one kind for all tiers"]
    unordered = "healthcore: 1\nname: t\n" + INDICATOR + (
        "tiers:\n  - {name: low, min: 0}\n  - {name: high, min: 70}\n")
    found = problems(unordered, builtin_registry)
    assert found[0] == ("rs.yaml:11:23: tiers[1].min: min 70 is out of order with tiers[0] "
                        "(min 0): list tiers from the best down, each with a lower min")
    neither = "healthcore: 1\nname: t\n" + INDICATOR + "tiers:\n  - {name: a}\n"
    assert problems(neither, builtin_registry) == [
        "rs.yaml:10:5: tiers[0]: a tier needs exactly one of 'min' (a score) or "
        "'percentile' (a rank)"]


def test_bands_that_can_never_match(builtin_registry):
    text = "healthcore: 1\nname: t\n" + INDICATOR.replace(
        "{linear: {worst: 0, best: 1}}",
        "{bands: [{min: 0.5, points: 60}, {min: 0.8, points: 100}, {points: 0}]}") + GOOD_TAIL
    assert problems(text, builtin_registry) == [
        "rs.yaml:7:49: indicators[0].normalize.bands[1]: this band can never match: band 0 "
        "already takes every value >= 0.5; list bands from the highest min down"]


def test_params_are_checked_against_the_metric_schema(builtin_registry):
    text = "healthcore: 1\nname: t\n" + INDICATOR.replace(
        "denominator: seats}", "denominator: seats, scale: percent}") + GOOD_TAIL
    assert problems(text, builtin_registry) == [
        "rs.yaml:6:60: indicators[0].params.scale: 'percent' is not of type 'number'"]


def test_declared_fields_catch_typos_in_field_names(builtin_registry):
    text = ("healthcore: 1\nname: t\nfields: {active: number, seats: number, plan: text}\n"
            + INDICATOR.replace("numerator: active", "numerator: actve") +
            "actions:\n  - id: big\n    when: plan == 'gold' and seat > 10\n    points: 5\n"
            + GOOD_TAIL)
    assert problems(text, builtin_registry) == [
        "rs.yaml:7:25: indicators[0].params.numerator: 'actve' is not a declared field "
        "(did you mean 'active'?)",
        "rs.yaml:12:11: actions[0].when: 'seat' is neither a declared field nor a parameter "
        "(did you mean 'seats'?)"]


def test_a_name_both_field_and_parameter_is_an_error(builtin_registry):
    text = ("healthcore: 1\nname: t\nparameters: {seats: 10}\nfields: {seats: number}\n"
            + INDICATOR.replace("numerator: active", "numerator: seats") + GOOD_TAIL)
    found = problems(text, builtin_registry)
    assert "rs.yaml:4:10: fields.seats: 'seats' is both a field and a parameter; rename one " \
           "of them" in found


def test_expression_types_are_checked_at_load(builtin_registry):
    text = ("healthcore: 1\nname: t\nparameters: {region: emea}\n" + INDICATOR +
            "actions:\n  - id: a\n    when: region + 1 > 2\n    points: 5\n"
            "  - id: b\n    when: seats\n    points: 5\n"
            "  - id: c\n    when: seats * 2\n    points: 5\n" + GOOD_TAIL)
    assert problems(text, builtin_registry) == [
        "rs.yaml:12:11: actions[0].when: 'region' is text, but a number is needed here",
        "rs.yaml:18:11: actions[2].when: 'seats * 2' is a number, but a true/false value is "
        "needed here",
    ]


@pytest.mark.parametrize("text,message", [
    ("", "rs.yaml:1:1: (document): the file is empty"),
    ("- just\n- a list\n", "rs.yaml:1:1: (document): a ruleset is a mapping of keys such as "
                           "'healthcore', 'name', 'indicators' and 'tiers'"),
    ("healthcore: 2\nname: t\n" + INDICATOR + GOOD_TAIL,
     "rs.yaml:1:13: healthcore: format version 2 is not supported: write 'healthcore: 1'"),
    ("healthcore: 1\nname: t\nname: u\n" + INDICATOR + GOOD_TAIL,
     "rs.yaml:3:1: name: the key 'name' appears twice (lines 2 and 3); keep one of them"),
    ("healthcore: 1\nname: t\n1: x\n" + INDICATOR + GOOD_TAIL,
     "rs.yaml:3:1: (document): the key 1 is not text; write it in quotes if it is meant "
     "as a name"),
    ("healthcore: 1\nname: t\nindicators:\n\t- id: x\n",
     "rs.yaml:4:1: (document): YAML syntax error: found character '\\t' that cannot start "
     "any token (indent with spaces, not tabs)"),
    ("healthcore: 1\nname: [unclosed\n",
     "rs.yaml:3:1: (document): YAML syntax error: expected ',' or ']', but got '<stream end>'"),
])
def test_yaml_level_mistakes(text, message, builtin_registry):
    assert problems(text, builtin_registry) == [message]


def test_missing_top_level_keys(builtin_registry):
    assert problems("healthcore: 1\nname: t\n", builtin_registry) == [
        "rs.yaml:1:1: (document): 'indicators' is required",
        "rs.yaml:1:1: (document): 'tiers' is required"]


def test_non_utf8_file_names_the_line(tmp_path, builtin_registry):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"healthcore: 1\nname: caf\xe9\n")
    with pytest.raises(RulesetError) as caught:
        load_ruleset(path, registry=builtin_registry)
    assert str(caught.value) == (f"{path}:2:10: (document): byte 0xe9 is not valid UTF-8; "
                                 "save the file as UTF-8")


def test_missing_file(tmp_path, builtin_registry):
    with pytest.raises(RulesetError, match="cannot read the file: No such file"):
        load_ruleset(tmp_path / "nope.yaml", registry=builtin_registry)


def test_alias_bomb_is_refused_before_it_is_expanded(builtin_registry):
    bomb = ["healthcore: 1", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 10):
        previous = f"*a{level - 1}"
        bomb.append(f"a{level}: &a{level} [{', '.join([previous] * 10)}]")
    found = problems("\n".join(bomb) + "\n", builtin_registry)  # expanded: 10**10 values
    assert found == ["rs.yaml:1:1: (document): the document holds more than 100,000 values "
                     "once its aliases are expanded; write it out without anchors and aliases"]


def test_deep_nesting_is_refused(builtin_registry):
    text = "healthcore: 1\nname: t\nparameters: " + "[" * 5000 + "]" * 5000 + "\n"
    found = problems(text, builtin_registry)
    assert len(found) == 1 and "nested" in found[0]


def test_the_ruleset_schema_is_valid_json_schema_with_descriptions():
    from jsonschema import Draft202012Validator

    from healthcore.ruleset.schema import ruleset_schema

    schema = ruleset_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    undocumented = [name for name, spec in schema["properties"].items()
                    if "description" not in spec]
    undocumented += [f"{d}.{name}" for d in ("indicator", "action")
                     for name, spec in schema["$defs"][d]["properties"].items()
                     if "description" not in spec and "$ref" not in spec]
    assert undocumented == []


def test_content_hash_identifies_the_text(builtin_registry):
    text = "healthcore: 1\nname: t\n" + INDICATOR + GOOD_TAIL
    first = loads_ruleset(text, registry=builtin_registry)
    second = loads_ruleset(text + "# comment\n", registry=builtin_registry)
    assert len(first.content_hash) == 64 and first.content_hash != second.content_hash


def test_declared_kinds_apply_to_metric_inputs(builtin_registry):
    text = ("healthcore: 1\nname: t\nfields: {active: text, seats: number}\n" + INDICATOR
            + GOOD_TAIL)
    assert problems(text, builtin_registry) == [
        "rs.yaml:7:25: indicators[0].params.numerator: 'active' is declared as text, but this "
        "metric reads it as number"]


def test_overlong_expression_is_reported_without_echoing_it(builtin_registry):
    long_expression = " + ".join(["seats"] * 500)
    text = ("healthcore: 1\nname: t\n" + INDICATOR +
            f"actions:\n  - id: a\n    when: {long_expression} > 1\n    points: 1\n" + GOOD_TAIL)
    assert problems(text, builtin_registry) == [
        "rs.yaml:11:11: actions[0].when: the text is longer than 2000 characters"]


def test_unknown_name_in_a_normalizer_gives_one_message(builtin_registry):
    text = ("healthcore: 1\nname: t\nfields: {active: number, seats: number}\n"
            + INDICATOR.replace("{linear: {worst: 0, best: 1}}", "{expression: value * factor}")
            + GOOD_TAIL)
    assert problems(text, builtin_registry) == [
        "rs.yaml:8:29: indicators[0].normalize.expression: a normalizer can use only 'value' "
        "and parameters, not 'factor'"]


def test_values_are_read_as_yaml_1_2_reads_them(builtin_registry):
    """Exponents without a decimal point are numbers, as are YAML 1.2's octal and hexadecimal
    whole numbers; YAML 1.1's yes/no words and base-60 numbers are text."""
    text = ("healthcore: 1\nname: t\nparameters: {big: 1e308, small: -2.5E-3, octal: 0o17, "
            "hex: 0x1F, answer: yes, switch: off, time: 1:20, old_octal: 010}\n"
            + INDICATOR.replace("weight: 1", "weight: 1e3") + GOOD_TAIL)
    ruleset = loads_ruleset(text, registry=builtin_registry)
    assert ruleset.parameters == {"big": 1e308, "small": -0.0025, "octal": 15, "hex": 31,
                                  "answer": "yes", "switch": "off", "time": "1:20",
                                  "old_octal": 10}
    assert ruleset.indicators[0].weight == 1000.0


@pytest.mark.parametrize("written", ["1:20", "1_000", "0b101", "1,000"])
def test_numbers_yaml_1_1_reads_otherwise_are_refused_as_text(written, builtin_registry):
    text = "healthcore: 1\nname: t\n" + INDICATOR.replace("weight: 1", f"weight: {written}") \
        + GOOD_TAIL
    assert problems(text, builtin_registry) == [
        f"rs.yaml:8:13: indicators[0].weight: '{written}' is not of type 'number'"]


def test_validate_refuses_a_base_60_weight(tmp_path):
    """YAML 1.1 would read ``1:20`` as 80 and score with it."""
    from click.testing import CliRunner

    from healthcore.cli.main import main

    path = tmp_path / "sixty.yaml"
    path.write_text("healthcore: 1\nname: t\n" + INDICATOR.replace("weight: 1", "weight: 1:20")
                    + GOOD_TAIL)
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{path}:8:13: indicators[0].weight: '1:20' is not of type 'number'",
        "error: 1 of 1 rulesets are invalid"]


@pytest.mark.parametrize("reason,expected", [
    ("Late by {late_days} days, {{late_days}} in braces", "Late by 30 days, {late_days} in braces"),
    ("{plan} plan", "gold plan"),
    ("no placeholder", "no placeholder"),
])
def test_reason_placeholders_are_parameter_names(reason, expected, builtin_registry):
    text = ("healthcore: 1\nname: t\nparameters: {late_days: 30, plan: gold}\n" + INDICATOR +
            f"actions:\n  - id: late\n    when: active > late_days\n    points: -5\n"
            f"    reason: \"{reason}\"\n" + GOOD_TAIL)
    [action] = loads_ruleset(text, registry=builtin_registry).actions
    assert action.reason == expected


def test_a_segment_fills_in_its_own_parameters(builtin_registry):
    text = ("healthcore: 1\nname: t\nparameters: {late_days: 30}\n" + INDICATOR +
            "actions:\n  - {id: late, when: active > late_days, points: -5, "
            "reason: 'over {late_days} days'}\n"
            "segments:\n  - {id: slow, when: seats > 100, parameters: {late_days: 60.5}}\n"
            + GOOD_TAIL)
    ruleset = loads_ruleset(text, registry=builtin_registry)
    assert ruleset.actions[0].reason == "over 30 days"
    assert ruleset.segments[0].reasons == {"late": "over 60.5 days"}


def test_an_expression_error_is_reported_once_even_with_segments(builtin_registry):
    text = """healthcore: 1
name: s
parameters: {late: 30}
indicators:
  - {id: a, metric: field, params: {field: x}, weight: 1,
     normalize: {linear: {worst: 0, best: 100}}}
actions:
  - {id: late, when: "overdue > late and seats >> 2", points: -5}
segments:
  - {id: big, when: "seats >> 100", parameters: {late: 20}}
tiers:
  - {name: ok, min: 0}
"""
    bad_operator = "the operator '>>' is not available: use + - * / ** and functions"
    assert problems(text, builtin_registry) == [
        f"rs.yaml:8:42: actions[0].when: {bad_operator}",
        f"rs.yaml:10:22: segments[0].when: {bad_operator}"]


def test_an_id_used_twice_is_reported_where_it_is_used_again_in_every_section(builtin_registry):
    text = """\
healthcore: 1
name: t
groups:
  - {id: g, weight: 1}
  - {id: g, weight: 2}
indicators:
  - {id: u, metric: count, params: {field: a}, normalize: {linear: {worst: 0, best: 9}},
     weight: 1, group: g}
  - {id: u, metric: count, params: {field: b}, normalize: {linear: {worst: 0, best: 9}},
     weight: 1, group: g}
actions:
  - {id: late, when: a > 1, points: -5}
  - {id: late, when: b > 1, points: -5}
tiers:
  - {name: good, min: 50}
  - {name: good, min: 0}
segments:
  - {id: big, when: a > 10, weights: {g: 3}}
  - {id: big, when: b > 10, weights: {g: 3}}
alerts:
  - {id: worse, kind: tier_worsened}
  - {id: worse, kind: tier_worsened}
"""
    assert problems(text, builtin_registry) == [
        "rs.yaml:5:10: groups[1].id: the id 'g' is already used by groups[0]",
        "rs.yaml:9:10: indicators[1].id: the id 'u' is already used by indicators[0]",
        "rs.yaml:13:10: actions[1].id: the id 'late' is already used by actions[0]",
        "rs.yaml:16:12: tiers[1].name: the tier 'good' is already defined by tiers[0]",
        "rs.yaml:19:10: segments[1].id: the id 'big' is already used by segments[0]",
        "rs.yaml:22:10: alerts[1].id: the id 'worse' is already used by alerts[0]",
    ]
