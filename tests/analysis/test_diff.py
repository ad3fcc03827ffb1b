"""healthcore diff: two rulesets that differ by one weight, on accounts computed by hand."""

from __future__ import annotations

import json

from healthcore import loads_ruleset
from healthcore.analysis.diff import compare
from helpers import run_cli as run

OLD = """\
healthcore: 1
name: old
account_id: id
indicators:
  - {id: a, metric: field, params: {field: a}, normalize: {linear: {worst: 0, best: 100}}, weight: 1}
  - {id: b, metric: field, params: {field: b}, normalize: {linear: {worst: 0, best: 100}}, weight: 1}
tiers:
  - {name: high, min: 60, color: green}
  - {name: low, min: 0, color: red}
"""
NEW = OLD.replace("name: old", "name: new").replace("weight: 1}\n  - {id: b", "weight: 3}\n  - {id: b")
# old score (a + b) / 2, new (3a + b) / 4: shift (a - b) / 4
ACCOUNTS = """\
id,a,b
P,100,0
Q,0,100
R,60,60
S,80,40
T,,50
"""
# P: 50 low -> 75 high, +25;  Q: 50 low -> 25 low, -25;  R: 60 -> 60 high, 0;
# S: 60 high -> 70 high, +10;  T: only b: 50 -> 50 low, 0


def files(write):
    return (str(write("old.yaml", OLD)), str(write("new.yaml", NEW)),
            str(write("accounts.csv", ACCOUNTS)))


def test_json_has_exact_transitions_shifts_and_movers(write):
    result = run("diff", *files(write), "--format", "json", "--top", "3")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["accounts"] == 5 and data["changed_tier"] == 1
    assert data["transitions"] == {"high": {"high": 2, "low": 0}, "low": {"high": 1, "low": 2}}
    assert data["shift"] == {
        "count": 5, "mean": 2.0, "median": 0.0, "min": -25.0, "max": 25.0, "band_width": 5,
        "histogram": [{"from": -25, "to": -20, "count": 1}, {"from": 0, "to": 0, "count": 2},
                      {"from": 5, "to": 10, "count": 1}, {"from": 20, "to": 25, "count": 1}]}
    assert data["movers"] == [
        {"account_id": "P", "old_score": 50.0, "old_tier": "low", "new_score": 75.0,
         "new_tier": "high", "shift": 25.0},
        {"account_id": "Q", "old_score": 50.0, "old_tier": "low", "new_score": 25.0,
         "new_tier": "low", "shift": -25.0},
        {"account_id": "S", "old_score": 60.0, "old_tier": "high", "new_score": 70.0,
         "new_tier": "high", "shift": 10.0}]


def test_table_report(write):
    old, new, accounts = files(write)
    result = run("diff", old, new, accounts, "--top", "2")
    assert result.exit_code == 0
    assert result.stdout == f"""\
5 accounts: 1 change tier (from {old} to {new})

Tier transitions (accounts):
  old \\ new   high    low
  high           2      0
  low            1      2

Score shift (new - old, 5 accounts scored by both): mean +2.00, median 0.00, min -25.00, max +25.00
  -25 to -20      1  ####################
           0      2  ########################################
   +5 to +10      1  ####################
  +20 to +25      1  ####################

Biggest movers (top 2):
  account  old score  old tier  new score  new tier   shift
  P            50.00  low           75.00  high      +25.00
  Q            50.00  low           25.00  low       -25.00
"""


def test_accounts_whose_score_did_not_move_are_not_movers(write, builtin_registry):
    old, new, accounts = files(write)
    # R and T keep their score; V is scored by neither ruleset
    result = run("diff", old, new, str(write("more.csv", ACCOUNTS + "V,,\n")), "-f", "json")
    assert [m["account_id"] for m in json.loads(result.stdout)["movers"]] == ["P", "Q", "S"]
    same = run("diff", old, old, accounts, "--top", "3")
    assert same.exit_code == 0
    assert "Biggest movers" not in same.stdout
    assert same.stdout.splitlines()[-1] == "  0      5  " + "#" * 40
    ruleset = loads_ruleset(OLD, registry=builtin_registry)
    assert compare(ruleset, ruleset, [{"id": "P", "a": 1.0, "b": 2.0}]).movers == []


def test_renamed_tiers_and_unscored_accounts(write, builtin_registry):
    old = loads_ruleset(OLD, registry=builtin_registry)
    new = loads_ruleset(NEW.replace("name: high", "name: top").replace(
        "{id: b, metric: field", "{id: b, missing: error, metric: field"),
        registry=builtin_registry)
    accounts = [{"id": "P", "a": 100, "b": 0}, {"id": "U", "a": 10, "b": None}]
    impact = compare(old, new, accounts)
    assert impact.old_tiers == ["high", "low"] and impact.new_tiers == ["top", "low", "unscored"]
    assert impact.removed_tiers == ["high"] and impact.new_only_tiers == ["top"]
    assert impact.transitions == {"high": {"top": 0, "low": 0, "unscored": 0},
                                  "low": {"top": 1, "low": 0, "unscored": 1}}
    assert [m["account_id"] for m in impact.movers] == ["P", "U"]
    assert impact.movers[1]["shift"] is None and impact.shift["count"] == 1


def test_unscored_accounts_exit_1_and_errors_exit_2(write):
    old, new, accounts = files(write)
    result = run("diff", old, new, str(write("more.csv", ACCOUNTS + "V,,\n")), "--top", "0")
    assert result.exit_code == 1
    assert "Biggest movers" not in result.stdout and "unscored" in result.stdout
    assert result.stderr == ("warning: 1 of 6 accounts could not be scored by one ruleset or "
                             "both (tier: unscored)\n")
    result = run("diff", old, new, accounts.replace("accounts.csv", "none.csv"))
    assert result.exit_code == 2 and "cannot read the file" in result.stderr
    bad = str(write("bad.yaml", "healthcore: 1\nname: bad\n"))
    result = run("diff", old, bad, accounts)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1].startswith(f"error: {bad}: ")
    assert result.stderr.endswith("; the ruleset was not used\n")


def test_help_has_exit_codes_and_examples():
    text = run("diff", "--help").stdout
    assert "Exit codes:" in text and "Examples:" in text


# -- the overrides table at 80 columns, the width when the output is not a terminal ------------

def test_overrides_table_keeps_the_reason_readable_at_80_columns(tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    db = str(tmp_path / "history.db")
    reason = "customer asked for a pause while they migrate; revisit after the migration is done"
    for args in (["ACC-1001", "--freeze", "--from", "2024-01-15", "--reason",
                  "champion left, renewal in doubt", "--by", "ana"],
                 ["ACC-1002", "--tier", "low", "--ruleset", "old", "--from", "2024-03-01",
                  "--until", "2024-12-31", "--reason", reason, "--by",
                  "maria.gonzalez@example.com"]):
        assert run("override", *args, "--history", db).exit_code == 0
    rows = json.loads(run("overrides", "--history", db, "--as-of", "2024-06-01", "-f",
                          "json").stdout)["overrides"]
    first, second = (row["recorded_at"][:10] for row in rows)
    result = run("overrides", "--history", db, "--as-of", "2024-06-01")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "overrides in force on 2024-06-01" + " " * 48,
        "┏━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┓",
        "┃ account  ┃ override ┃ in force      ┃ reason                                 ┃",
        "┡━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┩",
        "│ ACC-1001 │ freeze   │ 2024-01-15    │ champion left, renewal in doubt        │",
        f"│          │          │               │ recorded {first} by ana             │",
        "│ ACC-1002 │ tier low │ 2024-03-01 to │ customer asked for a pause while they  │",
        "│          │ for old  │ 2024-12-31    │ migrate; revisit after the migration   │",
        "│          │          │               │ is done                                │",
        f"│          │          │               │ recorded {second} by                 │",
        "│          │          │               │ maria.gonzalez@example.com             │",
        "└──────────┴──────────┴───────────────┴────────────────────────────────────────┘"]
