"""The ``healthcore`` command: a thin layer over the Python API."""

from __future__ import annotations

import errno
import importlib
import json
import os
import pkgutil
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterator

import click

from healthcore.cli.commands.common import (EXIT_CLOSED_PIPE, EXIT_CODES_HELP, EXIT_INTERRUPTED, EXIT_INVALID,
                              EXIT_OK, EXIT_UNSCORED, accounts_or_fail, fail, input_format_option,
                              plugin_option, registry_or_fail, ruleset_or_fail, say_error, warn)
from healthcore.errors import HealthcoreError, MetricError, RulesetError
from healthcore.engine import score

if TYPE_CHECKING:
    from healthcore.engine.results import Results

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
        except KeyboardInterrupt:
            written = ctx.meta.get(WRITTEN)
            click.echo("\ninterrupted: " + (written.kept() if written else
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


WRITTEN = "healthcore.written"
"""The key, in the command context's ``meta``, of the :class:`Written` of a command that
writes, so that an interruption can say what was kept."""


@dataclass
class Written:
    """What a command has finished writing so far."""

    outputs: list[str] = field(default_factory=list)
    """The files and tables already replaced with the new results."""
    history: str | None = None
    """The history the run is recorded in (shown without its password), if any."""
    recorded: bool = False

    def kept(self) -> str:
        """What an interruption now leaves, in words."""
        parts = []
        if self.outputs:
            parts.append(f"{', '.join(self.outputs)} already "
                         f"{'holds' if len(self.outputs) == 1 else 'hold'} this run's results")
        if self.history is not None and self.recorded:
            parts.append(f"the run was recorded in {self.history}; alerts not yet delivered "
                         f"wait in its outbox: healthcore deliver --history {self.history}")
        elif self.history is not None:
            parts.append(f"{self.history} was left as it was (the run was not recorded)")
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


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("ruleset", type=click.Path(dir_okay=False))
@click.argument("accounts", required=False, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("-f", "--format", "fmt",
              type=click.Choice(["table", "json", "jsonl", "csv", "parquet"]),
              help="Output format. Default: from the -o extension, else table (none with "
                   "--to-db).")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write the results to this file (atomically) instead of standard output.")
@input_format_option
@click.option("--delimiter", metavar="CHAR",
              help="Field delimiter of CSV/TSV input, such as ';' or '|' ('\\t' or 'tab' for a "
                   "tab). Default: ',' (a tab for TSV).")
@click.option("--encoding", metavar="NAME",
              help="Encoding of text input, such as latin-1 or cp1252. Default: UTF-8 (with or "
                   "without a byte-order mark).")
@click.option("--db", metavar="URL",
              help="Read the accounts from this database instead of ACCOUNTS: "
                   "sqlite:///file.db or postgresql://user:password@host/database; with "
                   "--query or --table.")
@click.option("--query", metavar="SQL", help="With --db: the SELECT whose rows are the accounts.")
@click.option("--table", metavar="NAME",
              help="With --db: the table (or view) whose rows are the accounts; schema.table "
                   "works too.")
@click.option("--to-db", metavar="URL",
              help="Also write the results into a table of this database (with --to-table), "
                   "flat like the CSV output, replacing its content in one transaction.")
@click.option("--to-table", metavar="NAME", help="With --to-db: the table to create or replace.")
@click.option("--history", metavar="DB",
              help="Record this run in a score history (a SQLite file path or a PostgreSQL "
                   "URL) and add each account's change since the previous run "
                   "(previous_score, score_delta, previous_tier).")
@click.option("--as-of", metavar="YYYY-MM-DD",
              help="With --history: the date of this run (default: today); a run of the same "
                   "ruleset on the same date is replaced; a date after tomorrow is refused.")
@click.option("--allow-future", is_flag=True,
              help="With --history: accept an --as-of date after tomorrow (test histories).")
@click.option("--limit", default=100, show_default=True,
              help="Rows shown by the table format, worst first (0: all).")
@click.option("--csv-raw", is_flag=True,
              help="With the CSV format: write text cells as they are, even those that a "
                   "spreadsheet would run as a formula (starting with = + - @, a tab or a "
                   "carriage return), which are otherwise prefixed with '.")
@click.option("-q", "--quiet", is_flag=True,
              help="Print no warnings and no progress on standard error, only errors.")
@click.option("--strict", is_flag=True,
              help="Stop at the first fault of a metric (it raises, or does not give one "
                   "finite number per account) with exit code 1, instead of leaving its "
                   "indicator out.")
@plugin_option
def evaluate(ruleset: str, accounts: str | None, fmt: str | None, output: str | None,
             input_format: str | None, delimiter: str | None, encoding: str | None,
             db: str | None, query: str | None, table: str | None, to_db: str | None,
             to_table: str | None, history: str | None, as_of: str | None,
             allow_future: bool, limit: int, csv_raw: bool, quiet: bool, strict: bool,
             plugins: tuple[str, ...]) -> None:
    """Score ACCOUNTS (CSV, TSV, JSON, JSONL or Parquet; '-' for standard input), or the rows
    of a database (--db), with RULESET.

    \b
    Examples:
      healthcore evaluate rulesets/saas-b2b.yaml rulesets/saas-b2b.accounts.csv
      healthcore evaluate rulesets/saas-b2b.yaml accounts.parquet -o scores.parquet
      cat accounts.jsonl | healthcore evaluate rulesets/saas-b2b.yaml - -f json
      healthcore evaluate rulesets/saas-b2b.yaml export.csv --delimiter ';' --encoding latin-1
      healthcore evaluate rulesets/saas-b2b.yaml --db sqlite:///crm.db --table accounts \\
          --to-db sqlite:///crm.db --to-table health_scores
      healthcore evaluate rulesets/saas-b2b.yaml accounts.csv --history history.db
    """
    _check_sources(accounts, input_format, delimiter, encoding, db, query, table)
    if allow_future and history is None:
        fail("--allow-future is for a run recorded in a history: give --history DB too")
    if as_of is not None:
        if history is None:
            fail("--as-of dates a run recorded in a history: give --history DB too")
        from healthcore.history import as_of_date

        try:
            as_of = as_of_date(as_of)
        except HealthcoreError as exc:
            fail(f"--as-of: {exc}")
    if (to_db is None) != (to_table is None):
        fail("--to-db URL and --to-table NAME go together: give both to write the results into "
             "a database table")
    if fmt is not None or output is not None or to_db is None:
        fmt = fmt or _output_format(output)  # else the database is the only output
    if csv_raw and fmt != "csv":
        fail("--csv-raw is for the CSV output: give -f csv or -o FILE.csv too")
    if output and fmt == "table":
        fail("the table format is for the terminal; write files with -f json, jsonl, csv "
              "or parquet")
    if output:
        from healthcore.io.writers import check_writable

        try:
            check_writable(output)  # before the run is recorded or a table written
        except HealthcoreError as exc:
            fail(str(exc))
    if to_table is not None:
        from healthcore.io.database import check_not_history_table

        try:
            check_not_history_table(to_table)
        except HealthcoreError as exc:
            fail(str(exc))
    say = (lambda message: None) if quiet else warn
    registry = registry_or_fail(plugins, say)
    compiled = ruleset_or_fail(ruleset, registry)
    if to_db is not None:
        _check_table(compiled, to_db, to_table)
    written = click.get_current_context().meta[WRITTEN] = Written(
        history=None if history is None else _shown_history(history))
    with Phases(enabled=not quiet) as phases:
        try:
            phases.phase("reading", "reading the accounts")
            if db is not None:
                from healthcore.io.database import read_database

                frame = read_database(db, query=query, table=table,
                                      columns={compiled.account_id, *compiled.fields()})
            else:
                from healthcore.io.readers import read_accounts

                _check_fits(accounts)
                frame = read_accounts(accounts, input_format, delimiter=delimiter,
                                      encoding=encoding,
                                      columns={compiled.account_id, *compiled.fields()})
            phases.phase("scoring", f"scoring {frame.height:,} accounts")

            def write_outputs(results: "Results") -> None:
                _write_outputs(results, phases, to_db, to_table, output, fmt, csv_raw,
                               written)

            def recorded(results: "Results") -> None:
                written.recorded = True
                phases.detail("delivering the alerts")

            if history is not None:
                from healthcore.history import evaluate as evaluate_with_history

                phases.detail("scoring and recording the run in the history")
                # the outputs first: one that fails leaves the history as it was, no alert
                results = evaluate_with_history(compiled, frame, history, as_of, explain=True,
                                                registry=registry, strict=strict,
                                                before_recording=write_outputs,
                                                after_recording=recorded,
                                                allow_future=allow_future)
            else:
                results = score(compiled, frame, explain=True, strict=strict)
                write_outputs(results)
        except MetricError as exc:  # --strict: a plugin's fault stops the run, nothing written
            phases.close()
            say_error(f"error: {exc}")
            sys.exit(EXIT_UNSCORED)
        except HealthcoreError as exc:
            phases.close()
            fail(str(exc))
        except BaseException as exc:  # polars' panics are not Exceptions
            from healthcore.engine.inputs import is_out_of_memory, out_of_memory

            if not is_out_of_memory(exc):
                raise
            phases.close()
            read = locals().get("frame")
            fail(out_of_memory(read.height if read is not None else None,
                               read.width if read is not None else None,
                               _size(accounts), accounts or "the query's rows"))
    for warning in results.warnings:
        say(warning)
    repeated = results.repeated_ids() if history is None else []  # a history refuses them
    if repeated:
        from healthcore.engine.results import listed

        say(f"{len(repeated)} account id{'s appear' if len(repeated) > 1 else ' appears'} on "
            f"more than one row ({listed(repeated)}): each row is scored on its own; check the "
            "export")
    if results.alerts:
        say(_alerts_line(results.alerts, written.history))
    if fmt == "table":
        from rich.console import Console

        from healthcore.cli.render import render_table
        render_table(results, Console(), limit)
    elif fmt is not None and not output:
        from healthcore.io.writers import write_stdout

        write_stdout(results, fmt, csv_raw=csv_raw)
    if results.unscorable:
        say(f"{results.unscorable} of {len(results)} accounts could not be scored "
             "(status: error)")
        sys.exit(EXIT_UNSCORED)


def _check_table(compiled, to_db: str, to_table: str) -> None:
    """Exit with code 2 now if the results' table or columns cannot be named in ``to_db``."""
    from healthcore.io.database import check_names

    columns = [f"{item.id}.{part}" for item in (*compiled.indicators, *compiled.groups)
               for part in ("value", "points", "weight", "contribution")]
    try:
        check_names(to_db, to_table, columns)
    except HealthcoreError as exc:
        fail(str(exc))


def _write_outputs(results: "Results", phases: "Phases", to_db: str | None,
                   to_table: str | None, output: str | None, fmt: str | None,
                   csv_raw: bool, written: Written) -> None:
    """Write ``results`` into the table ``to_table`` of ``to_db`` and into the file
    ``output`` (in ``fmt``; ``csv_raw``: CSV formulas as they are), those that are given,
    noting each in ``written``."""
    phases.phase("writing", "writing")
    if to_db is not None:
        from healthcore.io.database import safe_url, write_table

        total = len(results)
        write_table(results, to_db, to_table, on_rows=lambda done: phases.detail(
            f"writing {done:,} of {total:,} rows"))
        written.outputs.append(f"table {to_table} of {safe_url(to_db)}")
    if output:
        from healthcore.io.writers import write_file

        write_file(results, fmt, output, csv_raw=csv_raw)
        written.outputs.append(output)


def _shown_history(history: str) -> str:
    """The history as messages show it: a database URL without its password."""
    from healthcore.io.database import safe_url

    return safe_url(history) if "://" in history else history


def _alerts_line(alerts: list[dict[str, Any]], history: str | None) -> str:
    """One line saying which alerts the run raised."""
    counts: dict[str, int] = {}
    for alert in alerts:
        counts[alert["alert"]] = counts.get(alert["alert"], 0) + 1
    listed = ", ".join(f"{name} x{count}" for name, count in sorted(counts.items()))
    return (f"{len(alerts)} alert{'s' if len(alerts) != 1 else ''} raised ({listed}): "
            f"healthcore alerts --history {_shown_history(history)} lists them")


def _shown_history(history: str | None) -> str:
    """The ``--history`` value as it may be printed: its password hidden."""
    from healthcore.io.database import safe_url

    return safe_url(history or "DB")


def _size(accounts: str | None) -> int | None:
    """The size in bytes of the file of accounts, or None (standard input, a database)."""
    if accounts in (None, "-"):
        return None
    try:
        return os.path.getsize(accounts)
    except OSError:
        return None


def _check_fits(accounts: str) -> None:
    """Refuse, before reading it, a file of accounts that cannot fit in memory: a failed
    allocation inside polars aborts the process, which no handler can catch."""
    from healthcore.errors import InputError
    from healthcore.engine.inputs import too_large

    size = _size(accounts)
    reason = too_large(size, accounts) if size is not None else None
    if reason:
        raise InputError(reason)


def _check_sources(accounts: str | None, input_format: str | None, delimiter: str | None,
                   encoding: str | None, db: str | None, query: str | None,
                   table: str | None) -> None:
    """Exactly one source: ACCOUNTS, or --db with exactly one of --query and --table."""
    if db is None:
        if query is not None or table is not None:
            fail("--query and --table read from a database: give --db URL too")
        if accounts is None:
            fail("give the accounts: a file ACCOUNTS ('-' for standard input), or --db URL with "
                 "--query SQL or --table NAME")
        return
    if accounts is not None:
        fail(f"give either ACCOUNTS ('{accounts}') or --db, not both")
    if (query is None) == (table is None):
        fail("with --db, give either --query SQL or --table NAME (one of them)")
    for name, value in (("--input-format", input_format), ("--delimiter", delimiter),
                        ("--encoding", encoding)):
        if value is not None:
            fail(f"{name} is for an accounts file, not for --db")


class Phases:
    """The progress of a long ``evaluate`` run on standard error: reading, scoring, writing.

    Shown only when ``console`` (standard error by default) is a terminal, and only once the
    run has lasted ``delay`` seconds, so that short runs and pipes never see it; it disappears
    when the run ends. rich is imported only when the bar is shown.
    """

    STEPS = ("reading", "scoring", "writing")

    def __init__(self, console=None, *, enabled: bool = True, delay: float = 1.0):
        import threading

        self.console = console
        self.enabled = enabled and (console.is_terminal if console is not None
                                    else _stderr_is_terminal())
        self.delay = delay
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._progress = None
        self._task = None
        self._step = 0
        self._text = ""
        self._closed = False

    def __enter__(self) -> "Phases":
        if self.enabled:
            if self.delay <= 0:
                self._show()
            else:
                import threading

                self._timer = threading.Timer(self.delay, self._show)
                self._timer.daemon = True
                self._timer.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def phase(self, name: str, text: str | None = None) -> None:
        """Enter the phase ``name`` (one of :attr:`STEPS`), described by ``text``."""
        with self._lock:
            self._step = self.STEPS.index(name)
            self._text = text or name
            self._update()

    def detail(self, text: str) -> None:
        """Describe the current phase anew (rows written so far, say)."""
        with self._lock:
            self._text = text
            self._update()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._timer is not None:
                self._timer.cancel()
            if self._progress is not None:
                self._progress.stop()
                self._progress = None

    def _update(self) -> None:
        if self._progress is not None:
            self._progress.update(self._task, description=self._text, completed=self._step,
                                  refresh=True)

    def _show(self) -> None:
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn,
                                   TextColumn, TimeElapsedColumn)

        with self._lock:
            if self._closed:
                return
            console = self.console or Console(stderr=True)
            if not console.is_terminal:
                return
            self._progress = Progress(SpinnerColumn(), TextColumn("{task.description}"),
                                      BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                      console=console, transient=True)
            self._task = self._progress.add_task(self._text, total=len(self.STEPS),
                                                 completed=self._step)
            self._progress.start()


def _stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _output_format(output: str | None) -> str:
    if not output:
        return "table"
    from healthcore.io.readers import format_of

    found = format_of(output)
    if found in ("json", "jsonl", "csv", "parquet"):
        return found
    fail(f"cannot tell the output format from '{output}': give -f json, jsonl, csv or parquet")


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("rulesets", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--sample", type=click.Path(dir_okay=False, allow_dash=True), metavar="ACCOUNTS",
              help="Also check the fields the rulesets read against these accounts (CSV, TSV, "
                   "JSON, JSONL or Parquet; '-' for standard input).")
@click.option("--sample-format", type=click.Choice(["csv", "tsv", "json", "jsonl", "parquet"]),
              help="Format of the --sample file when its extension does not tell.")
@plugin_option
def validate(rulesets: tuple[str, ...], sample: str | None, sample_format: str | None,
             plugins: tuple[str, ...]) -> None:
    """Check RULESETS without scoring anything; report every problem of each file, and
    advice (warnings) on the valid ones.

    \b
    Examples:
      healthcore validate rulesets/*.yaml
      healthcore validate rulesets/saas-b2b.yaml --sample rulesets/saas-b2b.accounts.csv
    """
    from healthcore.authoring.advice import advise
    from healthcore.ruleset import load_ruleset

    registry = registry_or_fail(plugins)
    accounts = accounts_or_fail(sample, sample_format) if sample is not None else None
    failed = 0
    for path in rulesets:
        try:
            compiled = load_ruleset(path, registry=registry)
        except RulesetError as exc:
            failed += 1
            for diagnostic in exc.diagnostics:
                say_error(str(diagnostic))
            continue
        warnings = advise(compiled, sample=accounts,
                          sample_name="<stdin>" if sample == "-" else sample)
        for warning in warnings:
            say_error(str(warning))
        count = len(warnings)
        advice = f"; {count} warning{'s' if count != 1 else ''}" if count else ""
        click.echo(f"{path}: ok ({len(compiled.indicators)} indicators, "
                   f"{len(compiled.actions)} actions, {len(compiled.tiers)} tiers){advice}")
    if failed:
        fail(f"{failed} of {len(rulesets)} rulesets are invalid")


@main.command(name="plugins", epilog=EXIT_CODES_HELP)
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json", "markdown"]),
              default="text", show_default=True,
              help="text for people, json for tools, markdown for a metric reference page.")
@plugin_option
def plugins_command(fmt: str, plugins: tuple[str, ...]) -> None:
    """List the plugins, their metrics with each metric's parameters, and the functions.

    \b
    Examples:
      healthcore plugins --plugin my_company.health_metrics
      HEALTHCORE_DISABLE_PLUGINS=1 healthcore plugins --format markdown > docs/metrics.md
    """
    registry = registry_or_fail(plugins)
    if fmt == "markdown":
        from healthcore.plugin.registry import DISABLE_ENV

        click.echo(metric_reference(registry, entry_points_skipped=os.environ.get(
            DISABLE_ENV, "") not in ("", "0")), nl=False)
        return
    catalogue = {
        "plugins": [{"name": p.name, "source": p.source, "version": p.version}
                    for p in registry.plugins],
        "metrics": [{"name": m.name, "plugin": m.plugin, "summary": m.summary,
                     "per_account": m.per_account, "inputs": dict(m.inputs),
                     "parameters": dict(m.parameters)}
                    for m in sorted(registry.metrics.values(), key=lambda m: m.name)],
        "functions": [{"name": f.name, "plugin": f.plugin, "summary": f.summary}
                      for f in sorted(registry.functions.values(), key=lambda f: f.name)],
        "problems": registry.problems,
    }
    if fmt == "json":
        click.echo(json.dumps(catalogue, indent=2))
        return
    click.echo("Plugins:")
    for plugin in catalogue["plugins"]:
        version = f" {plugin['version']}" if plugin["version"] else ""
        click.echo(f"  {plugin['name']}{version} ({plugin['source']})")
    click.echo("\nMetrics:")
    for metric in catalogue["metrics"]:
        click.echo(f"  {metric['name']}: {metric['summary']}  [{metric['plugin']}]")
        spec = metric["parameters"]
        required = set(spec.get("required", []))
        for name, prop in spec.get("properties", {}).items():
            details = [prop.get("type", "any")]
            if name in metric["inputs"]:
                details.append(f"{metric['inputs'][name]} field"
                               if metric["inputs"][name] != "expression" else "expression")
            if name in required:
                details.append("required")
            if "default" in prop:
                details.append(f"default {prop['default']!r}")
            click.echo(f"      {name} ({', '.join(details)}): {prop.get('description', '')}")
    click.echo("\nFunctions in expressions:")
    for function in catalogue["functions"]:
        click.echo(f"  {function['name']}: {function['summary']}  [{function['plugin']}]")


# ------------------------------------------------------------------ the metric reference

REGENERATE = "HEALTHCORE_DISABLE_PLUGINS=1 healthcore plugins --format markdown > docs/metrics.md"
"""The command that writes docs/metrics.md (the built-in metrics and functions only)."""

_INPUT_WORDS = {"expression": "expression"}


def metric_reference(registry, *, entry_points_skipped: bool = False) -> str:
    """Every metric and expression function of ``registry`` as a markdown page: what
    ``healthcore plugins --format markdown`` prints (and docs/metrics.md holds)."""
    import inspect

    plugins = ", ".join(f"`{p.name}` ({p.source}{', ' + p.version if p.version else ''})"
                        for p in registry.plugins)
    metrics = sorted(registry.metrics.values(), key=lambda m: m.name)
    functions = sorted(registry.functions.values(), key=lambda f: f.name)
    out = ["# Metric reference", "",
           "Every metric and expression function of the loaded plugins, with their "
           "parameters. This page is generated by `healthcore plugins --format markdown`; "
           "do not edit it by hand.", "",
           f"Plugins: {plugins}."]
    if entry_points_skipped:
        out[-1] += " Installed plugins (entry points) were not loaded " \
                   "(`HEALTHCORE_DISABLE_PLUGINS` is set)."
    out += ["", "## Metrics", "", "| metric | summary | plugin |", "|---|---|---|"]
    out += [f"| [`{m.name}`](#{m.name}) | {_cell(m.summary)} | `{m.plugin}` |" for m in metrics]
    for metric in metrics:
        how = ("per account (the engine calls it once per account: slower)" if
               metric.per_account else "vectorized (over all accounts at once)")
        out += ["", f"### {metric.name}", "", f"{metric.summary}", "",
                f"Plugin: `{metric.plugin}`. Computed: {how}."]
        description = inspect.cleandoc(metric.description or "")
        if description:
            out += ["", "```text", description, "```"]
        spec = metric.parameters
        properties = spec.get("properties", {}) if isinstance(spec, dict) else {}
        if not properties:
            out += ["", "No parameters."]
            continue
        required = set(spec.get("required", []))
        out += ["", "| parameter | type | required | default | input | description |",
                "|---|---|---|---|---|---|"]
        for name, prop in properties.items():
            prop = prop if isinstance(prop, dict) else {}
            kind = metric.inputs.get(name)
            input_word = "" if kind is None else _INPUT_WORDS.get(kind, f"{kind} field")
            default = f"`{_json(prop['default'])}`" if "default" in prop else ""
            out.append(f"| `{name}` | {_cell(_schema_type(prop))} | "
                       f"{'yes' if name in required else 'no'} | {_cell(default)} | "
                       f"{input_word} | {_cell(prop.get('description', ''))} |")
    out += ["", "## Functions in expressions", "",
            "| function | arguments | returns | summary | plugin |", "|---|---|---|---|---|"]
    for function in functions:
        out.append(f"| `{function.name}` | {_cell(_arguments(function))} | {function.returns} "
                   f"| {_cell(function.summary)} | `{function.plugin}` |")
    return "\n".join(out) + "\n"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _cell(text: str) -> str:
    """Text that fits in one cell of a markdown table."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _schema_type(prop: dict[str, Any]) -> str:
    """A JSON Schema property in words: ``number (>= 0)``, ``array of number``, ``one of ...``."""
    if "enum" in prop:
        return "one of " + ", ".join(f"`{_json(v)}`" for v in prop["enum"])
    if "const" in prop:
        return f"`{_json(prop['const'])}`"
    for combinator in ("anyOf", "oneOf"):
        if isinstance(prop.get(combinator), list):
            return " or ".join(_schema_type(p) for p in prop[combinator] if isinstance(p, dict))
    kind = prop.get("type", "any")
    text = " or ".join(kind) if isinstance(kind, list) else str(kind)
    if "minItems" in prop or "maxItems" in prop:
        low, high = prop.get("minItems"), prop.get("maxItems")
        text += (f" ({low} to {high} items)" if low is not None and high is not None else
                 f" (at least {low} items)" if low is not None else f" (at most {high} items)")
    if kind == "array" and isinstance(prop.get("items"), dict):
        text += f" of {_schema_type(prop['items'])}"
    if kind == "object" and isinstance(prop.get("additionalProperties"), dict):
        text += f" of {_schema_type(prop['additionalProperties'])}"
    bounds = [f"{word} {_json(prop[key])}" for key, word in
              (("minimum", ">="), ("exclusiveMinimum", ">"), ("maximum", "<="),
               ("exclusiveMaximum", "<")) if key in prop]
    return f"{text} ({', '.join(bounds)})" if bounds else text


def _arguments(function) -> str:
    low, high = function.min_args, function.max_args
    count = (str(low) if high == low else f"{low} or more" if high is None else
             f"{low} to {high}")
    text = f"{count} ({function.arg_kind})"
    if function.literal_from is not None:
        text += (f"; from argument {function.literal_from + 1} on, numbers written in the "
                 "expression")
    return text


def _add_commands() -> None:
    """Every module of :mod:`healthcore.cli.commands` (but ``common``) defines one ``command``."""
    from healthcore.cli import commands

    for module in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if module.name != "common":
            main.add_command(importlib.import_module(f"{commands.__name__}.{module.name}").command)


_add_commands()

if __name__ == "__main__":
    main()
