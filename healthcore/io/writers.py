"""Writing results as JSON, JSONL, CSV or Parquet; files are replaced atomically (FIFOs and
devices are written in place)."""

from __future__ import annotations

import glob
import io
import os
import stat
import sys
import tempfile
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, BinaryIO, Iterator, Sequence

import polars as pl

try:
    import fcntl
except ImportError:  # Windows: without locks, abandoned temporary files are left alone
    fcntl = None  # type: ignore[assignment]

from healthcore.errors import OutputError
from healthcore.engine.outputs import EXPLANATION
from healthcore.engine.results import Results

FORMATS = ("json", "jsonl", "csv", "parquet")


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A path to write in full; it replaces ``path`` only once the block ends without error,
    so ``path`` holds the old content or the new one, never a part.

    The temporary file is hidden next to ``path`` (``.NAME.*.part``) and locked while it is
    written. A run killed outright (SIGKILL, power loss) cannot remove its own; the next
    write to the same ``path`` removes every such file whose lock no live run holds.

    A symbolic link stays: the file it points to is replaced. A FIFO or a character device
    (``/dev/null``, ``/dev/stdout``) is written in place, as nothing can take its place.
    Raises :class:`~healthcore.errors.OutputError`, naming ``path`` and the reason, when it
    cannot be written (its directory does not exist, the disk is full...).
    """
    given = Path(path)
    try:
        target, in_place = _destination(given)
        if in_place:
            yield target
        else:
            with _replacing(target) as aside:
                yield aside
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {_reason(exc, _followed(given).parent)}"
                          ) from None


def check_writable(path: str | Path) -> None:
    """Raise :class:`~healthcore.errors.OutputError` now if ``path`` clearly cannot be written
    (its directory does not exist, it is a directory), before any work is done for it."""
    given = Path(path)
    target, in_place = _destination(given)
    directory = target.parent
    if not in_place and not directory.is_dir():
        reason = (f"{directory} is not a directory" if directory.exists() else
                  f"the directory {directory} does not exist")
        raise OutputError(f"cannot write {path}: {reason}")


def _destination(path: Path) -> tuple[Path, bool]:
    """The file that writing ``path`` replaces (a link's target), and whether ``path`` is
    written in place instead."""
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        return _followed(path), False  # a new file, or the missing target of a link
    if stat.S_ISFIFO(mode) or stat.S_ISCHR(mode):
        return path, True
    if not stat.S_ISREG(mode):
        kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
        raise OutputError(f"cannot write {path}: it is {kind}; give a file path")
    target = _followed(path)
    try:
        same = os.path.samefile(target, path)
    except FileNotFoundError:
        same = False
    # /dev/stdout redirected to a deleted file: the link names no file that can be replaced
    return (target, False) if same else (path, True)


def _followed(path: Path) -> Path:
    """``path``, or the file it names if it is a symbolic link."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _reason(exc: OSError, directory: Path) -> str:
    """Why a file in ``directory`` could not be written, in words."""
    if isinstance(exc, FileNotFoundError) and not directory.exists():
        return f"the directory {directory} does not exist"
    return exc.strerror or str(exc)


@contextmanager
def _replacing(target: Path) -> Iterator[Path]:
    """The locked temporary file beside ``target`` that replaces it once the block ends
    without error (see :func:`atomic_path`)."""
    prefix = f".{target.name}."
    remove_abandoned(target.parent, prefix)
    descriptor, name = tempfile.mkstemp(dir=target.parent, prefix=prefix, suffix=".part")
    aside = Path(name)
    try:
        _lock(descriptor)
        yield aside
        os.fsync(descriptor)
        os.chmod(aside, _mode_for(target))
        os.replace(aside, target)
    except BaseException:
        aside.unlink(missing_ok=True)
        raise
    finally:
        os.close(descriptor)


def remove_abandoned(directory: Path, prefix: str) -> list[Path]:
    """Remove the temporary files ``PREFIX*.part`` in ``directory`` that no live run is
    writing (their lock can be taken); return them."""
    removed: list[Path] = []
    if fcntl is None:
        return removed
    for candidate in directory.glob(f"{glob.escape(prefix)}*.part"):
        try:
            descriptor = os.open(candidate, os.O_RDONLY)
        except OSError:
            continue  # removed meanwhile, or not ours to read
        try:
            _lock(descriptor)
        except BlockingIOError:
            continue  # a live run is writing it
        else:
            candidate.unlink(missing_ok=True)
            removed.append(candidate)
        finally:
            os.close(descriptor)
    return removed


def _lock(descriptor: int) -> None:
    """Take an exclusive lock on an open file without waiting; released when the process
    ends, however it ends."""
    if fcntl is not None:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _mode_for(target: Path) -> int:
    """The replaced file's permissions, or those the umask gives a new file."""
    try:
        return target.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


STREAM_ROWS = 20_000
"""Rows per batch while results stream to a file: small batches keep memory low (polars'
default morsels hold five times as many rows) at no cost in speed."""
PARQUET_ROW_GROUP = 50_000
"""Rows per row group of a Parquet file, whatever the batches: a row group is held in memory
until it is written, and twice as many rows hold 60 to 100 MB more at 1,000,000 accounts."""


def flat_for_csv(results: Results, columns: Sequence[str] | None = None) -> pl.LazyFrame:
    """The flat ``columns`` of the results (default: all) with the list columns joined by
    '; ' (CSV has no lists)."""
    frame = results.lazy(columns)
    lists = [name for name in ("actions", "reasons", "errors") if name in frame.collect_schema()]
    return frame.with_columns(pl.col(name).list.join("; ") for name in lists)


_FORMULA = r"^[=+\-@\t\r]"
"""A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula
to a spreadsheet."""
_PLAIN_NUMBER = r"^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$"


def neutralised(frame: pl.LazyFrame) -> pl.LazyFrame:
    """``frame`` with every text cell that a spreadsheet would run as a formula (it starts
    with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) prefixed with ``'``, as
    OWASP advises against CSV injection. Numeric columns, and text that is a plain number
    (``-5``), are left as they are."""
    text = [name for name, dtype in frame.collect_schema().items() if dtype == pl.String]
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(_FORMULA)
                & ~pl.col(name).str.contains(_PLAIN_NUMBER))
        .then(pl.lit("'") + pl.col(name)).otherwise(pl.col(name)).alias(name)
        for name in text)


def _csv_frame(results: Results, columns: Sequence[str] | None, csv_raw: bool) -> pl.LazyFrame:
    """The frame written as CSV: flat, its formulas neutralised unless ``csv_raw``."""
    flat = flat_for_csv(results, columns)
    return flat if csv_raw else neutralised(flat)


class _Checked(io.RawIOBase):
    """A binary file that passes every write on to ``file`` and keeps the first that failed:
    polars' ``write_json`` ignores a failed last write (a full disk), this does not."""

    def __init__(self, file: BinaryIO):
        super().__init__()
        self.file = file
        self.error: OSError | None = None

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        try:
            return self.file.write(data)
        except OSError as exc:
            self.error = self.error or exc
            raise


def _write_json(frame: pl.LazyFrame, destination: BinaryIO | Path) -> None:
    """Write ``frame`` as one JSON array, a batch of rows at a time (never all of it in
    memory as objects and text at once), raising the error of any write that failed."""
    with open(destination, "wb") if isinstance(destination, Path) else nullcontext(
            destination) as file:
        checked = _Checked(file)
        checked.write(b"[")
        first = True
        for batch in frame.collect_batches(chunk_size=STREAM_ROWS):
            if batch.height == 0:
                continue
            if not first:
                checked.write(b",")
            checked.write(batch.write_json().encode()[1:-1])
            first = False
        checked.write(b"]")
        if checked.error is not None:
            raise checked.error


def write(results: Results, fmt: str, destination: BinaryIO | Path, *,
          csv_raw: bool = False, columns: Sequence[str] | None = None) -> None:
    """Write the flat ``columns`` of ``results`` (default: all; see
    :func:`healthcore.engine.outputs.choose_columns`) in ``fmt`` to an open binary file or a
    path, streaming them: only a batch of rows is held at a time, and only the chosen columns
    are computed. In CSV, a text cell that a spreadsheet would run as a formula is prefixed
    with ``'`` (see :func:`neutralised`) unless ``csv_raw`` is true."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown output format '{fmt}'")

    def frame() -> pl.LazyFrame:
        return _csv_frame(results, columns, csv_raw) if fmt == "csv" else \
            results.nested_lazy(columns)

    explained = bool(set(EXPLANATION) & set(results.columns() if columns is None else columns))
    with pl.Config(streaming_chunk_size=STREAM_ROWS):
        # counted in the writer's pass, unless a failed write cannot start again (a stream),
        # or the batches are large (the explanation's texts: two plans at once hold more)
        if fmt == "json" or not isinstance(destination, Path) or explained:
            results.count()  # a failed metric is found before anything is written
            if fmt == "json":
                _write_json(frame(), destination)
            else:
                _sink(frame(), fmt, destination)
        else:
            results.stream(lambda: _sink(frame(), fmt, destination, lazy=True))


def _sink(frame: pl.LazyFrame, fmt: str, destination: BinaryIO | Path, lazy: bool = False
          ) -> pl.LazyFrame | None:
    """Stream ``frame`` into ``destination`` in ``fmt`` (with ``lazy``, the plan that does)."""
    if fmt == "parquet":
        return frame.sink_parquet(destination, row_group_size=PARQUET_ROW_GROUP, lazy=lazy)
    return {"jsonl": frame.sink_ndjson, "csv": frame.sink_csv}[fmt](destination, lazy=lazy)


def write_file(results: Results, fmt: str, path: str | Path, *, csv_raw: bool = False,
               columns: Sequence[str] | None = None) -> None:
    """Write ``results`` to ``path`` atomically (``csv_raw``, ``columns``: as :func:`write`)."""
    with atomic_path(path) as aside:
        write(results, fmt, aside, csv_raw=csv_raw, columns=columns)


def write_stdout(results: Results, fmt: str, *, csv_raw: bool = False,
                 columns: Sequence[str] | None = None) -> None:
    """Write ``results`` to standard output (``csv_raw``, ``columns``: as :func:`write`)."""
    write(results, fmt, sys.stdout.buffer, csv_raw=csv_raw, columns=columns)
    if fmt in ("json",):
        sys.stdout.buffer.write(b"\n")
    sys.stdout.buffer.flush()
