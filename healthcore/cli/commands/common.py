"""What every command shares: exit codes, messages, plugin and ruleset loading."""

from __future__ import annotations

import os
import sys
from typing import Any, Callable, NoReturn

import click

from healthcore.cli.render import printable
from healthcore.errors import HealthcoreError, RulesetError

EXIT_OK, EXIT_UNSCORED, EXIT_INVALID = 0, 1, 2
EXIT_INTERRUPTED, EXIT_CLOSED_PIPE = 130, 141
"""Stopped with Ctrl-C (SIGINT); the reader of standard output closed it (``| head``): as
shells report 128 + the signal's number (SIGINT, SIGPIPE)."""

EXIT_CODES_HELP = """\b
Exit codes:
  0  every account was scored (or every ruleset is valid)
  1  some accounts could not be scored; they are still in the
     output, with status "error" and the reason in "errors"
  2  a ruleset, an input file or the command line is invalid,
     or the input does not fit in memory
  130  interrupted (Ctrl-C); the message says what was already written
  141  the reader of standard output stopped early (| head)
"""


def show(text: str, *, err: bool = False) -> None:
    """Print ``text`` (on standard error with ``err``), each line's control characters shown
    escaped (``\\x1b``), never sent to the terminal: what is shown quotes rulesets and
    accounts."""
    click.echo("\n".join(printable(line) for line in text.split("\n")), err=err)


def say_error(text: str) -> None:
    """Print ``text`` on standard error, as :func:`show` does, the password of any database
    URL or ``password=`` setting in it hidden (``***``)."""
    from healthcore.io.database import redact

    show(redact(text), err=True)


def fail(message: str) -> NoReturn:
    """Print an error and exit with code 2 (invalid ruleset, input or command line)."""
    say_error(f"error: {message}")
    sys.exit(EXIT_INVALID)


def warn(message: str) -> None:
    """Print a warning on standard error."""
    say_error(f"warning: {message}")


def input_format_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """The ``--input-format FORMAT`` option of commands reading ACCOUNTS."""
    return click.option("--input-format",
                        type=click.Choice(["csv", "tsv", "json", "jsonl", "parquet"]),
                        help="Format of ACCOUNTS when its extension does not tell (or it is "
                             "'-').")(command)


def plugin_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """The ``--plugin MODULE`` option (repeatable)."""
    return click.option("--plugin", "plugins", multiple=True, metavar="MODULE",
                        help="Also load this plugin module (importable path, or a module file "
                             "in the current directory); repeatable.")(command)


def importable_from_current_directory() -> None:
    """Let ``--plugin`` import modules from the current directory, as ``python -m`` would: an
    installed console script has its own directory on ``sys.path``, not the current one. The
    directory goes last, so that a file there never shadows an installed module."""
    here = os.getcwd()
    if here not in sys.path and "" not in sys.path:
        sys.path.append(here)


def registry_or_fail(plugins: tuple[str, ...], say: Callable[[str], None] | None = None):
    """The plugin registry (with ``--plugin`` modules); its problems go through ``say``
    (printed as warnings by default; a no-op with ``--quiet``). Exit code 2 if a ``--plugin``
    module cannot be loaded."""
    from healthcore.plugin.registry import default_registry, load_registry

    if plugins:
        importable_from_current_directory()
    try:
        registry = load_registry(plugins) if plugins else default_registry()
    except HealthcoreError as exc:
        fail(str(exc))
    for problem in registry.problems:
        (say or warn)(problem)
    return registry


def ruleset_or_fail(path: str, registry):
    """The compiled ruleset at ``path``; else every diagnostic printed and exit code 2."""
    from healthcore.ruleset import load_ruleset

    try:
        return load_ruleset(path, registry=registry)
    except RulesetError as exc:
        for diagnostic in exc.diagnostics:
            say_error(str(diagnostic))
        count = len(exc.diagnostics)
        fail(f"{path}: {count} problem{'s' if count > 1 else ''}; the ruleset was not used")


def accounts_or_fail(path: str, fmt: str | None = None):
    """The accounts read from ``path`` (``-``: standard input), or the reason and exit code 2."""
    from healthcore.io.readers import read_accounts

    try:
        return read_accounts(path, fmt)
    except HealthcoreError as exc:
        fail(str(exc))
