"""What many test modules build the same way: the repository's paths, rulesets from a few
lines of YAML, command-line runs, and the rulesets several modules score."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path
from typing import Any, Mapping

import pytest
from click.testing import CliRunner, Result

from healthcore.cli.main import main
from healthcore.errors import RulesetError
from healthcore.plugin.registry import Registry
from healthcore.ruleset import Ruleset, loads_ruleset

REPO = Path(__file__).resolve().parent.parent
RULESETS = REPO / "rulesets"
SAAS = str(RULESETS / "saas-b2b.yaml")
"""The demo ruleset."""
SAAS_ACCOUNTS = str(RULESETS / "saas-b2b.accounts.csv")
"""The demo's sample accounts (38 of them)."""

TIERS = """\
tiers:
  - {name: healthy, min: 70, color: green}
  - {name: at_risk, min: 40, color: yellow}
  - {name: unhealthy, min: 0, color: red}
"""
"""The usual three tiers, as the end of a ruleset."""

USAGE_AND_NPS = """\
healthcore: 1
name: usage-and-nps
indicators:
  - {id: usage, metric: ratio, params: {numerator: active, denominator: seats},
     normalize: {linear: {worst: 0, best: 1}}, weight: 1}
  - {id: nps, metric: nps, params: {promoters: p, passives: n, detractors: d},
     normalize: {linear: {worst: -100, best: 100}}, weight: 1}
tiers:
  - {name: healthy, min: 50}
  - {name: unhealthy, min: 0}
"""
"""Two indicators over the fields account_id, active, seats, p, n and d."""


def ruleset(body: str, registry: Registry, tiers: str = TIERS, *, name: str = "t") -> Ruleset:
    """The ruleset ``name`` (read from ``name.yaml``) with the sections in ``body`` (dedented)
    and ``tiers``."""
    text = f"healthcore: 1\nname: {name}\n" + textwrap.dedent(body).strip() + "\n" + tiers
    return loads_ruleset(text, f"{name}.yaml", registry=registry)


def problems(text: str, registry: Registry, name: str = "rs.yaml") -> list[str]:
    """The diagnostics, as printed, of the ruleset ``text`` (read from ``name``), which must be
    refused."""
    with pytest.raises(RulesetError) as caught:
        loads_ruleset(text, name, registry=registry)
    return [str(d) for d in caught.value.diagnostics]


def by_id(results: Any) -> dict[str, dict[str, Any]]:
    """Scoring results as records keyed by account id."""
    return {record["account_id"]: record for record in results.to_records()}


def run_cli(*args: str, input: str | bytes | None = None,
            env: Mapping[str, str] | None = None, catch_exceptions: bool = False) -> Result:
    """``healthcore ARGS`` run in this process; an unexpected exception propagates unless
    ``catch_exceptions``."""
    return CliRunner().invoke(main, list(args), input=input, env=env,
                              catch_exceptions=catch_exceptions)


# A small ruleset, its accounts and their scores worked out by hand (see tests/cli/test_cli.py).
HAND = """\
healthcore: 1
name: hand
account_id: id
parameters: {late_days: 30}
indicators:
  - id: usage
    metric: ratio
    params: {numerator: active, denominator: seats}
    normalize: {linear: {worst: 0, best: 1}}
    weight: 3
  - id: nps
    metric: nps
    params: {promoters: p, passives: n, detractors: d}
    normalize: {linear: {worst: -100, best: 100}}
    weight: 1
actions:
  - id: late
    when: overdue > late_days
    points: -10
    reason: More than {late_days} days late
tiers:
  - {name: green, min: 60, color: green}
  - {name: red, min: 0, color: red}
"""

ACCOUNTS_CSV = """\
id,active,seats,p,n,d,overdue
001,5,10,6,3,1,0
002,9,10,,,,40
003,1,4,0,0,5,
"""
# 001: usage 50, nps 50 -> 75 points: (3*50 + 75) / 4 = 56.25 -> red
# 002: usage 90, nps missing -> 90, late -10 -> 80 -> green
# 003: usage 25, nps -100 -> 0: (75 + 0) / 4 = 18.75 -> red
EXPECTED = {"001": (56.25, "red"), "002": (80.0, "green"), "003": (18.75, "red")}


# A writer that pauses inside its recording transaction (the history tests start it as a process).
WRITER = """\
import sys, time
from pathlib import Path
from healthcore.history import recording
from healthcore.cli.main import main

FLAG, SECONDS = Path(sys.argv[1]), float(sys.argv[2])

def pause(connection):
    FLAG.write_text("in transaction")
    time.sleep(SECONDS)

recording._before_commit = pause
sys.argv = ["healthcore", *sys.argv[3:]]
main()
"""


# A real browser for the report's tests: the system's Chromium, never a downloaded one.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def chromium() -> str:
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None)
    if found is None:
        pytest.fail("Chromium is missing: install the system package (apt-get install "
                    "chromium; scripts/test does it) to open the report in a real browser")
    return found
