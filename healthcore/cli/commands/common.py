"""What every command shares: exit codes, messages, plugin and ruleset loading."""

from __future__ import annotations

import os
import sys
from typing import Any, Callable, NoReturn

import click

from healthcore.cli.flags import in_flags
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
    URL or ``password=`` setting in it hidden (``***``), and the library's parameters named as
    the command's flags (:func:`~healthcore.cli.flags.in_flags`)."""
    from healthcore.io.database import redact

    show(in_flags(redact(text)), err=True)


def fail(message: str) -> NoReturn:
    """Print an error and exit with code 2 (invalid ruleset, input or command line)."""
    say_error(f"error: {message}")
    sys.exit(EXIT_INVALID)


def warn(message: str) -> None:
    """Print a warning on standard error."""
    say_error(f"warning: {message}")


INPUT_FORMATS = ("csv", "tsv", "json", "jsonl", "parquet")


class AliasedChoice(click.Choice):
    """A choice that also accepts older names of some choices (``aliases``: old name -> the
    choice), left out of the help so that scripts written with them keep working."""

    def __init__(self, choices: tuple[str, ...], aliases: dict[str, str]):
        super().__init__(choices)
        self.aliases = aliases

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        return super().convert(self.aliases.get(value, value), param, ctx)


def format_option(*choices: str, default: str | None = "text",
                  help: str = "text for people, json for tools.",
                  aliases: tuple[str, ...] = ("table",)) -> Callable[..., Any]:
    """The ``-f/--format`` option: ``text`` is the human-readable output of every command;
    ``aliases`` are its older names (``table``, ``panel``), accepted but not shown."""
    return click.option("-f", "--format", "fmt",
                        type=AliasedChoice(choices, {alias: "text" for alias in aliases}),
                        default=default, show_default=default is not None, help=help)


class AliasedOption(click.Option):
    """An option with older names (``aliases``), accepted but not shown in the help."""

    def __init__(self, *args: Any, aliases: tuple[str, ...] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.aliases = aliases

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        opts = self.opts
        self.opts = [name for name in opts if name not in self.aliases]
        try:
            return super().get_help_record(ctx)
        finally:
            self.opts = opts


def input_options(command: Callable[..., Any] | None = None, *,
                  accounts: str = "ACCOUNTS", aliases: tuple[str, ...] = ()) -> Any:
    """The options saying how to read a file of accounts (named ``accounts`` in the help):
    ``--input-format`` (also accepted under the older names ``aliases``), ``--delimiter`` and
    ``--encoding``."""
    if command is None:
        return lambda command: input_options(command, accounts=accounts, aliases=aliases)
    options = [
        click.option("--input-format", *aliases, "input_format", cls=AliasedOption,
                     aliases=aliases, type=click.Choice(INPUT_FORMATS),
                     help=f"Format of {accounts} when its extension does not tell (or it is "
                          "'-')."),
        click.option("--delimiter", metavar="CHAR",
                     help="Field delimiter of CSV/TSV input, such as ';' or '|' ('\\t' or "
                          "'tab' for a tab). Default: ',' (a tab for TSV)."),
        click.option("--encoding", metavar="NAME",
                     help="Encoding of text input, such as latin-1 or cp1252. Default: UTF-8 "
                          "(with or without a byte-order mark)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


_DISABLED_PLUGINS = "healthcore.disabled_plugins"
"""Where ``--disable-plugin`` leaves its names in the click context's ``meta``."""


def plugin_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """The ``--plugin MODULE`` and ``--disable-plugin NAME`` options (repeatable); the names
    to disable reach :func:`registry_or_fail` through the click context."""
    command = click.option("--disable-plugin", "disabled_plugins", multiple=True, metavar="NAME",
                           expose_value=False, callback=_remember_disabled_plugins,
                           help="Do not load the plugin of this name (built-in or installed); "
                                "repeatable.")(command)
    return click.option("--plugin", "plugins", multiple=True, metavar="MODULE",
                        help="Also load this plugin module (importable path, or a module file "
                             "in the current directory); repeatable.")(command)


def _remember_disabled_plugins(context: click.Context, parameter: click.Parameter,
                               names: tuple[str, ...]) -> None:
    context.meta[_DISABLED_PLUGINS] = names


def importable_from_current_directory() -> None:
    """Let ``--plugin`` import modules from the current directory, as ``python -m`` would: an
    installed console script has its own directory on ``sys.path``, not the current one. The
    directory goes last, so that a file there never shadows an installed module."""
    here = os.getcwd()
    if here not in sys.path and "" not in sys.path:
        sys.path.append(here)


def registry_or_fail(plugins: tuple[str, ...], say: Callable[[str], None] | None = None):
    """The plugin registry (with the ``--plugin`` modules, without the ``--disable-plugin``
    plugins); its problems go through ``say`` (printed as warnings by default; a no-op with
    ``--quiet``). Exit code 2 if a ``--plugin`` module cannot be loaded."""
    from healthcore.plugin.registry import default_registry, load_registry

    if plugins:
        importable_from_current_directory()
    try:
        disabled = click.get_current_context().meta.get(_DISABLED_PLUGINS, ())
        registry = load_registry(plugins, disabled=disabled) if plugins else \
            default_registry(disabled)
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


def accounts_or_fail(path: str, fmt: str | None = None, *, delimiter: str | None = None,
                     encoding: str | None = None):
    """The accounts read from ``path`` (``-``: standard input), or the reason and exit code 2."""
    from healthcore.io.readers import read_accounts

    try:
        return read_accounts(path, fmt, delimiter=delimiter, encoding=encoding)
    except HealthcoreError as exc:
        fail(str(exc))
