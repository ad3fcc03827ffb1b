"""Score a batch of accounts, write the results where asked and record the run in a history:
what ``healthcore evaluate`` does, as one function.

    >>> run = evaluate(ruleset, Accounts("accounts.csv"), outputs=Outputs(file="scores.csv"),
    ...                history="history.db")
    >>> run.results.tier_counts(), run.written.outputs, run.warnings
"""

from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import polars as pl

from healthcore.engine import score
from healthcore.engine.inputs import is_out_of_memory, out_of_memory, too_large
from healthcore.engine.outputs import choose_columns, output_columns
from healthcore.engine.results import listed
from healthcore.errors import HealthcoreError, InputError

if TYPE_CHECKING:
    from healthcore.engine.results import Results
    from healthcore.plugin.registry import Registry
    from healthcore.ruleset.model import Ruleset

OUTPUT_FORMATS = ("json", "jsonl", "csv", "parquet")
"""The formats a file of results can be written in."""


@dataclass(frozen=True)
class Accounts:
    """Where the accounts are read from: a ``file`` (``-``: standard input) in ``format``
    (default: from its extension), with the ``delimiter`` and ``encoding`` of text files; or
    the rows of a ``database`` URL, those of a ``query`` or of a ``table``."""

    file: str | None = None
    format: str | None = None
    delimiter: str | None = None
    encoding: str | None = None
    database: str | None = None
    query: str | None = None
    table: str | None = None

    def __post_init__(self) -> None:
        if self.database is None:
            if self.query is not None or self.table is not None:
                raise InputError("query and table read from a database: give database too")
            if self.file is None:
                raise InputError("give the accounts: a file, or a database with a query or a "
                                 "table")
            return
        if self.file is not None:
            raise InputError(f"give either a file ('{self.file}') or a database, not both")
        if (self.query is None) == (self.table is None):
            raise InputError("with a database, give either a query or a table (one of them)")
        for name in ("format", "delimiter", "encoding"):
            if getattr(self, name) is not None:
                raise InputError(f"{name} is for a file of accounts, not for a database")

    @property
    def name(self) -> str:
        """The accounts as messages name them."""
        return self.file if self.file is not None else "the query's rows"

    def size(self) -> int | None:
        """The size in bytes of the file of accounts, or None (standard input, a database)."""
        if self.file in (None, "-"):
            return None
        try:
            return os.path.getsize(self.file)
        except OSError:
            return None

    def read(self, columns: set[str]) -> pl.DataFrame:
        """The accounts, only ``columns`` of them where the format allows. A file that cannot
        fit in memory is refused before it is read: a failed allocation inside polars aborts
        the process, which no handler can catch."""
        if self.database is not None:
            from healthcore.io.database import read_database

            return read_database(self.database, query=self.query, table=self.table,
                                 columns=columns)
        from healthcore.io.readers import read_accounts

        size = self.size()
        reason = too_large(size, self.file) if size is not None else None
        if reason:
            raise InputError(reason)
        return read_accounts(self.file, self.format, delimiter=self.delimiter,
                             encoding=self.encoding, columns=columns)


@dataclass(frozen=True)
class Outputs:
    """Where the results are written: a ``file`` in ``format`` (default: from its extension;
    ``csv_raw``: CSV cells that a spreadsheet would run as formulas written as they are), and
    the ``table`` of a ``database`` (created or replaced). Either, both or neither.
    ``columns`` chooses the output columns, in their order (default: all of them; names as
    :func:`healthcore.engine.outputs.choose_columns` takes them): only those are computed."""

    file: str | None = None
    format: str | None = None
    csv_raw: bool = False
    database: str | None = None
    table: str | None = None
    columns: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if (self.database is None) != (self.table is None):
            raise InputError("database and table go together: give both to write the results "
                             "into a database table")
        if self.format is not None and self.format not in OUTPUT_FORMATS:
            raise InputError(f"unknown output format '{self.format}': use one of "
                             f"{', '.join(OUTPUT_FORMATS)}")
        if self.file is not None and self.file_format is None:
            raise InputError(f"cannot tell the output format from '{self.file}': give the "
                             f"format ({', '.join(OUTPUT_FORMATS)})")
        if self.csv_raw and self.file_format != "csv":
            raise InputError("csv_raw is for a CSV file: give a file in the csv format too")

    @property
    def file_format(self) -> str | None:
        """The format of the file: the one given, else the one its extension tells."""
        if self.format is not None or self.file is None:
            return self.format
        from healthcore.io.readers import format_of

        found = format_of(self.file)
        return found if found in OUTPUT_FORMATS else None


class Progress(Protocol):
    """What follows a run's steps: ``phase`` names the step entered (``reading``, ``scoring``
    or ``writing``) with a description, ``detail`` describes the current one anew."""

    def phase(self, name: str, text: str | None = None) -> None: ...

    def detail(self, text: str) -> None: ...


class _Silent:
    def phase(self, name: str, text: str | None = None) -> None:
        pass

    def detail(self, text: str) -> None:
        pass


@dataclass
class Written:
    """What a run has finished writing so far."""

    outputs: list[str] = field(default_factory=list)
    """The files and tables already replaced with the new results."""
    history: str | None = None
    """The history the run is recorded in (shown without its password), if any."""
    recorded: bool = False
    """Whether the run is recorded in the history (its alerts may wait in its outbox)."""


class Interrupted(KeyboardInterrupt):
    """A run stopped with Ctrl-C; :attr:`written` says what it had finished writing."""

    def __init__(self, written: Written):
        super().__init__()
        self.written = written


@dataclass
class EvaluateRun:
    """What :func:`evaluate` did: the results, what was written and recorded, the warnings."""

    results: "Results"
    written: Written
    warnings: list[str]
    """The results' warnings, and those about the accounts (an id on several rows)."""
    columns: list[str] | None = None
    """The flat output columns chosen (``Outputs.columns``), or None for all."""

    @property
    def alerts(self) -> list[dict[str, Any]]:
        """The alerts the run raised (recorded in a history only)."""
        return self.results.alerts


def evaluate(ruleset: "Ruleset", accounts: Accounts | pl.DataFrame, *,
             outputs: Outputs = Outputs(), history: str | None = None,
             as_of: str | _dt.date | None = None, allow_future: bool = False,
             registry: "Registry | None" = None, strict: bool = False,
             progress: Progress | None = None) -> EvaluateRun:
    """Score ``accounts`` (explained) with ``ruleset``, write the results to ``outputs``, and
    with ``history`` record the run of ``as_of`` (default: today) and deliver its alerts to
    the plugins of ``registry`` (see :func:`healthcore.history.evaluate`).

    Everything that can be checked before reading is checked first (the output file can be
    written, the table and its columns can be named in the database), so that a bad output
    costs no scoring. The outputs are written before the run is recorded: an output that fails
    leaves the history as it was and raises no alert.

    Raises :class:`~healthcore.errors.InputError` (bad parameters, unreadable accounts, memory
    that runs out), :class:`~healthcore.errors.OutputError` (an output that cannot be written),
    :class:`~healthcore.errors.MetricError` with ``strict`` (a plugin's fault stops the run,
    nothing is written) and :class:`Interrupted` on Ctrl-C, saying what was written.
    """
    if history is None and as_of is not None:
        raise InputError("as_of dates a run recorded in a history: give history too")
    if history is None and allow_future:
        raise InputError("allow_future is for a run recorded in a history: give history too")
    day = None
    if history is not None:
        from healthcore.history import as_of_date

        day = as_of_date(as_of)
    columns = _check_outputs(ruleset, outputs, history is not None)
    progress = progress or _Silent()
    written = Written(history=None if history is None else _shown(history))
    frame: pl.DataFrame | None = None
    try:
        progress.phase("reading", "reading the accounts")
        frame = (accounts if isinstance(accounts, pl.DataFrame) else
                 accounts.read({ruleset.account_id, *ruleset.fields()}))
        progress.phase("scoring", f"scoring {frame.height:,} accounts")

        def write(results: "Results") -> None:
            _write(results, outputs, columns, progress, written)

        if history is not None:
            from healthcore.history import evaluate as evaluate_with_history

            def recorded(results: "Results") -> None:
                written.recorded = True
                progress.detail("delivering the alerts")

            progress.detail("scoring and recording the run in the history")
            results = evaluate_with_history(ruleset, frame, history, day, explain=True,
                                            registry=registry, strict=strict,
                                            before_recording=write, after_recording=recorded,
                                            allow_future=allow_future)
        else:
            # computed as it is written (one output), or held for two
            results = score(ruleset, frame, strict=strict,
                            **({"explain": True} if outputs.file and outputs.table
                               else {"lazy": True}))
            write(results)
    except KeyboardInterrupt:
        raise Interrupted(written) from None
    except HealthcoreError:
        raise
    except BaseException as exc:  # polars' panics are not Exceptions
        if not is_out_of_memory(exc):
            raise
        size = accounts.size() if isinstance(accounts, Accounts) else None
        name = accounts.name if isinstance(accounts, Accounts) else "the accounts"
        raise InputError(out_of_memory(None if frame is None else frame.height,
                                       None if frame is None else frame.width,
                                       size, name)) from None
    return EvaluateRun(results, written, [*results.warnings, *_repeated(results, history)],
                       columns)


def _check_outputs(ruleset: "Ruleset", outputs: Outputs, history: bool) -> list[str] | None:
    """Refuse, before anything is read, outputs that cannot be written; return the chosen
    flat columns (None: all)."""
    columns = None if outputs.columns is None else choose_columns(ruleset, outputs.columns,
                                                                   history=history)
    if outputs.file is not None:
        from healthcore.io.writers import check_writable

        check_writable(outputs.file)
    if outputs.table is not None:
        from healthcore.io.database import check_not_history_table
        from healthcore.io.database import check_names

        check_not_history_table(outputs.table)
        check_names(outputs.database, outputs.table,
                    columns or output_columns(ruleset, history=history))
    return columns


def _write(results: "Results", outputs: Outputs, columns: list[str] | None,
           progress: Progress, written: Written) -> None:
    """Write the ``columns`` of ``results`` (None: all) into the table and the file of
    ``outputs``, those that are given, noting each in ``written``."""
    progress.phase("writing", "writing")
    if outputs.database is not None:
        from healthcore.io.database import safe_url, write_table

        results.count()  # a failed metric is found before the table is written
        total = len(results)
        write_table(results, outputs.database, outputs.table, columns=columns,
                    on_rows=lambda done: progress.detail(f"writing {done:,} of {total:,} rows"))
        written.outputs.append(f"table {outputs.table} of {safe_url(outputs.database)}")
    if outputs.file is not None:
        from healthcore.io.writers import write_file

        write_file(results, outputs.file_format, outputs.file, csv_raw=outputs.csv_raw,
                   columns=columns)
        written.outputs.append(outputs.file)


def _repeated(results: "Results", history: str | None) -> list[str]:
    """The warning about account ids on several rows (a history refuses them instead)."""
    repeated = results.repeated_ids() if history is None else []
    if not repeated:
        return []
    return [f"{len(repeated)} account id{'s appear' if len(repeated) > 1 else ' appears'} on "
            f"more than one row ({listed(repeated)}): each row is scored on its own; check the "
            "export"]


def _shown(history: str) -> str:
    """The history as messages show it: a database URL without its password."""
    from healthcore.io.database import safe_url

    return safe_url(history)
