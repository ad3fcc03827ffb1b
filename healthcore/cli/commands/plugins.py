"""``healthcore plugins``: the loaded plugins, their metrics and functions."""

from __future__ import annotations

import json

import click

from healthcore.authoring.reference import metric_reference, plugin_catalogue
from healthcore.cli.commands.common import (EXIT_CODES_HELP, format_option, plugin_option,
                                            registry_or_fail, warn)
from healthcore.cli.render.plugins import render_catalogue


@click.command(name="plugins", epilog=EXIT_CODES_HELP)
@format_option("text", "json", "markdown",
               help="text for people, json for tools, markdown for a metric reference page.")
@plugin_option
def command(fmt: str, plugins: tuple[str, ...]) -> None:
    """List the plugins, their metrics with each metric's parameters, and the functions.

    \b
    Examples:
      healthcore plugins --plugin my_company.health_metrics
      HEALTHCORE_DISABLE_PLUGINS=1 healthcore plugins --format markdown > docs/metrics.md
    """
    registry = registry_or_fail(plugins)
    for problem in registry.check_parameter_schemas():
        warn(problem)
    if fmt == "markdown":
        click.echo(metric_reference(registry, entry_points_skipped=not registry.entry_points),
                   nl=False)
        return
    catalogue = plugin_catalogue(registry)
    if fmt == "json":
        click.echo(json.dumps(catalogue, indent=2))
        return
    click.echo(render_catalogue(catalogue))
