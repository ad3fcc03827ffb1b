"""``healthcore test``: run the example accounts a ruleset declares next to it (a thin layer
over :func:`healthcore.jobs.tests.run_tests`)."""

from __future__ import annotations

import sys

import click

from healthcore.cli.commands.common import (EXIT_INVALID, EXIT_OK, EXIT_UNSCORED, plugin_option,
                                            registry_or_fail, say_error, show, warn)

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
    from healthcore.cli.render.tests import case_line
    from healthcore.jobs.tests import run_tests

    runs = run_tests(rulesets, registry_or_fail(plugins))
    for run in runs:
        if run.skipped:
            warn(f"{run.ruleset}: no tests file {run.tests.name} next to it; skipped")
        elif run.missing:
            click.echo(f"{run.ruleset}: no such ruleset (for {run.tests})", err=True)
        elif run.diagnostics:
            for diagnostic in run.diagnostics:
                say_error(str(diagnostic))
            count = len(run.diagnostics)
            click.echo(f"{run.tests}: not run ({count} problem{'s' if count != 1 else ''})",
                       err=True)
        elif run.error is not None:
            say_error(f"{run.tests}: not run: {run.error}")
        else:
            show(f"{run.tests} ({run.ruleset})")
            for result in run.results:
                show(case_line(result))
    invalid = sum(run.invalid for run in runs)
    passed = sum(result.passed for run in runs for result in run.results)
    total = sum(len(run.results) for run in runs)
    failed = total - passed
    summary = f"{total} case{'s' if total != 1 else ''}: {passed} passed, {failed} failed"
    if invalid:
        summary += f"; {invalid} file{'s' if invalid != 1 else ''} invalid"
    if not any(run.ran for run in runs) and not invalid:
        click.echo("error: no tests file found: write <ruleset stem>.tests.yaml next to the "
                   "ruleset (see docs/cli.md, 'healthcore test')", err=True)
        sys.exit(EXIT_INVALID)
    click.echo(summary)
    sys.exit(EXIT_INVALID if invalid else EXIT_UNSCORED if failed else EXIT_OK)
