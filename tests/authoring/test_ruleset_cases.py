"""healthcore test: the example accounts a ruleset declares in <stem>.tests.yaml."""

from __future__ import annotations

from helpers import REPO
from helpers import run_cli as run

SAAS = REPO / "rulesets" / "saas-b2b.yaml"

RULESET = """\
healthcore: 1
name: hand
account_id: id
indicators:
  - id: usage
    metric: ratio
    params: {numerator: active, denominator: seats}
    normalize: {linear: {worst: 0, best: 1}}
    weight: 1
actions:
  - {id: late, when: overdue > 30, points: -10, reason: Late}
tiers:
  - {name: top, percentile: 50, color: green}
  - {name: rest, percentile: 0, color: red}
"""
# usage points = active / seats x 100; percentile tiers: the top half is 'top'.

CASES = """\
cases:
  - name: full
    account: {id: A, active: 10, seats: 10, overdue: 0}
    expect: {tier: top, score: 100, actions: []}
  - name: half and late
    account: {id: B, active: 5, seats: 10, overdue: 40}
    expect: {tier: rest, score: [39, 41], actions: [late]}
  - name: wrong on purpose
    account: {active: 8, seats: 10, overdue: 0}
    expect: {tier: rest, score: 75, tolerance: 1, actions: [late]}
"""


def files(write, cases: str = CASES):
    ruleset = write("hand.yaml", RULESET)
    write("hand.tests.yaml", cases)
    return str(ruleset)


def test_the_saas_example_passes():
    result = run("test", str(SAAS))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "4 cases: 4 passed, 0 failed"
    assert "  PASS  late payer whose champion left  (score 24.20, unhealthy)" in result.stdout


def test_report_pass_fail_with_what_differed_and_exit_1(write):
    ruleset = files(write)
    result = run("test", ruleset)
    assert result.exit_code == 1
    tests = ruleset.replace("hand.yaml", "hand.tests.yaml")
    # the three accounts are scored in one batch: 80 is the middle of 100, 40 and 80, below
    # the 50th percentile rank, so 'rest' (as expected: only its score and actions differ)
    assert result.stdout.splitlines() == [
        f"{tests} ({ruleset})",
        "  PASS  full  (score 100.00, top)",
        "  PASS  half and late  (score 40.00, rest)",
        "  FAIL  wrong on purpose  (line 8): score 80, expected 75 ± 1; actions [], expected "
        "[late] (did not fire late)",
        "3 cases: 2 passed, 1 failed",
    ]


def test_the_tests_file_can_be_given_instead_of_the_ruleset(write):
    ruleset = files(write, CASES.split("  - name: wrong")[0])
    tests = ruleset.replace("hand.yaml", "hand.tests.yaml")
    result = run("test", tests, ruleset)
    assert result.exit_code == 0
    assert result.stdout.count("PASS") == 2  # the pair is run once


def test_percentile_tiers_are_computed_over_the_batch(write):
    cases = "".join(f"  - account: {{id: X{i}, active: {i}, seats: 10}}\n"
                    f"    expect: {{tier: {'top' if i > 5 else 'rest'}}}\n"
                    for i in range(1, 11))
    result = run("test", files(write, "cases:\n" + cases))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "10 cases: 10 passed, 0 failed"


def test_invalid_tests_file_gives_every_problem_at_its_line_and_exit_2(write):
    ruleset = files(write, """\
cases:
  - name: one
    account: {id: A, active: 1, seats: 1}
    expect: {tier: tpo, actons: [late]}
  - name: one
    account: {id: B}
    expect: {actions: [lat], score: [50, 10]}
  - expect: {status: maybe}
""")
    tests = ruleset.replace("hand.yaml", "hand.tests.yaml")
    result = run("test", ruleset)
    assert result.exit_code == 2
    assert result.stdout == "0 cases: 0 passed, 0 failed; 1 file invalid\n"
    assert result.stderr.splitlines() == [
        f"{tests}:4:20: cases[0].expect.tier: the ruleset has no tier 'tpo' (did you mean "
        "'top'?) (its tiers: top, rest)",
        f"{tests}:4:25: cases[0].expect.actons: unknown key 'actons' (did you mean 'actions'?) "
        "(expect: tier, score, tolerance, actions, segment, status)",
        f"{tests}:5:11: cases[1].name: another case (line 2) is also named 'one': give each "
        "case its own name",
        f"{tests}:7:24: cases[1].expect.actions[0]: the ruleset has no action 'lat' (did you "
        "mean 'late'?)",
        f"{tests}:7:37: cases[1].expect.score: score is a number (81.5) or a range [low, high] "
        "with low <= high",
        f"{tests}:8:5: cases[2]: 'account' is required: the account's fields, such as "
        "{id: T-1, ...}",
        f"{tests}:8:22: cases[2].expect.status: status is 'ok' or 'error'",
        f"{tests}: not run (7 problems)",
    ]


def test_an_account_or_expect_that_is_not_a_mapping_says_so(write):
    ruleset = files(write, """\
cases:
  - name: listed
    account: [1, 2]
    expect: {tier: top}
  - name: empty
    account: {}
    expect: top
  - name: nothing expected
    account: {id: C}
    expect:
""")
    tests = ruleset.replace("hand.yaml", "hand.tests.yaml")
    result = run("test", ruleset)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{tests}:3:14: cases[0].account: 'account' must be a mapping of the account's "
        "fields, such as {id: T-1, ...}, not a list",
        f"{tests}:6:14: cases[1].account: 'account' is empty: give the account's fields, "
        "such as {id: T-1, ...}",
        f"{tests}:7:13: cases[1].expect: 'expect' must be a mapping of what the account must "
        "get (tier, score, actions, segment or status), not the text 'top'",
        f"{tests}:10:12: cases[2].expect: 'expect' must be a mapping of what the account must "
        "get (tier, score, actions, segment or status), not null",
        f"{tests}: not run (4 problems)",
    ]


def test_yaml_syntax_error_and_invalid_ruleset_exit_2(write):
    ruleset = files(write, "cases: [\n")
    result = run("test", ruleset)
    assert result.exit_code == 2
    assert "hand.tests.yaml:2:1: (document): YAML syntax error" in result.stderr
    bad = write("bad.yaml", "healthcore: 1\nname: bad\n")
    write("bad.tests.yaml", CASES)
    result = run("test", str(bad))
    assert result.exit_code == 2
    assert "bad.yaml" in result.stderr and "indicators" in result.stderr


def test_no_tests_file_is_skipped_with_a_warning_and_none_at_all_is_exit_2(write):
    ruleset = write("lonely.yaml", RULESET.replace("name: hand", "name: lonely"))
    result = run("test", str(ruleset))
    assert result.exit_code == 2
    assert f"warning: {ruleset}: no tests file lonely.tests.yaml next to it; skipped" in \
        result.stderr
    assert "error: no tests file found" in result.stderr
    result = run("test", str(ruleset), str(SAAS))
    assert result.exit_code == 0


def test_help_has_exit_codes_and_examples():
    text = run("test", "--help").stdout
    assert "Exit codes:" in text and "1  some cases failed" in text and "Examples:" in text
