"""Both fuzz targets execute a fixed number of inputs each (HEALTHCORE_FUZZ_RUNS overrides it):
no crash (only healthcore's own errors, see fuzz/_harness.py). A count, not a duration, so a busy
machine fuzzes as much as an idle one, only slower. ``scripts/fuzz SECONDS`` runs them longer.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from helpers import REPO
from healthcore import RulesetError, loads_ruleset

RUNS = {"fuzz_ruleset_loader": 500, "fuzz_account_readers": 250}
"""Inputs each target executes: a few seconds each (each accounts input is a whole batch
scored). The long fuzzing is ``scripts/fuzz``."""


@pytest.mark.parametrize("target", sorted(RUNS))
def test_fuzz_target_runs_without_a_crash(target, tmp_path):
    runs = int(os.environ.get("HEALTHCORE_FUZZ_RUNS", RUNS[target]))
    crashes = tmp_path / "crashes"
    crashes.mkdir()
    done = subprocess.run(
        [sys.executable, str(REPO / "fuzz" / f"{target}.py"), f"-runs={runs}",
         "-timeout=60", "-rss_limit_mb=4096", f"-artifact_prefix={crashes}/",
         str(tmp_path / "corpus")],
        capture_output=True, text=True, timeout=3600)
    found = sorted(p.name for p in crashes.iterdir())
    assert done.returncode == 0 and found == [], done.stderr[-5000:]
    executed = int(re.search(r"^Done (\d+) runs in", done.stderr, re.M).group(1))
    assert executed >= runs, done.stderr[-2000:]


FOUND_IN = """\
healthcore: 1
name: found
indicators:
  - {id: a, metric: field, params: {field: x}, normalize: {linear: {worst: 0, best: 1}},
     weight: 1}
PART
tiers:
  - {name: all, min: 0}
"""
FOUND = {  # parts of rulesets that once crashed the ruleset loader target, and the messages now
    "segments:\n  - {id: big, when: x > 1, parameters: s higher}": [
        "found.yaml:7:40: segments[0].parameters: 's higher' is not of type 'object'"],
    "segments:\n  - {id: big, when: x > 1, weights: [a, 2]}": [
        "found.yaml:7:37: segments[0].weights: ['a', 2] is not of type 'object'"],
    "segments:\n  - {id: big, when: x > 1, tiers: {all: zero}}": [
        "found.yaml:7:41: segments[0].tiers.all: 'zero' is not of type 'number'"],
    "alerts:\n  - {id: low, kind: stays_in_tier, tier: null, runs: 2}": [
        "found.yaml:7:42: alerts[0].tier: None is not valid under any of the given schemas"],
    "alerts:\n  - {id: low, kind: tier_worsened, cooldown_days: 1e400}": [
        "found.yaml:7:51: alerts[0].cooldown_days: '1e400' is not a usable number: write a "
        "finite number between -1e308 and 1e308"],
    "alerts:\n  - {id: low, kind: {x: 1}}": [
        "found.yaml:7:21: alerts[0].kind: {'x': 1} is not one of ['tier_worsened', "
        "'score_drop', 'indicator', 'stays_in_tier']"],
    "  - {id: {x: 1}, metric: field, params: {field: y}, weight: 1,\n"
    "     normalize: {linear: {worst: 0, best: 1}}, group: g}\ngroups:\n  - {id: g, weight: 1}": [
        "found.yaml:4:5: indicators[0]: this indicator needs a 'group' since the ruleset "
        "declares groups (one of: g)",
        "found.yaml:6:10: indicators[1].id: {'x': 1} is not of type 'string'",
        "found.yaml:9:5: groups[0]: the group 'g' has no indicators"],
}


@pytest.mark.parametrize("part", sorted(FOUND))
def test_rulesets_that_crashed_the_loader_are_refused(part, builtin_registry):
    with pytest.raises(RulesetError) as caught:
        loads_ruleset(FOUND_IN.replace("PART", part), "found.yaml", registry=builtin_registry)
    assert [str(d) for d in caught.value.diagnostics] == FOUND[part]
