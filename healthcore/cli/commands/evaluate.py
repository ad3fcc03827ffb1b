"""``healthcore evaluate``: score accounts, write the results, record the run (a thin layer
over :func:`healthcore.jobs.evaluate`)."""

from __future__ import annotations

import sys
from typing import Any

import click

from healthcore.cli.commands.common import (EXIT_CODES_HELP, EXIT_UNSCORED, AliasedChoice, fail,
                                            input_options, plugin_option, registry_or_fail,
                                            ruleset_or_fail, say_error, warn)
from healthcore.cli.progress import Phases
from healthcore.errors import HealthcoreError, MetricError
from healthcore.jobs.evaluate import OUTPUT_FORMATS, Accounts, Outputs, evaluate

WRITTEN = "healthcore.written"
"""The key, in the command context's ``meta``, of the :class:`~healthcore.jobs.Written` of a
finished run, so that an interruption while it is shown can say what was kept."""


@click.command(name="evaluate", epilog=EXIT_CODES_HELP)
@click.argument("ruleset", type=click.Path(dir_okay=False))
@click.argument("accounts", required=False, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("-f", "--format", "fmt",
              type=AliasedChoice(("text", *OUTPUT_FORMATS), {"table": "text"}),
              help="Output format: text for people (a table), or a file format. Default: from "
                   "the -o extension, else text (none with --to-db).")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write the results to this file (atomically) instead of standard output.")
@input_options
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
@click.option("--columns", metavar="LIST",
              help="Write only these output columns, in this order, comma-separated (such as "
                   "account_id,score,tier); only they are computed. An indicator's columns "
                   "are ID.value, ID.points, ID.weight and ID.contribution (or "
                   "indicators.ID.points...), ID or 'indicators' for several at once. Default: "
                   "all. For the file formats and --to-db.")
@click.option("--limit", default=100, show_default=True,
              help="Rows shown by the text format, worst first (0: all).")
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
def command(ruleset: str, accounts: str | None, fmt: str | None, output: str | None,
            input_format: str | None, delimiter: str | None, encoding: str | None,
            db: str | None, query: str | None, table: str | None, to_db: str | None,
            to_table: str | None, history: str | None, as_of: str | None,
            allow_future: bool, columns: str | None, limit: int, csv_raw: bool, quiet: bool,
            strict: bool, plugins: tuple[str, ...]) -> None:
    """Score ACCOUNTS (CSV, TSV, JSON, JSONL or Parquet; '-' for standard input), or the rows
    of a database (--db), with RULESET.

    \b
    Examples:
      healthcore evaluate rulesets/saas-b2b.yaml rulesets/saas-b2b.accounts.csv
      healthcore evaluate rulesets/saas-b2b.yaml accounts.parquet -o scores.parquet
      healthcore evaluate rulesets/saas-b2b.yaml accounts.parquet \\
          --columns account_id,score,tier -o scores.csv
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
            as_of_date(as_of)
        except HealthcoreError as exc:
            fail(f"--as-of: {exc}")
    if (to_db is None) != (to_table is None):
        fail("--to-db URL and --to-table NAME go together: give both to write the results into "
             "a database table")
    if fmt is not None or output is not None or to_db is None:
        fmt = fmt or _output_format(output)  # else the database is the only output
    if csv_raw and fmt != "csv":
        fail("--csv-raw is for the CSV output: give -f csv or -o FILE.csv too")
    if output and fmt == "text":
        fail("the text format is for the terminal; write files with -f json, jsonl, csv "
             "or parquet")
    if columns is not None and fmt == "text":
        fail("--columns chooses the columns of a file format or of --to-db; the text table "
             "has its own (give -f json, jsonl, csv or parquet)")
    try:
        source = Accounts(accounts, input_format, delimiter, encoding, db, query, table)
        outputs = Outputs(file=output, format=fmt if output else None,
                          csv_raw=csv_raw and bool(output), database=to_db, table=to_table,
                          columns=None if columns is None else tuple(columns.split(",")))
    except HealthcoreError as exc:
        fail(str(exc))
    say = (lambda message: None) if quiet else warn
    registry = registry_or_fail(plugins, say)
    compiled = ruleset_or_fail(ruleset, registry)
    with Phases(enabled=not quiet) as phases:
        try:
            run = evaluate(compiled, source, outputs=outputs, history=history, as_of=as_of,
                           allow_future=allow_future, registry=registry, strict=strict,
                           progress=phases)
        except MetricError as exc:  # --strict: a plugin's fault stops the run, nothing written
            phases.close()
            say_error(f"error: {exc}")
            sys.exit(EXIT_UNSCORED)
        except HealthcoreError as exc:
            phases.close()
            fail(str(exc))
    click.get_current_context().meta[WRITTEN] = run.written
    results = run.results
    for warning in run.warnings:
        say(warning)
    if run.alerts:
        say(_alerts_line(run.alerts, run.written.history))
    if fmt == "text":
        from rich.console import Console

        from healthcore.cli.render.results import render_results

        render_results(results, Console(), limit)
    elif fmt is not None and not output:
        from healthcore.io.writers import write_stdout

        write_stdout(results, fmt, csv_raw=csv_raw, columns=run.columns)
    if results.unscorable:
        say(f"{results.unscorable} of {len(results)} accounts could not be scored "
            "(status: error)")
        sys.exit(EXIT_UNSCORED)


def _alerts_line(alerts: list[dict[str, Any]], history: str | None) -> str:
    """One line saying which alerts the run raised."""
    counts: dict[str, int] = {}
    for alert in alerts:
        counts[alert["alert"]] = counts.get(alert["alert"], 0) + 1
    listed = ", ".join(f"{name} x{count}" for name, count in sorted(counts.items()))
    return (f"{len(alerts)} alert{'s' if len(alerts) != 1 else ''} raised ({listed}): "
            f"healthcore alerts --history {history or 'DB'} lists them")


def _output_format(output: str | None) -> str:
    """The format of the results: that of the ``-o`` file's extension, else text."""
    if not output:
        return "text"
    from healthcore.io.readers import format_of

    found = format_of(output)
    if found in OUTPUT_FORMATS:
        return found
    fail(f"cannot tell the output format from '{output}': give -f json, jsonl, csv or parquet")


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
