"""What every command shares: exit codes, messages, plugin and ruleset loading."""

from __future__ import annotations

import sys
from typing import Any, Callable, NoReturn

import click

from ..errors import HealthcoreError, RulesetError

EXIT_OK, EXIT_UNSCORED, EXIT_INVALID = 0, 1, 2
EXIT_INTERRUPTED = 130
"""Stopped with Ctrl-C (SIGINT), as shells report 128 + the signal's number."""

EXIT_CODES_HELP = """\b
Exit codes:
  0  every account was scored (or every ruleset is valid)
  1  some accounts could not be scored; they are still in the
     output, with status "error" and the reason in "errors"
  2  a ruleset, an input file or the command line is invalid
  130  interrupted (Ctrl-C); outputs are left as they were
"""


def fail(message: str) -> NoReturn:
    """Print an error and exit with code 2 (invalid ruleset, input or command line)."""
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_INVALID)


def warn(message: str) -> None:
    """Print a warning on standard error."""
    click.echo(f"warning: {message}", err=True)


def plugin_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """The ``--plugin MODULE`` option (repeatable)."""
    return click.option("--plugin", "plugins", multiple=True, metavar="MODULE",
                        help="Also load this plugin module (importable path); repeatable.")(command)


def registry_or_fail(plugins: tuple[str, ...], say: Callable[[str], None] | None = None):
    """The plugin registry (with ``--plugin`` modules); its problems go through ``say``
    (printed as warnings by default; a no-op with ``--quiet``). Exit code 2 if a ``--plugin``
    module cannot be loaded."""
    from ..plugins import default_registry, load_registry

    try:
        registry = load_registry(plugins) if plugins else default_registry()
    except HealthcoreError as exc:
        fail(str(exc))
    for problem in registry.problems:
        (say or warn)(problem)
    return registry


def ruleset_or_fail(path: str, registry):
    """The compiled ruleset at ``path``; else every diagnostic printed and exit code 2."""
    from ..loader import load_ruleset

    try:
        return load_ruleset(path, registry=registry)
    except RulesetError as exc:
        for diagnostic in exc.diagnostics:
            click.echo(str(diagnostic), err=True)
        count = len(exc.diagnostics)
        fail(f"{path}: {count} problem{'s' if count > 1 else ''}; the ruleset was not used")


def accounts_or_fail(path: str, fmt: str | None = None):
    """The accounts read from ``path`` (``-``: standard input), or the reason and exit code 2."""
    from ..io.readers import read_accounts

    try:
        return read_accounts(path, fmt)
    except HealthcoreError as exc:
        fail(str(exc))
