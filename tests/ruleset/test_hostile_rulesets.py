"""Hostile rulesets: each attack class is refused when the ruleset loads, with a message that
names the line, and a whole batch of them is refused by ``healthcore validate`` and
``healthcore evaluate`` within fixed CPU-time and memory limits.

The attack classes counted in docs/security.md are the keys of EXPRESSION_ATTACKS,
RULESET_ATTACKS and YAML_ATTACKS, and four files refused before they are parsed: one larger than
the limit, one not in UTF-8, an endless pipe and a link to an endless device.
"""

from __future__ import annotations

import healthcore
import contextlib
import json
import os
import resource
import subprocess
import sys
import threading
from functools import partial
from pathlib import Path

import pytest

from healthcore import RulesetError, load_ruleset, loads_ruleset
from helpers import problems

# The attack sits in an expression metric on line 6; its column is counted from the quote.
EXPRESSION_RULESET = """\
healthcore: 1
name: hostile
indicators:
  - id: attack
    metric: expression
    params: {expr: "EXPR"}
    normalize: {linear: {worst: 0, best: 10}}
    weight: 1
tiers:
  - {name: all, min: 0}
"""

AT = "hostile.yaml:6:{}: indicators[0].params.expr: "
NOT_AVAILABLE = " (available: abs, coalesce, is_null, max, min, round)"
NESTED = "the expression is nested more than 32 levels deep"
TOO_LONG = "the text is longer than 2000 characters"
STATEMENT = ("only an expression is allowed here, not a statement (no '=', import, def or other "
             "Python statements)")
FIXED_EXPONENT = ("the exponent of ** must be a number written in the expression, such as "
                  "x ** 2 or x ** 0.5")
ATTRIBUTE = "attribute access (a '.') is not allowed in expressions"
PARTS = "the expression has more than 500 parts; split it"
SECOND = "only one expression is allowed here, but "
FOLLOWS = " follows the first one; to combine conditions, join them with 'and' or 'or'"

EXPRESSION_ATTACKS: dict[str, tuple[str, int, str]] = {
    # name: (expression, column in the file, message)
    "import_call": ("__import__('os').system('id')", 21, ATTRIBUTE),
    "dunder_name": ("__import__('os')", 21,
                    "names starting with '_' are not allowed ('__import__')"),
    "class_escape": ("().__class__.__bases__[0].__subclasses__()", 21, ATTRIBUTE),
    "attribute": ("seats.real", 21, ATTRIBUTE),
    "builtin_eval": ("eval('1')", 21, "unknown function 'eval'" + NOT_AVAILABLE),
    "builtin_open": ("open('/etc/passwd')", 21, "unknown function 'open'" + NOT_AVAILABLE),
    "getattr": ("getattr(seats, 'real')", 21, "unknown function 'getattr'" + NOT_AVAILABLE),
    "power_tower": ("9**9**9", 24, FIXED_EXPONENT),
    "huge_exponent": ("seats ** 1000", 30, "the exponent 1000 is too large (at most 100)"),
    "exponent_from_data": ("seats ** seats", 30, FIXED_EXPONENT),
    "text_repeat": ("'a' * 10**9", 21, "'a' is text, but a number is needed here"),
    "huge_literal": ("seats + 1" + "0" * 400, 29, "the number 10000000000000000000... is too "
                     "large: numbers are between -1e308 and 1e308"),
    "infinite_literal": ("seats + 1e999", 29,
                         "the number 1e999 is too large: numbers are between -1e308 and 1e308"),
    "long_text": ("seats if '" + "a" * 1001 + "' == 'a' else 0", 30,
                  "text longer than 1000 characters is not allowed"),
    "long_expression": ("seats + " * 300 + "1", 20, TOO_LONG),
    "many_parts": ("min(" + ",".join(["a"] * 600) + ")", 1023, PARTS),
    "nesting_1000_parentheses": ("(" * 1000 + "seats" + ")" * 1000, 20, TOO_LONG),
    "nesting_500_parentheses": ("(" * 500 + "seats" + ")" * 500, 20, NESTED),
    "nesting_1000_unary": ("-" * 1000 + "seats", 54, NESTED),
    "sum_of_990_terms": ("a" + "+a" * 990, 21, PARTS),
    "lambda": ("lambda: 1", 21, "lambda is not allowed in expressions"),
    "lambda_call": ("(lambda: 1)()", 21,
                    "only functions called by name are allowed, such as max(a, b)"),
    "walrus": ("(x := 1)", 22, "assignment (':=') is not allowed in expressions"),
    "comprehension": ("[v for v in (1, 2)]", 21, "comprehensions are not allowed in expressions"),
    "generator": ("max(v for v in (1, 2))", 24, "comprehensions are not allowed in expressions"),
    "f_string": ("f'{seats}'", 21, "f-strings are not allowed in expressions"),
    "subscript": ("seats[0]", 21, "indexing with [ ] is not allowed in expressions"),
    "dict": ("{1: 2}", 21, "{ } is not allowed in expressions"),
    "keyword_argument": ("max(seats, key=abs)", 21, "max() takes no named arguments"),
    "starred_argument": ("max(*seats)", 21, "'*' arguments are not allowed"),
    "statement_import": ("import os", 20, STATEMENT),
    "statement_assign": ("x = 1", 20, STATEMENT),
    "statement_after_semicolon": ("seats > 1; import os", 32, SECOND + "'import os'" + FOLLOWS),
    "dunder_after_semicolon": ("seats; ().__class__.__bases__[0].__subclasses__()", 28,
                               SECOND + "'().__class__.__bases__[0].__subclasses__...'" + FOLLOWS),
    "fullwidth_name": ("\uff53\uff45\uff41\uff54\uff53 + 1", 21,
                       "'\uff53\uff45\uff41\uff54\uff53' is written with characters that stand "
                       "for other ones: write it as 'seats'"),
    "floor_division": ("seats // 0", 21,
                       "the operator '//' is not available: use + - * / ** and functions"),
}


refused = partial(problems, name="hostile.yaml")


@pytest.mark.parametrize("attack", sorted(EXPRESSION_ATTACKS))
def test_expression_attack_is_refused_at_load_naming_the_line(attack, builtin_registry):
    expression, column, message = EXPRESSION_ATTACKS[attack]
    text = EXPRESSION_RULESET.replace("EXPR", expression)
    assert refused(text, builtin_registry) == [AT.format(column) + message]


def test_attacks_in_conditions_and_normalizers_are_refused_as_well(builtin_registry):
    text = """\
healthcore: 1
name: hostile
indicators:
  - id: usage
    metric: field
    params: {field: seats}
    normalize: {expression: "value.__class__"}
    weight: 1
actions:
  - id: boom
    when: "(y := 1) > 0"
    points: -5
  - id: bang
    when: "__import__('os') > 0"
    points: -5
tiers:
  - {name: all, min: 0}
"""
    assert refused(text, builtin_registry) == [
        "hostile.yaml:7:30: indicators[0].normalize.expression: " + ATTRIBUTE,
        "hostile.yaml:11:13: actions[0].when: assignment (':=') is not allowed in expressions",
        "hostile.yaml:14:12: actions[1].when: names starting with '_' are not allowed "
        "('__import__')",
    ]


def billion_laughs() -> str:
    lines = ["healthcore: 1", "name: laughs",
             "lol0: &lol0 [" + ", ".join(['"lol"'] * 10) + "]"]
    lines += [f"lol{i}: &lol{i} [{', '.join([f'*lol{i - 1}'] * 10)}]" for i in range(1, 10)]
    return "\n".join(lines) + "\n"


def merge_key_bomb() -> str:
    lines = ["healthcore: 1", "name: merges",
             "m0: &m0 {" + ", ".join(f"k{i}: 1" for i in range(10)) + "}"]
    lines += [f"m{i}: &m{i} {{<<: [{', '.join([f'*m{i - 1}'] * 10)}]}}" for i in range(1, 10)]
    return "\n".join(lines) + "\n"


EXPANDED = ("hostile.yaml:1:1: (document): the document holds more than 100,000 values once its "
            "aliases are expanded; write it out without anchors and aliases")
UNUSABLE = "is not a usable number: write a finite number between -1e308 and 1e308"

YAML_ATTACKS: dict[str, tuple[str, list[str]]] = {
    "billion_laughs": (billion_laughs(), [EXPANDED]),
    "merge_key_bomb": (merge_key_bomb(), [EXPANDED]),
    "many_values": (
        "healthcore: 1\nname: many\nparameters: {l: [" + ",".join(["1"] * 200_000) + "]}\n",
        ["hostile.yaml:3:200000: (document): the document holds more than 100,000 values; a "
         "ruleset should be far smaller"]),
    "deep_flow_nesting": (
        "healthcore: 1\nname: deep\nparameters: " + "[" * 5000 + "]" * 5000 + "\n",
        ["hostile.yaml:3:76: (document): the document is nested more than 64 levels deep"]),
    "deep_block_nesting": (
        "healthcore: 1\nname: deep\nparameters:\n" + "".join(" " * i + "-\n" for i in range(1, 99)),
        ["hostile.yaml:67:65: (document): the document is nested more than 64 levels deep"]),
    "duplicate_key": (
        "healthcore: 1\nname: a\nindicators: []\nname: b\ntiers: []\n",
        ["hostile.yaml:4:1: name: the key 'name' appears twice (lines 2 and 4); keep one of "
         "them"]),
    "non_string_keys": (
        "healthcore: 1\nname: t\n1: x\nnull: y\n? [a, b]\n: z\n",
        ["hostile.yaml:3:1: (document): the key 1 is not text; write it in quotes if it is "
         "meant as a name",
         "hostile.yaml:4:1: (document): the key None is not text; write it in quotes if it is "
         "meant as a name",
         "hostile.yaml:5:3: (document): the key [a, b] is not text; write it in quotes if it "
         "is meant as a name"]),
    "tab_indentation": (
        "healthcore: 1\nname: t\nindicators:\n\t- id: x\n",
        ["hostile.yaml:4:1: (document): YAML syntax error: found character '\\t' that cannot "
         "start any token (indent with spaces, not tabs)"]),
    "python_tag_on_a_value": (
        "healthcore: 1\nname: !!python/name:os.system\n",
        ["hostile.yaml:2:7: (document): YAML error: could not determine a constructor for the "
         "tag 'tag:yaml.org,2002:python/name:os.system'"]),
    "python_tag_on_a_list": (
        "healthcore: 1\nname: t\nparameters: !!python/object/apply:os.system ['echo owned']\n",
        ["hostile.yaml:3:13: parameters: the YAML tag "
         "'tag:yaml.org,2002:python/object/apply:os.system' is not allowed: a ruleset holds "
         "plain mappings, lists and values"]),
    "nan_and_infinity": (
        "healthcore: 1\nname: t\nparameters: {a: .nan, b: -.inf}\n",
        [f"hostile.yaml:3:17: parameters.a: '.nan' {UNUSABLE}",
         f"hostile.yaml:3:26: parameters.b: '-.inf' {UNUSABLE}"]),
    "integer_beyond_floats": (
        "healthcore: 1\nname: t\nparameters: {cap: 1" + "0" * 400 + "}\n",
        [f"hostile.yaml:3:19: parameters.cap: '10000000000000000000...' {UNUSABLE}"]),
    "integer_of_5000_digits": (  # beyond what Python converts to an int from text
        "healthcore: 1\nname: t\nparameters: {cap: -" + "9" * 5000 + "}\n",
        [f"hostile.yaml:3:19: parameters.cap: '-9999999999999999999...' {UNUSABLE}"]),
    "float_tag_on_text": (
        "healthcore: 1\nname: t\nparameters: {a: !!float abc}\n",
        ["hostile.yaml:3:17: parameters.a: 'abc' cannot be read as !!float: write a number such "
         "as 2.5, or leave out the tag"]),
    "int_tag_on_text": (
        "healthcore: 1\nname: t\nparameters: {a: !!int abc}\n",
        ["hostile.yaml:3:17: parameters.a: 'abc' cannot be read as !!int: write a whole number "
         "such as 42, or leave out the tag"]),
    "bool_tag_on_text": (
        "healthcore: 1\nname: t\nparameters: {a: !!bool maybe}\n",
        ["hostile.yaml:3:17: parameters.a: 'maybe' cannot be read as !!bool: write true or "
         "false, or leave out the tag"]),
    "timestamp_tag_on_text": (
        "healthcore: 1\nname: !!timestamp notadate\n",
        ["hostile.yaml:2:7: name: 'notadate' cannot be read as !!timestamp: write a date such as "
         "2024-01-31, or leave out the tag"]),
    "tag_on_a_key": (
        "healthcore: 1\nname: t\n? !!float abc\n: 1\n",
        ["hostile.yaml:3:3: (document): 'abc' cannot be read as !!float: write a number such as "
         "2.5, or leave out the tag"]),
    "nul_character": (
        "healthcore: 1\nname: ba\0se\n",
        ["hostile.yaml:2:9: (document): the character U+0000 is not allowed in a YAML file; "
         "remove it"]),
    "undefined_alias": (
        "healthcore: 1\nname: *nowhere\n",
        ["hostile.yaml:2:7: (document): YAML syntax error: found undefined alias 'nowhere'"]),
    "two_documents": (
        "healthcore: 1\n---\nname: t\n",
        ["hostile.yaml:2:1: (document): YAML syntax error: but found another document"]),
}


@pytest.mark.parametrize("attack", sorted(YAML_ATTACKS))
def test_yaml_attack_is_refused_with_its_line(attack, builtin_registry):
    text, messages = YAML_ATTACKS[attack]
    assert refused(text, builtin_registry) == messages


def ruleset_with_action(action: str, parameters: str = "{late_days: 30}",
                        segments: str = "") -> str:
    """A valid ruleset but for its one action (from line 8) and its segments."""
    return f"""\
healthcore: 1
name: hostile
parameters: {parameters}
indicators:
  - {{id: usage, metric: field, params: {{field: usage}}, weight: 1,
     normalize: {{linear: {{worst: 0, best: 10}}}}}}
actions:
{action}{segments}tiers:
  - {{name: all, min: 0}}
"""


def late_reason(reason: str) -> str:
    """An action whose reason (at line 11, column 13) is ``reason``."""
    return ("  - id: late\n    when: overdue > late_days\n    points: -10\n"
            f"    reason: \"{reason}\"\n")


FORMAT = ("hostile.yaml:11:13: actions[0].reason: a placeholder is a parameter's name alone: "
          "write {late_days}, not ")
NOTE = "n" * 600

RULESET_ATTACKS: dict[str, tuple[str, list[str]]] = {
    "statements_in_a_block": (
        ruleset_with_action("  - id: late\n    when: |\n      overdue > late_days\n"
                            "      usage < 10\n    points: -10\n"),
        [f"hostile.yaml:9:11: actions[0].when: {SECOND}'usage < 10'{FOLLOWS}"]),
    "reason_format_width": (ruleset_with_action(late_reason("x {late_days:>999999999} y")),
                            [FORMAT + "{late_days:>999999999}"]),
    "reason_format_precision": (ruleset_with_action(late_reason("{late_days:.999999999f}")),
                                [FORMAT + "{late_days:.999999999f}"]),
    "reason_nested_format": (ruleset_with_action(late_reason("{late_days:{late_days}}"),
                                                 "{late_days: 999999999}"),
                             [FORMAT + "{late_days:{late_days}}"]),
    "reason_conversion": (ruleset_with_action(late_reason("{late_days!r}")),
                          [FORMAT + "{late_days!r}"]),
    "reason_format_failing_with_a_segment": (
        ruleset_with_action(late_reason("over {late_days:d} days"), segments=(
            "segments:\n  - {id: slow, when: usage < 1, parameters: {late_days: 30.5}}\n")),
        [FORMAT + "{late_days:d}"]),
    "reason_longer_than_1000_once_filled": (
        ruleset_with_action(late_reason("{note} and {note}"), f"{{late_days: 30, note: {NOTE}}}"),
        ["hostile.yaml:11:13: actions[0].reason: the reason is longer than 1,000 characters "
         "once its placeholders are filled in; shorten it"]),
    "reason_longer_than_1000_with_a_segment": (
        ruleset_with_action(late_reason("{note} and {note}"), "{late_days: 30, note: short}",
                            segments=("segments:\n  - {id: slow, when: usage < 1, parameters: "
                                      f"{{note: {NOTE}}}}}\n")),
        ["hostile.yaml:13:45: segments[0].parameters: with these parameters the reason of "
         "actions[0] is longer than 1,000 characters; shorten them"]),
    "linear_range_beyond_floats": (
        ruleset_with_action(late_reason("late"), "{late_days: 30}").replace(
            "{worst: 0, best: 10}", "{worst: 1e308, best: -1e308}"),
        ["hostile.yaml:6:26: indicators[0].normalize.linear: worst 1e+308 and best -1e+308 are "
         "too far apart to compute with: bring them closer"]),
}


@pytest.mark.parametrize("attack", sorted(RULESET_ATTACKS))
def test_ruleset_attack_is_refused_with_its_line(attack, builtin_registry):
    text, messages = RULESET_ATTACKS[attack]
    assert refused(text, builtin_registry) == messages


def test_a_long_reason_under_the_limit_is_filled_in(builtin_registry):
    text = ruleset_with_action(late_reason("{note}!"), f"{{late_days: 30, note: {'n' * 999}}}")
    [action] = loads_ruleset(text, "long.yaml", registry=builtin_registry).actions
    assert action.reason == "n" * 999 + "!"


def test_a_file_larger_than_the_limit_is_not_even_parsed(tmp_path, builtin_registry):
    path = tmp_path / "huge.yaml"
    path.write_text("healthcore: 1\nname: t\ndescription: '" + "a" * 1_000_000 + "'\n")
    with pytest.raises(RulesetError) as caught:
        load_ruleset(path, registry=builtin_registry)
    assert str(caught.value) == (f"{path}: (document): the file is larger than 1,000,000 bytes; "
                                 "a ruleset should be far smaller")


def pipe_of(path: Path, size: int) -> tuple[threading.Thread, list[int]]:
    """A named pipe at ``path`` that a thread feeds with ``size`` bytes of comment lines, or
    fewer if its reader closes it first; the list holds how many bytes went in."""
    os.mkfifo(path)
    written = [0]

    def feed() -> None:
        with contextlib.suppress(BrokenPipeError), open(path, "wb", buffering=0) as pipe:
            while written[0] < size:
                written[0] += pipe.write(b"#" * 65_535 + b"\n")

    thread = threading.Thread(target=feed, daemon=True)
    thread.start()
    return thread, written


def test_a_pipe_is_read_up_to_the_limit_only(tmp_path, builtin_registry):
    """A pipe has no size to check beforehand (``<(command)``, or an endless one)."""
    path = tmp_path / "endless.yaml"
    feeder, written = pipe_of(path, 5_000_000)
    with pytest.raises(RulesetError) as caught:
        load_ruleset(path, registry=builtin_registry)
    feeder.join(timeout=60)
    assert written[0] < 2_000_000  # the reader closed the pipe after 1,000,001 bytes
    assert str(caught.value) == (f"{path}: (document): the file is larger than 1,000,000 bytes; "
                                 "a ruleset should be far smaller")


def test_a_ruleset_from_a_pipe_loads(tmp_path, builtin_registry):
    """As ``healthcore validate <(generate-ruleset)`` gives it."""
    path = tmp_path / "piped.yaml"
    os.mkfifo(path)
    writer = threading.Thread(target=path.write_text,
                              args=(EXPRESSION_RULESET.replace("EXPR", "seats * 2"),))
    writer.start()
    ruleset = load_ruleset(path, registry=builtin_registry)
    writer.join(timeout=60)
    assert [i.params["expr"] for i in ruleset.indicators] == ["seats * 2"]


def test_validate_refuses_a_link_to_an_endless_device(tmp_path):
    link = tmp_path / "zeros.yaml"
    link.symlink_to("/dev/zero")
    done = run_limited("validate", str(link))
    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stderr.splitlines() == [
        f"{link}: (document): the file is larger than 1,000,000 bytes; a ruleset should be far "
        "smaller", "error: 1 of 1 rulesets are invalid"]


def test_non_utf8_bytes_are_named_with_their_line(tmp_path, builtin_registry):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"healthcore: 1\nname: t\ndescription: Caf\xe9 cr\xe8me\n")
    with pytest.raises(RulesetError) as caught:
        load_ruleset(path, registry=builtin_registry)
    assert str(caught.value) == (f"{path}:3:17: (document): byte 0xe9 is not valid UTF-8; save "
                                 "the file as UTF-8")


def test_a_merge_key_means_one_thing_keys_written_win(builtin_registry):
    """``<<`` merges are allowed and bounded; a key written in the mapping wins over a merged
    one (not a duplicate), and the first merged mapping wins over the later ones."""
    text = """\
healthcore: 1
name: merged
indicators:
  - &a {id: a, metric: field, params: {field: a}, normalize: {linear: {worst: 0, best: 10}},
        weight: 1}
  - &b {<<: *a, id: b, params: {field: b}, weight: 3}
  - {<<: [*b, *a], id: c, params: {field: c}}
tiers:
  - {name: all, min: 0}
"""
    ruleset = loads_ruleset(text, "merged.yaml", registry=builtin_registry)
    assert [(i.id, i.params["field"], i.weight) for i in ruleset.indicators] == [
        ("a", "a", 1.0), ("b", "b", 3.0), ("c", "c", 3.0)]
    [record] = healthcore.score(ruleset, [{"account_id": "x", "a": 10, "b": 0, "c": 10}]).to_records()
    assert record["score"] == pytest.approx((100 * 1 + 0 * 3 + 100 * 3) / 7, abs=1e-12)


CPU_SECONDS = 60
MEMORY_BYTES = 1024 ** 3


def run_limited(*args: str) -> subprocess.CompletedProcess:
    """``healthcore ARGS`` in a fresh process (built-in plugins only) that the kernel stops
    beyond CPU_SECONDS of CPU time or MEMORY_BYTES of address space."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))

    script = Path(sys.executable).with_name("healthcore")
    return subprocess.run([str(script), *args], capture_output=True, text=True,
                          preexec_fn=limit, timeout=10 * CPU_SECONDS,
                          env={**os.environ, "HEALTHCORE_DISABLE_PLUGINS": "1",
                               # glibc reserves 64 MB of address space per thread's arena:
                               # on a busy machine more arenas, not more memory, hit the limit
                               "MALLOC_ARENA_MAX": "2"})


def hostile_files(directory: Path) -> dict[Path, list[str]]:
    """Every attack as a ruleset file, with the messages expected for it."""
    files = {}
    for attack, (expression, column, message) in EXPRESSION_ATTACKS.items():
        files[directory / f"{attack}.yaml"] = (EXPRESSION_RULESET.replace("EXPR", expression),
                                               [AT.format(column) + message])
    for attack, (text, messages) in {**YAML_ATTACKS, **RULESET_ATTACKS}.items():
        files[directory / f"{attack}.yaml"] = (text, messages)
    expected = {}
    for path, (text, messages) in files.items():
        path.write_text(text, encoding="utf-8")
        expected[path] = [m.replace("hostile.yaml", str(path)) for m in messages]
    return expected


def test_validate_refuses_every_attack_within_cpu_and_memory_limits(tmp_path):
    expected = hostile_files(tmp_path)
    done = run_limited("validate", *map(str, expected))
    assert done.returncode == 2, done.stderr[-2000:]
    lines = done.stderr.splitlines()
    assert lines == [m for messages in expected.values() for m in messages] + [
        f"error: {len(expected)} of {len(expected)} rulesets are invalid"]
    assert done.stdout == ""


@pytest.mark.parametrize("attack", ["billion_laughs", "merge_key_bomb", "power_tower",
                                    "reason_format_failing_with_a_segment"])
def test_evaluate_refuses_an_attack_before_reading_any_account(attack, tmp_path):
    path = tmp_path / f"{attack}.yaml"
    expected = hostile_files(tmp_path)[path]
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("account_id,seats\nA1,10\n")
    done = run_limited("evaluate", str(path), str(accounts), "-f", "json")
    assert done.returncode == 2
    assert done.stderr.splitlines() == expected + [
        f"error: {path}: 1 problem; the ruleset was not used"]
    assert done.stdout == ""


def nested(function: str, depth: int) -> str:
    """``function`` (with X for its argument) applied ``depth`` times to ``x``."""
    expression = "x"
    for _ in range(depth):
        expression = function.replace("X", expression)
    return expression


NESTED = {  # indicator -> (expression, its value for x = 5.55)
    "rounds": (nested("round(X, 1)", 16), 5.6),
    "minima": (nested("min(X, 9)", 16), 5.55),
    "maxima": (nested("max(X, 2)", 16), 5.55),
    "absolutes": (nested("abs(X + 1)", 16), 21.55),
    "halvings": (" / ".join(["x"] + ["2"] * 10), 5.55 / 1024),
    "fallbacks": (nested("coalesce(X, 1) * 1", 16), 5.55),
}


def test_deeply_nested_functions_are_scored_within_cpu_and_memory_limits(tmp_path):
    """Each part of a compiled expression is used once: before, nesting 16 functions made the
    column-wise expression grow exponentially and the run never ended."""
    indicators = "".join(
        f"  - {{id: {name}, metric: expression, params: {{expr: \"{expression}\"}}, "
        "normalize: {linear: {worst: 0, best: 100}}, weight: 1}\n"
        for name, (expression, _) in NESTED.items())
    ruleset = tmp_path / "nested.yaml"
    ruleset.write_text(f"healthcore: 1\nname: nested\nindicators:\n{indicators}"
                       "tiers:\n  - {name: any, min: 0}\n")
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("account_id,x\nA1,5.55\nA2,\n")
    done = run_limited("evaluate", str(ruleset), str(accounts), "-f", "json")
    assert done.returncode == 0, done.stderr[-2000:]
    first, second = (record["indicators"] for record in json.loads(done.stdout))
    assert {name: first[name]["value"] for name in NESTED} == pytest.approx(
        {name: value for name, (_, value) in NESTED.items()}, abs=1e-12)
    # A2 has no x: only coalesce(x, 1) gives a value
    assert {name: second[name]["value"] for name in NESTED} == {
        **dict.fromkeys(NESTED), "fallbacks": 1.0}
