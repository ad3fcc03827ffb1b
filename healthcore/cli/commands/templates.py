"""``healthcore templates``: list the bundled ruleset templates."""

from __future__ import annotations

import json

import click

from healthcore.cli.commands.common import EXIT_CODES_HELP, format_option


@click.command(name="templates", epilog=EXIT_CODES_HELP)
@format_option("text", "json")
def command(fmt: str) -> None:
    """List the bundled ruleset templates: name, the business each is for, and what it
    scores. Start a ruleset of your own from one with 'healthcore init'.

    \b
    Examples:
      healthcore templates
      healthcore init acme.yaml --template saas-b2b --sample accounts.csv
    """
    from healthcore.authoring.templates import list_templates

    templates = list_templates()
    if fmt == "json":
        click.echo(json.dumps([{"name": t.name, "business": t.business,
                                "description": t.description,
                                "sample": t.sample.name if t.sample else None}
                               for t in templates], indent=2))
        return
    for template in templates:
        click.echo(f"{template.name}: for {template.business}")
        if template.description:
            click.echo(f"    {template.description}")
    click.echo("\nStart from one: healthcore init NEW.yaml --template NAME [--sample ACCOUNTS]")
