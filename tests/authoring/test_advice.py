"""Advice on valid rulesets (healthcore.authoring.advice): each warning's exact text, code and position,
and how ``healthcore validate`` prints it (``--sample`` in every format the readers accept)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from helpers import REPO, TIERS
from healthcore import Diagnostic, load_ruleset, loads_ruleset
from healthcore.authoring.advice import advise
from healthcore.cli.main import main
from healthcore.io.readers import read_accounts

SAAS = REPO / "rulesets" / "saas-b2b.yaml"
SAAS_SAMPLE = REPO / "rulesets" / "saas-b2b.accounts.csv"

# The example of docs/cli.md: 3 indicators whose weights add up to 95, an unused parameter,
# and a field ('seats') that the sample calls 'paid_seats'.
ACME = """\
healthcore: 1
name: acme
parameters:
  late_days: 30
  grace_days: 10
indicators:
  - id: usage
    metric: ratio
    params: {numerator: active_users, denominator: seats}
    normalize: {linear: {worst: 0, best: 1}}
    weight: 45
  - id: nps
    metric: nps
    normalize: {linear: {worst: -100, best: 100}}
    weight: 30
  - id: csat
    metric: csat
    normalize: {linear: {worst: 50, best: 95}}
    weight: 20
actions:
  - id: late
    when: days_overdue > late_days
    points: -10
    reason: More than {late_days} days late
""" + TIERS

ACME_SAMPLE = (
    "account_id,active_users,paid_seats,nps_promoters,nps_passives,nps_detractors,"
    "csat_positive,csat_total,days_overdue\n"
    "a1,5,10,3,2,1,8,10,0\n"
    "a2,9,10,1,1,1,,,12\n")

ACME_WARNINGS = [
    "acme.yaml:5:3: parameters.grace_days: warning: the parameter 'grace_days' is used by no "
    "expression and no reason: remove it, or use it",
    "acme.yaml:7:3: indicators: warning: 3 weighted indicators: the customer-success "
    "literature advises 4 to 7; with fewer, one signal can swing the whole score",
    "acme.yaml:7:3: indicators: warning: the indicator weights add up to 95, not 100: weights "
    "are relative, so the scores are right, but if they are meant as percentages one of them "
    "is off",
    "acme.yaml:9:52: indicators[0].params.denominator: warning: indicator 'usage' reads the "
    "field 'seats', which the sample accounts.csv does not have (did you mean 'paid_seats'?)",
]


def indicators(weights: list[float], **extra: str) -> str:
    """A ruleset with one `field` indicator per weight (fields f0, f1, ...)."""
    items = "".join(f"""
  - id: i{n}
    metric: field
    params: {{field: f{n}}}
    normalize: {{linear: {{worst: 0, best: 10}}}}
    weight: {weight}""" for n, weight in enumerate(weights))
    head = "healthcore: 1\nname: t\n" + "".join(f"{key}: {value}\n" for key, value in
                                                 extra.items())
    return head + "indicators:" + items + "\n" + TIERS


def warnings_of(text: str, **kwargs) -> list[str]:
    return [str(d) for d in advise(loads_ruleset(text, "t.yaml"), **kwargs)]


# ----------------------------------------------------------------------- no advice needed

def test_the_bundled_ruleset_gets_no_advice_with_or_without_its_sample():
    ruleset = load_ruleset(SAAS)
    assert advise(ruleset) == []
    assert advise(ruleset, sample=read_accounts(str(SAAS_SAMPLE)), sample_name="s.csv") == []


def test_the_documented_example_gets_the_documented_warnings(tmp_path):
    ruleset = loads_ruleset(ACME, "acme.yaml")
    sample = pl.read_csv(ACME_SAMPLE.encode(), infer_schema=False)
    found = advise(ruleset, sample=sample, sample_name="accounts.csv")
    assert [str(d) for d in found] == ACME_WARNINGS
    assert [d.code for d in found] == ["unused-parameter", "indicator-count", "weights-total",
                                       "missing-field"]
    assert {d.severity for d in found} == {"warning"}
    assert found[3].path == ("indicators", 0, "params", "denominator")
    assert (found[3].line, found[3].column) == (9, 52)
    cli_md = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    for line in ACME_WARNINGS:
        assert line in cli_md, "docs/cli.md shows other warnings than healthcore gives"


# ------------------------------------------------------------------------ indicator count

@pytest.mark.parametrize("count", [4, 5, 7])
def test_four_to_seven_weighted_indicators_are_fine(count):
    assert warnings_of(indicators([1] * count)) == []


def test_fewer_than_four_weighted_indicators():
    assert warnings_of(indicators([1])) == [
        "t.yaml:4:3: indicators: warning: 1 weighted indicator: the customer-success literature"
        " advises 4 to 7; with fewer, one signal can swing the whole score"]


def test_more_than_seven_weighted_indicators():
    assert warnings_of(indicators([1] * 8)) == [
        "t.yaml:4:3: indicators: warning: 8 weighted indicators: the customer-success "
        "literature advises 4 to 7; with more, each one weighs too little to move the score"]


def test_indicators_of_weight_zero_do_not_count():
    text = indicators([1, 1, 1, 0, 0])
    [warning] = advise(loads_ruleset(text, "t.yaml"))
    assert warning.code == "indicator-count"
    assert warning.message.startswith("3 weighted indicators:")


# ---------------------------------------------------------------------------- weights total

@pytest.mark.parametrize("weights", [
    [25, 25, 25, 25],          # exactly 100
    [16.7, 16.7, 16.6, 16.7, 16.7, 16.6],  # 100 in floating point
    [24.99, 25, 25, 25],       # 99.99: within 0.1
    [20, 20, 20, 20, 35],      # 115: not meant as percentages
    [2, 1, 1, 1],              # plain relative weights
    [0.25, 0.25, 0.25, 0.25],  # fractions adding up to 1
])
def test_weights_that_do_not_suggest_a_mistake(weights):
    assert warnings_of(indicators(weights)) == []


@pytest.mark.parametrize(("weights", "total", "target", "meant"), [
    ([25, 25, 25, 20], "95", "100", "percentages"),
    ([30, 30, 30, 20], "110", "100", "percentages"),
    ([25, 25, 25, 24.5], "99.5", "100", "percentages"),
    ([0.3, 0.3, 0.3, 0.05], "0.95", "1", "fractions"),
])
def test_weights_close_to_100_or_1_but_not_it(weights, total, target, meant):
    assert warnings_of(indicators(weights)) == [
        f"t.yaml:4:3: indicators: warning: the indicator weights add up to {total}, not "
        f"{target}: weights are relative, so the scores are right, but if they are meant as "
        f"{meant} one of them is off"]


def test_weights_of_groups_and_of_each_group_are_checked():
    text = textwrap.dedent("""\
        healthcore: 1
        name: grouped
        groups:
          - {id: usage, weight: 60}
          - {id: voice, weight: 35}
          - {id: worst, weight: 5, combine: min}
        indicators:
          - {id: a, group: usage, metric: field, params: {field: a}, weight: 50,
             normalize: {linear: {worst: 0, best: 1}}}
          - {id: b, group: usage, metric: field, params: {field: b}, weight: 45,
             normalize: {linear: {worst: 0, best: 1}}}
          - {id: c, group: voice, metric: field, params: {field: c}, weight: 1,
             normalize: {linear: {worst: 0, best: 1}}}
          - {id: d, group: voice, metric: field, params: {field: d}, weight: 1,
             normalize: {linear: {worst: 0, best: 1}}}
          - {id: e, group: worst, metric: field, params: {field: e}, weight: 1,
             normalize: {linear: {worst: 0, best: 1}}}
          - {id: f, group: worst, metric: field, params: {field: f}, weight: 2,
             normalize: {linear: {worst: 0, best: 1}}}
        """) + TIERS
    # groups: 60 + 35 + 5 = 100; all indicators: 100; group 'voice' 2; 'worst' takes the
    # minimum, so its weights do not matter; group 'usage': 50 + 45 = 95
    assert warnings_of(text) == [
        "t.yaml:4:5: groups[0]: warning: the weights of the indicators of group 'usage' add up "
        "to 95, not 100: weights are relative, so the scores are right, but if they are meant "
        "as percentages one of them is off"]
    mistaken = text.replace("weight: 35}", "weight: 30}")
    assert warnings_of(mistaken)[0] == (
        "t.yaml:4:3: groups: warning: the group weights add up to 95, not 100: weights are "
        "relative, so the scores are right, but if they are meant as percentages one of them "
        "is off")


# ----------------------------------------------------------------------- unused parameters

def test_a_parameter_used_nowhere_is_reported_at_its_key():
    text = indicators([1] * 4, parameters="{cap: 5, unused_one: 2}").replace(
        "metric: field\n    params: {field: f0}", "metric: expression\n    params: "
        "{expr: 'min(f0, cap)'}")
    assert warnings_of(text) == [
        "t.yaml:3:22: parameters.unused_one: warning: the parameter 'unused_one' is used by no "
        "expression and no reason: remove it, or use it"]


def test_parameters_used_in_every_kind_of_place_are_not_reported():
    text = textwrap.dedent("""\
        healthcore: 1
        name: used
        parameters: {in_expr: 2, in_normalizer: 10, in_when: 30, in_reason: 3, in_segment: 100}
        segments:
          - {id: big, when: seats >= in_segment}
        indicators:
          - {id: a, metric: expression, params: {expr: a * in_expr}, weight: 1,
             normalize: {expression: value * in_normalizer}}
          - {id: b, metric: field, params: {field: b}, weight: 1,
             normalize: {linear: {worst: 0, best: 1}}}
          - {id: c, metric: field, params: {field: c}, weight: 1,
             normalize: {linear: {worst: 0, best: 1}}}
          - {id: d, metric: field, params: {field: d}, weight: 1,
             normalize: {linear: {worst: 0, best: 1}}}
        actions:
          - {id: late, when: overdue > in_when, points: -5}
          - {id: noted, when: notes > 0, points: 1, reason: "More than {in_reason} notes"}
        """) + TIERS
    assert warnings_of(text) == []


# ------------------------------------------------------------------------------ the sample

SAMPLED = textwrap.dedent("""\
    healthcore: 1
    name: sampled
    account_id: id
    indicators:
      - id: usage
        metric: ratio
        params: {numerator: active_users, denominator: seats}
        normalize: {linear: {worst: 0, best: 1}}
        weight: 25
      - id: trend
        metric: expression
        params: {expr: (active_users - active_prev) / active_prev * 100}
        normalize: {linear: {worst: -50, best: 20}}
        weight: 25
      - id: nps
        metric: nps
        normalize: {linear: {worst: -100, best: 100}}
        weight: 25
      - id: logins
        metric: field
        params: {field: logins}
        normalize: {linear: {worst: 0, best: 20}}
        weight: 25
    actions:
      - id: late
        when: "overdue_days > 30"
        points: -10
    """) + TIERS

SAMPLE_ROWS = [
    {"account_id": "1", "active_users": 5, "seats": 10, "nps_promoters": 3, "nps_passives": 1,
     "nps_detractors": 0, "logins": None, "overdue": 4},
    {"account_id": "2", "active_users": 6, "seats": 10, "nps_promoters": 1, "nps_passives": 1,
     "nps_detractors": 1, "logins": None, "overdue": 0},
]

SAMPLED_WARNINGS = [
    "t.yaml:3:13: account_id: warning: the sample s.json has no field 'id', which the ruleset "
    "names as account_id",
    # the column of the name inside the expression
    "t.yaml:12:36: indicators[1].params.expr: warning: indicator 'trend' reads the field "
    "'active_prev', which the sample s.json does not have",
    "t.yaml:21:21: indicators[3].params.field: warning: indicator 'logins' reads the field "
    "'logins', which is empty in all 2 accounts of the sample s.json",
    "t.yaml:26:12: actions[0].when: warning: action 'late' reads the field 'overdue_days', "
    "which the sample s.json does not have (did you mean 'overdue'?)",
]


def test_fields_absent_from_or_empty_in_the_sample():
    sample = pl.DataFrame(SAMPLE_ROWS)
    assert warnings_of(SAMPLED, sample=sample, sample_name="s.json") == SAMPLED_WARNINGS
    codes = [d.code for d in advise(loads_ruleset(SAMPLED, "t.yaml"), sample=sample)]
    assert codes == ["missing-field", "missing-field", "empty-field", "missing-field"]


def test_a_suggestion_is_never_a_field_the_ruleset_already_reads():
    """'nps_promoters' is close to 'nps_passives' but is read already: no suggestion."""
    [warning] = advise(loads_ruleset(SAMPLED, "t.yaml"),
                       sample=["id", "active_users", "seats", "active_prev", "nps_promoters",
                               "nps_detractors", "logins", "overdue_days"])
    assert str(warning) == (
        "t.yaml:15:5: indicators[2].params.passives: warning: indicator 'nps' reads the field "
        "'nps_passives', which the sample does not have")


def test_a_sample_given_as_field_names_checks_presence_only():
    names = ["id", "active_users", "seats", "active_prev", "nps_promoters", "nps_passives",
             "nps_detractors", "overdue_days"]
    assert warnings_of(SAMPLED, sample=names) == [
        "t.yaml:21:21: indicators[3].params.field: warning: indicator 'logins' reads the field "
        "'logins', which the sample does not have"]
    assert warnings_of(SAMPLED, sample=[*names, "logins"]) == []


# -------------------------------------------------------------------- Diagnostic severity

def test_errors_print_as_before_and_warnings_say_warning():
    error = Diagnostic("unknown metric 'nsp'", "r.yaml", 7, 13, ("indicators", 0, "metric"),
                       "unknown-metric")
    assert error.severity == "error"
    assert str(error) == "r.yaml:7:13: indicators[0].metric: unknown metric 'nsp'"
    warning = Diagnostic("3 weighted indicators", "r.yaml", 6, 3, ("indicators",),
                         "indicator-count", "warning")
    assert str(warning) == "r.yaml:6:3: indicators: warning: 3 weighted indicators"


# ------------------------------------------------------------------ healthcore validate

@pytest.fixture
def acme(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("acme.yaml").write_text(ACME, encoding="utf-8")
    Path("accounts.csv").write_text(ACME_SAMPLE, encoding="utf-8")
    return tmp_path


def validate(*args: str, stdin: str | None = None):
    return CliRunner().invoke(main, ["validate", *args], input=stdin, catch_exceptions=False)


def test_validate_prints_the_warnings_and_exits_0(acme):
    result = validate("acme.yaml", "--sample", "accounts.csv")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == ACME_WARNINGS
    assert result.stdout == "acme.yaml: ok (3 indicators, 1 actions, 3 tiers); 4 warnings\n"


def test_validate_without_a_sample_gives_the_other_advice(acme):
    result = validate("acme.yaml")
    assert result.exit_code == 0
    assert result.stderr.splitlines() == ACME_WARNINGS[:3]
    assert result.stdout.endswith("; 3 warnings\n")


@pytest.mark.parametrize("fmt", ["tsv", "json", "jsonl", "parquet"])
def test_validate_reads_the_sample_in_every_format(acme, fmt):
    frame = pl.read_csv(ACME_SAMPLE.encode(), infer_schema=False)
    path = Path(f"accounts.{fmt}")
    if fmt == "tsv":
        path.write_text(ACME_SAMPLE.replace(",", "\t"), encoding="utf-8")
    elif fmt == "json":
        path.write_text(json.dumps(frame.to_dicts()), encoding="utf-8")
    elif fmt == "jsonl":
        frame.write_ndjson(path)
    else:
        frame.write_parquet(path)
    result = validate("acme.yaml", "--sample", str(path))
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[-1] == ACME_WARNINGS[-1].replace("accounts.csv",
                                                                       str(path))


def test_validate_sample_format_and_standard_input(acme):
    Path("accounts.export").write_text(ACME_SAMPLE, encoding="utf-8")
    result = validate("acme.yaml", "--sample", "accounts.export", "--sample-format", "csv")
    assert result.exit_code == 0, result.output
    assert "which the sample accounts.export does not have" in result.stderr
    piped = validate("acme.yaml", "--sample", "-", stdin=ACME_SAMPLE)
    assert piped.exit_code == 0, piped.output
    assert "which the sample <stdin> does not have" in piped.stderr


def test_validate_with_an_unreadable_sample_exits_2(acme):
    result = validate("acme.yaml", "--sample", "nowhere.csv")
    assert result.exit_code == 2
    assert "nowhere.csv" in result.stderr and "error:" in result.stderr
    unknown = validate("acme.yaml", "--sample", "accounts.export")
    assert unknown.exit_code == 2
    assert "cannot tell the format" in unknown.stderr


def test_an_invalid_ruleset_gets_errors_not_advice(acme):
    Path("broken.yaml").write_text(ACME.replace("metric: nps", "metric: nsp"), encoding="utf-8")
    result = validate("broken.yaml", "acme.yaml", "--sample", "accounts.csv")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith("broken.yaml:13:13: indicators[1].metric: unknown metric 'nsp'")
    assert not [line for line in lines if line.startswith("broken.yaml") and "warning:" in line]
    assert lines[1:5] == ACME_WARNINGS
    assert lines[-1] == "error: 1 of 2 rulesets are invalid"
