"""Fuzz target: the ruleset loader, then scoring with every ruleset that loads.

Each input is the bytes of a ruleset file, read as ``healthcore validate`` and ``healthcore
evaluate`` read it (size limit, UTF-8, safe YAML, JSON Schema, semantic checks, expressions). A
ruleset that loads scores a small batch of good and bad accounts (every field it reads), and
the results must keep their promises (see ``_harness.check_results``). Only healthcore's own
errors (``_harness.EXPECTED``) may be raised. Seeds: the repository's rulesets and the YAML
examples of its documentation.

    python fuzz/fuzz_ruleset_loader.py -max_total_time=60 [CORPUS_DIR]
"""

from __future__ import annotations

import healthcore
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness  # noqa: E402  (instruments healthcore as it imports it)
from healthcore import load_ruleset  # noqa: E402
from healthcore.plugin.registry import load_registry  # noqa: E402

REGISTRY = load_registry()  # built-ins and installed plugins (billing, for the samples)
FILE = (Path(f"/proc/self/fd/{os.memfd_create('ruleset.yaml')}") if hasattr(os, "memfd_create")
        else Path(tempfile.mkdtemp(prefix="healthcore-fuzz-ruleset-")) / "ruleset.yaml")
"""Where each input is written, to be read as a file: in memory where the system allows it
(Linux), so that no run leaves files behind."""


def test_one_input(data: bytes) -> None:
    FILE.write_bytes(data)
    try:
        ruleset = load_ruleset(FILE, registry=REGISTRY)
        frame = _harness.accounts_for(ruleset)
        results = healthcore.score(ruleset, frame, explain=True)
    except _harness.EXPECTED:
        return
    _harness.check_results(results, frame, ruleset.account_id)


def seeds() -> list[bytes]:
    return ([path.read_bytes() for path in _harness.rulesets()]
            + [text.encode() for text in _harness.documented_rulesets()])


if __name__ == "__main__":
    _harness.run(test_one_input, seeds())
