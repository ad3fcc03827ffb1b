"""``healthcore test``: run the example accounts a ruleset declares next to it."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from healthcore.errors import HealthcoreError, RulesetError
from healthcore.cli.commands.common import (EXIT_INVALID, EXIT_OK, EXIT_UNSCORED, plugin_option, registry_or_fail,
                     say_error, show, warn)

EXIT_CODES_TEST = """\b
Exit codes:
  0  every case passed
  1  some cases failed (each FAIL line says what differed)
  2  a ruleset, an input file or the command line is invalid
     (here: a ruleset or its tests file)
"""


@click.command(name="test", epilog=EXIT_CODES_TEST)
@click.argument("rulesets", nargs=-1, required=True, type=click.Path(dir_okay=False))
@plugin_option
def command(rulesets: tuple[str, ...], plugins: tuple[str, ...]) -> None:
    """Run the example accounts of RULESETS: the cases of '<stem>.tests.yaml' next to each
    ruleset, scored together in one batch, each checked against the tier, score, actions,
    segment or status it expects. Giving the tests file instead of the ruleset works too.

    \b
    Examples:
      healthcore test rulesets/saas-b2b.yaml
      healthcore test rulesets/*.yaml
    """
    from healthcore.ruleset import load_ruleset
    from healthcore.authoring.cases import TESTS_SUFFIX, load_cases, ruleset_of, run_cases, tests_path

    registry = registry_or_fail(plugins)
    pairs: list[tuple[Path, Path]] = []
    for given in rulesets:
        path = Path(given)
        ruleset, tests = ((ruleset_of(path), path) if path.name.endswith(TESTS_SUFFIX)
                          else (path, tests_path(path)))
        if (ruleset, tests) not in pairs:
            pairs.append((ruleset, tests))
    invalid = passed = failed = files = 0
    for ruleset_file, tests_file in pairs:
        if not tests_file.is_file():
            if ruleset_file.is_file():
                warn(f"{ruleset_file}: no tests file {tests_file.name} next to it; skipped")
            else:
                click.echo(f"{ruleset_file}: no such ruleset (for {tests_file})", err=True)
                invalid += 1
            continue
        try:
            ruleset = load_ruleset(ruleset_file, registry=registry)
            cases = load_cases(tests_file, ruleset)
            results = run_cases(ruleset, cases)
        except RulesetError as exc:
            for diagnostic in exc.diagnostics:
                say_error(str(diagnostic))
            click.echo(f"{tests_file}: not run ({len(exc.diagnostics)} "
                       f"problem{'s' if len(exc.diagnostics) != 1 else ''})", err=True)
            invalid += 1
            continue
        except HealthcoreError as exc:
            say_error(f"{tests_file}: not run: {exc}")
            invalid += 1
            continue
        files += 1
        show(f"{tests_file} ({ruleset_file})")
        for result in results:
            if result.passed:
                passed += 1
                got = (f"score {_score(result.score)}, {result.tier}" if result.status == "ok"
                       else "not scored")
                show(f"  PASS  {result.case.name}  ({got})")
            else:
                failed += 1
                show(f"  FAIL  {result.case.name}  (line {result.case.line}): "
                           f"{'; '.join(result.differences)}")
    total = passed + failed
    summary = f"{total} case{'s' if total != 1 else ''}: {passed} passed, {failed} failed"
    if invalid:
        summary += f"; {invalid} file{'s' if invalid != 1 else ''} invalid"
    if not files and not invalid:
        click.echo("error: no tests file found: write <ruleset stem>.tests.yaml next to the "
                   "ruleset (see docs/cli.md, 'healthcore test')", err=True)
        sys.exit(EXIT_INVALID)
    click.echo(summary)
    sys.exit(EXIT_INVALID if invalid else EXIT_UNSCORED if failed else EXIT_OK)


def _score(value: float | None) -> str:
    return "none" if value is None else f"{value:.2f}"
