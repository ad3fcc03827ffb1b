"""Writing results as JSON, JSONL, CSV or Parquet; files are replaced atomically."""

from __future__ import annotations

import glob
import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator

import polars as pl

try:
    import fcntl
except ImportError:  # Windows: without locks, abandoned temporary files are left alone
    fcntl = None  # type: ignore[assignment]

from ..results import Results

FORMATS = ("json", "jsonl", "csv", "parquet")


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A path to write in full; it replaces ``path`` only once the block ends without error,
    so ``path`` holds the old content or the new one, never a part.

    The temporary file is hidden next to ``path`` (``.NAME.*.part``) and locked while it is
    written. A run killed outright (SIGKILL, power loss) cannot remove its own; the next
    write to the same ``path`` removes every such file whose lock no live run holds.
    """
    target = Path(path)
    directory = target.parent or Path(".")
    prefix = f".{target.name}."
    remove_abandoned(directory, prefix)
    descriptor, name = tempfile.mkstemp(dir=directory, prefix=prefix, suffix=".part")
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


def flat_for_csv(results: Results) -> pl.LazyFrame:
    """The flat results with list columns joined by '; ' (CSV has no lists)."""
    return results.frame.lazy().with_columns(
        pl.col(name).list.join("; ") for name in ("actions", "reasons", "errors"))


def _sink(frame: pl.LazyFrame, fmt: str, path: Path) -> None:
    {"jsonl": frame.sink_ndjson, "parquet": frame.sink_parquet, "csv": frame.sink_csv}[fmt](path)


def write(results: Results, fmt: str, destination: BinaryIO | Path) -> None:
    """Write ``results`` in ``fmt`` to an open binary file or a path."""
    if isinstance(destination, Path) and fmt in ("jsonl", "parquet"):
        _sink(results.nested_lazy(), fmt, destination)  # streamed, not built then written
    elif isinstance(destination, Path) and fmt == "csv":
        _sink(flat_for_csv(results), fmt, destination)
    elif fmt == "json":
        results.nested().write_json(destination)
    elif fmt == "jsonl":
        results.nested().write_ndjson(destination)
    elif fmt == "csv":
        flat_for_csv(results).collect().write_csv(destination)
    elif fmt == "parquet":
        results.nested().write_parquet(destination)
    else:
        raise ValueError(f"unknown output format '{fmt}'")


def write_file(results: Results, fmt: str, path: str | Path) -> None:
    """Write ``results`` to ``path`` atomically."""
    with atomic_path(path) as aside:
        write(results, fmt, aside)


def write_stdout(results: Results, fmt: str) -> None:
    """Write ``results`` to standard output."""
    write(results, fmt, sys.stdout.buffer)
    if fmt in ("json",):
        sys.stdout.buffer.write(b"\n")
    sys.stdout.buffer.flush()
