"""The example accounts declared next to rulesets, run: what ``healthcore test`` does."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from healthcore.authoring.cases import (TESTS_SUFFIX, CaseResult, load_cases, ruleset_of, run_cases,
                                        tests_path)
from healthcore.errors import HealthcoreError, RulesetError
from healthcore.ruleset import load_ruleset

if TYPE_CHECKING:
    from healthcore.errors import Diagnostic
    from healthcore.plugin.registry import Registry


@dataclass
class CasesRun:
    """The cases of one tests file, run against its ruleset; or why they were not."""

    ruleset: Path
    tests: Path
    results: list[CaseResult] = field(default_factory=list)
    """The cases' results, in the file's order (empty when not run)."""
    skipped: bool = False
    """The ruleset has no tests file next to it."""
    missing: bool = False
    """The ruleset does not exist."""
    diagnostics: list["Diagnostic"] = field(default_factory=list)
    """The problems of the ruleset or of its tests file, which were then not run."""
    error: str | None = None
    """Why the cases could not be run, other than :attr:`diagnostics`."""

    @property
    def invalid(self) -> bool:
        """Whether the ruleset or its tests file is invalid or missing."""
        return self.missing or bool(self.diagnostics) or self.error is not None

    @property
    def ran(self) -> bool:
        """Whether the cases were run."""
        return not self.skipped and not self.invalid


def pairs(paths: Iterable[str | Path]) -> list[tuple[Path, Path]]:
    """Each ruleset and its tests file, once, from ``paths`` naming either."""
    found: list[tuple[Path, Path]] = []
    for given in paths:
        path = Path(given)
        pair = ((ruleset_of(path), path) if path.name.endswith(TESTS_SUFFIX)
                else (path, tests_path(path)))
        if pair not in found:
            found.append(pair)
    return found


def run_tests(paths: Iterable[str | Path], registry: "Registry | None" = None
              ) -> list[CasesRun]:
    """Run the cases of the tests file of each ruleset of ``paths`` (a ruleset or its
    ``<stem>.tests.yaml``), each file's cases scored together in one batch with the plugins of
    ``registry``."""
    runs = []
    for ruleset_file, tests_file in pairs(paths):
        run = CasesRun(ruleset_file, tests_file)
        runs.append(run)
        if not tests_file.is_file():
            run.skipped, run.missing = ruleset_file.is_file(), not ruleset_file.is_file()
            continue
        try:
            ruleset = load_ruleset(ruleset_file, registry=registry)
            run.results = run_cases(ruleset, load_cases(tests_file, ruleset))
        except RulesetError as exc:
            run.diagnostics = list(exc.diagnostics)
        except HealthcoreError as exc:
            run.error = str(exc)
    return runs
