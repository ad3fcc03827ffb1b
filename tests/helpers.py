"""What many test modules build the same way: the repository's paths, rulesets from a few
lines of YAML, command-line runs, and the rulesets several modules score."""

from __future__ import annotations

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
