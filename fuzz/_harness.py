"""What the two fuzz targets share: the seed corpus, the allow-list of expected errors, the
checks on every batch scored, and running libFuzzer (through atheris).

A target is run as ``python fuzz/TARGET.py [libFuzzer options] [CORPUS_DIR]``: the seeds (built
from the repository's rulesets and sample accounts) are written into CORPUS_DIR, or into a
temporary directory if none is given, and libFuzzer mutates them. ``scripts/fuzz`` runs both.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Callable, Iterable

import atheris

os.environ.setdefault("POLARS_MAX_THREADS", "1")  # batches of a few accounts: one thread is fastest
NOT_INSTRUMENTED = [f"healthcore.engine.{module}" for module in (
    "scoring", "accounts", "columns", "faults", "metrics", "probe", "query", "tiers", "weighting",
    "reasons", "results")]
"""healthcore's modules guide the fuzzer by their branches, but for these: they build one
polars query whatever the data, and instrumenting them only slows the targets and makes them
grow in memory over long runs."""
with atheris.instrument_imports(include=["healthcore"], exclude=NOT_INSTRUMENTED):
    import polars as pl

    import healthcore
    import healthcore.engine.scoring  # imported now, with what it imports, to be instrumented
    import healthcore.io.readers
    from healthcore.errors import HealthcoreError
    from healthcore.engine.results import Results

REPO = Path(__file__).resolve().parent.parent

EXPECTED: tuple[type[BaseException], ...] = (HealthcoreError,)
"""The allow-list: healthcore's own documented errors (``healthcore.errors``): RulesetError (a
ruleset refused, with its diagnostics), InputError (an accounts file or table refused),
PluginError and MetricError. They are how healthcore says no. Any other exception escaping the
loader, the readers or the engine is a crash, and so is a broken promise on the results (an
account lost, reordered or duplicated; a score outside [0, 100]; NaN or infinity)."""

CELLS = ["", "0", "1", "-4", "2.5", "12", "1e300", "n/a", "NaN", "inf", "true", "[1, 2]", "9;10"]


def rulesets() -> list[Path]:
    """The repository's rulesets (the files that are not test files)."""
    return sorted(p for p in (REPO / "rulesets").glob("*.yaml") if not p.stem.endswith(".tests"))


def documented_rulesets() -> list[str]:
    """The YAML examples of the README and docs/ (whole rulesets and parts of them)."""
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    return [block for page in pages
            for block in re.findall(r"```yaml\n(.*?)```", page.read_text(encoding="utf-8"), re.S)]


def samples() -> dict[Path, Path]:
    """Each repository ruleset with its sample accounts file."""
    found = {}
    for ruleset in rulesets():
        for candidate in sorted((REPO / "rulesets").glob(f"{ruleset.stem}.accounts.*")):
            found[ruleset] = candidate
    return found


def accounts_for(ruleset: healthcore.Ruleset, rows: int = 6) -> pl.DataFrame:
    """A small batch for ``ruleset``: every field it reads, as text cells good and bad."""
    columns = {ruleset.account_id: [f"a{r}" for r in range(rows)]}
    for offset, field in enumerate(sorted(ruleset.fields())):
        if field != ruleset.account_id:
            columns[field] = [CELLS[(r + offset) % len(CELLS)] for r in range(rows)]
    return pl.DataFrame(columns, schema={name: pl.String for name in columns})


def check_results(results: Results, frame: pl.DataFrame, account_id: str, *,
                  explained: bool = True) -> None:
    """The promises on every batch: each input account once, in input order; a score in
    [0, 100] or none; no NaN or infinity in any number healthcore computed. With
    ``explained``, the explanation columns and the records (the JSON output) are checked too,
    else the scores only (cheaper)."""
    table = results.frame if explained else results.scores
    assert table.height == frame.height, (table.height, frame.height)
    if frame.width:  # an input without columns (an empty file) has no ids to compare
        assert table["account_id"].equals(frame[account_id], check_names=False), \
            "accounts lost, added or reordered"
    for score in table["score"].to_list():
        assert score is None or 0.0 <= score <= 100.0, score
    for name, dtype in table.schema.items():
        if dtype.is_float() and name != "account_id":  # ids are as given
            assert all(v is None or math.isfinite(v) for v in table[name].to_list()), name
    if explained:
        assert len(results.to_records()) == frame.height


def run(test_one_input: Callable[[bytes], None], seeds: Iterable[bytes]) -> None:
    """Seed the corpus directory (the last argument not starting with '-', else a temporary
    one) and fuzz ``test_one_input`` with the libFuzzer options of the command line. A file
    instead of a directory is run once (to reproduce a crash); a job of -fork mode gets its
    inputs from the parent and is not seeded."""
    args = sys.argv[1:]
    corpus = next((Path(a) for a in reversed(args) if not a.startswith("-")), None)
    if corpus is None:
        corpus = Path(tempfile.mkdtemp(prefix="healthcore-fuzz-"))
        args.append(str(corpus))
    if not corpus.is_file() and not any(a.startswith("-seed_inputs=") for a in args):
        corpus.mkdir(parents=True, exist_ok=True)
        for seed in seeds:
            (corpus / hashlib.sha1(seed).hexdigest()).write_bytes(seed)
    # the command libFuzzer re-runs in -fork mode (which keeps long runs small in memory)
    atheris.Setup([f"{sys.executable} {Path(sys.argv[0]).resolve()}", *args], test_one_input)
    atheris.Fuzz()
