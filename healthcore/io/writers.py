"""Writing results as JSON, JSONL, CSV or Parquet; files are replaced atomically."""

from __future__ import annotations

import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator

import polars as pl

from ..results import Results

FORMATS = ("json", "jsonl", "csv", "parquet")


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A path to write in full; it replaces ``path`` only once the block ends without error,
    so ``path`` holds the old content or the new one, never a part."""
    target = Path(path)
    descriptor, name = tempfile.mkstemp(dir=target.parent or ".", prefix=f".{target.name}.",
                                        suffix=".part")
    os.close(descriptor)
    aside = Path(name)
    try:
        yield aside
        with open(aside, "rb") as written:
            os.fsync(written.fileno())
        os.chmod(aside, _mode_for(target))
        os.replace(aside, target)
    except BaseException:
        aside.unlink(missing_ok=True)
        raise


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
