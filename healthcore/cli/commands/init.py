"""``healthcore init``: write a new ruleset from a bundled template."""

from __future__ import annotations

import click

from healthcore.errors import HealthcoreError, RulesetError
from healthcore.cli.commands.common import (EXIT_CODES_HELP, accounts_or_fail, fail, plugin_option, registry_or_fail,
                     say_error, warn)


@click.command(name="init", epilog=EXIT_CODES_HELP)
@click.argument("new", metavar="NEW.yaml", type=click.Path(dir_okay=False))
@click.option("-t", "--template", required=True, metavar="NAME",
              help="The template to start from ('healthcore templates' lists them).")
@click.option("--sample", type=click.Path(dir_okay=False, allow_dash=True), metavar="ACCOUNTS",
              help="Check the fields the new ruleset reads against these accounts (CSV, TSV, "
                   "JSON, JSONL or Parquet; '-' for standard input) and name each missing one.")
@click.option("--sample-format", type=click.Choice(["csv", "tsv", "json", "jsonl", "parquet"]),
              help="Format of the --sample file when its extension does not tell.")
@click.option("--force", is_flag=True, help="Replace NEW.yaml if it exists.")
@plugin_option
def command(new: str, template: str, sample: str | None, sample_format: str | None,
            force: bool, plugins: tuple[str, ...]) -> None:
    """Write the new ruleset NEW.yaml from a template, with all its explaining comments; its
    name is the file's stem. With --sample, say which fields the ruleset reads that your
    accounts do not have (with a did-you-mean), so that you can rename them before the first
    run.

    \b
    Examples:
      healthcore init acme.yaml --template saas-b2b
      healthcore init acme.yaml --template saas-b2b --sample exports/accounts.csv
    """
    from healthcore.authoring.templates import create_from_template, get_template

    try:
        chosen = get_template(template)
    except HealthcoreError as exc:
        fail(str(exc))
    accounts = accounts_or_fail(sample, sample_format) if sample is not None else None
    registry = registry_or_fail(plugins) if sample is not None else None
    try:
        path = create_from_template(chosen, new, force=force)
    except HealthcoreError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"{new}: cannot write the file: {exc.strerror or exc}")
    click.echo(f"{path}: written from the template {chosen.name}")
    if accounts is None:
        click.echo(f"Next: adapt it to your accounts, then "
                   f"'healthcore validate {path} --sample ACCOUNTS'")
        return
    from healthcore.authoring.advice import advise
    from healthcore.ruleset import load_ruleset

    try:
        ruleset = load_ruleset(path, registry=registry)
    except RulesetError as exc:
        for diagnostic in exc.diagnostics:
            say_error(str(diagnostic))
        fail(f"{path} was written but does not load here (is a plugin it needs missing?), so "
             "its fields were not checked against the sample")
    name = "<stdin>" if sample == "-" else sample
    problems = [w for w in advise(ruleset, sample=accounts, sample_name=name)
                if w.code in ("missing-field", "empty-field")]
    for problem in problems:
        say_error(str(problem))
    if problems:
        count = len(problems)
        warn(f"the sample {name} lacks fields that {path} reads ({count} "
             f"warning{'s' if count != 1 else ''} above): rename them in the ruleset (or in "
             f"your export), then run 'healthcore validate {path} --sample {name}'")
    else:
        click.echo(f"Every field {path} reads is in the sample {name}: try it with "
                   f"'healthcore evaluate {path} {name}'")
