"""The ``healthcore`` command group: a thin layer over the Python API, one module of
:mod:`healthcore.cli.commands` per command."""

from __future__ import annotations

import errno
import importlib
import os
import pkgutil
import sys
from collections.abc import MutableMapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator

import click

from healthcore.cli import commands
from healthcore.cli.commands.common import (EXIT_CLOSED_PIPE, EXIT_CODES_HELP, EXIT_INTERRUPTED,
                                            EXIT_INVALID, EXIT_OK, EXIT_UNSCORED, say_error)

if TYPE_CHECKING:
    from healthcore.jobs.evaluate import Written

__all__ = ["EXIT_CLOSED_PIPE", "EXIT_INTERRUPTED", "EXIT_INVALID", "EXIT_OK", "EXIT_UNSCORED",
           "main"]


class _UsageError(click.ClickException):
    """A command-line error of click's, shown as every other error is (``error: ...``, not
    click's ``Error: ...``), after the usage line, with exit code 2."""

    exit_code = EXIT_INVALID

    def __init__(self, original: click.ClickException):
        super().__init__(original.format_message())
        self.context = getattr(original, "ctx", None)

    def show(self, file: Any = None) -> None:
        if self.context is not None:
            command = self.context.command_path
            click.echo(f"{self.context.get_usage()}\nTry '{command} --help' for help.\n",
                       err=True)
        say_error(f"error: {self.format_message()}")


@contextmanager
def _usage_errors() -> Iterator[None]:
    """Click's errors (a bad option value, an unknown command...) as :class:`_UsageError`."""
    try:
        yield
    except (_UsageError, click.exceptions.NoArgsIsHelpError):
        raise
    except click.ClickException as exc:
        raise _UsageError(exc) from None


class _Commands(click.Group):
    """The command group; a command interrupted with Ctrl-C exits with 130 (not click's 1,
    which means "some accounts unscored" here), one whose standard output is closed early with
    141; click's own errors say ``error:`` as the others do, with exit code 2."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        with _usage_errors():
            return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with _usage_errors():
                return super().invoke(ctx)
        except KeyboardInterrupt as exc:
            from healthcore.cli.commands.evaluate import WRITTEN
            from healthcore.jobs.evaluate import Interrupted

            written = exc.written if isinstance(exc, Interrupted) else ctx.meta.get(WRITTEN)
            click.echo("\ninterrupted: " + (kept(written) if written else
                                             "files, tables and histories being written are "
                                             "left as they were"), err=True)
            sys.exit(EXIT_INTERRUPTED)
        except OSError as exc:
            # polars reports the OS error in its message only: "Broken pipe (os error 32)"
            if exc.errno != errno.EPIPE and f"(os error {errno.EPIPE})" not in str(exc):
                raise
            # the reader of standard output is gone (| head): stop quietly, as other tools do
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(EXIT_CLOSED_PIPE)


def kept(written: Written) -> str:
    """What an interruption leaves, once ``written`` was written, in words."""
    parts = []
    if written.outputs:
        parts.append(f"{', '.join(written.outputs)} already "
                     f"{'holds' if len(written.outputs) == 1 else 'hold'} this run's results")
    if written.history is not None and written.recorded:
        parts.append(f"the run was recorded in {written.history}; alerts not yet delivered "
                     f"wait in its outbox: healthcore deliver --history {written.history}")
    elif written.history is not None:
        parts.append(f"{written.history} was left as it was (the run was not recorded)")
    if not parts:
        return "nothing was written; files, tables and histories are left as they were"
    return "; ".join(parts)


@click.group(cls=_Commands, epilog=EXIT_CODES_HELP)
@click.version_option(package_name="healthcore")
def main() -> None:
    """Score customer health from a YAML ruleset.

    \b
    Try it:
      healthcore evaluate rulesets/saas-b2b.yaml rulesets/saas-b2b.accounts.csv
    """


class _CommandModules(MutableMapping[str, click.Command]):
    """The commands by name: every module of :mod:`healthcore.cli.commands` (but ``common``)
    defines one ``command``, named as the module, imported when first looked up, so that a run
    imports its own command's module only (and what that needs)."""

    def __init__(self) -> None:
        self._names = sorted(module.name for module in pkgutil.iter_modules(commands.__path__)
                             if module.name != "common")
        self._loaded: dict[str, click.Command] = {}

    def __getitem__(self, name: str) -> click.Command:
        if name not in self._loaded:
            if name not in self._names:
                raise KeyError(name)
            module = importlib.import_module(f"{commands.__name__}.{name}")
            self._loaded[name] = module.command
        return self._loaded[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        if name not in self._names:
            self._names = sorted([*self._names, name])
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        self._names.remove(name)
        self._loaded.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._names))

    def __len__(self) -> int:
        return len(self._names)


main.commands = _CommandModules()

if __name__ == "__main__":
    main()
