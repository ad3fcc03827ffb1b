"""Reading account tables: CSV, TSV, JSON (array of objects), JSONL and Parquet.

CSV and TSV cells are read as text, so account ids keep their leading zeros and a bad value in a
number column is reported on its account instead of failing the file. JSON values keep their JSON
types; a field mixing types is read as text and checked the same way.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any, BinaryIO

import polars as pl

from ..errors import InputError
from ..expressions import value_kind

FORMATS = ("csv", "tsv", "json", "jsonl", "parquet")
_EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".json": "json", ".jsonl": "jsonl",
               ".ndjson": "jsonl", ".parquet": "parquet", ".pq": "parquet"}


def format_of(path: str) -> str | None:
    """The accounts format named by a file's extension, or None."""
    return _EXTENSIONS.get(Path(path).suffix.lower())


def read_accounts(path: str, fmt: str | None = None) -> pl.DataFrame:
    """Read the accounts at ``path`` (``-`` for standard input) into a DataFrame.

    ``fmt`` overrides the format given by the extension. Raises :class:`InputError` with the
    file (and line, where known) when the file cannot be read.
    """
    if path == "-":
        data = sys.stdin.buffer.read()
        return read_bytes(data, fmt or _sniff(data), "<stdin>")
    fmt = fmt or format_of(path)
    if fmt is None:
        raise InputError(f"{path}: cannot tell the format from the extension; use one of "
                         f"{', '.join(sorted(_EXTENSIONS))} or give --input-format")
    try:
        with open(path, "rb") as handle:
            return _read(handle, fmt, path)
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file: {exc.strerror or exc}") from None


def read_bytes(data: bytes, fmt: str, name: str = "<data>") -> pl.DataFrame:
    """Read accounts from bytes already in memory."""
    return _read(io.BytesIO(data), fmt, name)


def _sniff(data: bytes) -> str:
    if data.startswith(b"PAR1"):
        return "parquet"
    head = data.lstrip()[:1]
    return {b"[": "json", b"{": "jsonl"}.get(head, "csv")


def _read(handle: BinaryIO, fmt: str, name: str) -> pl.DataFrame:
    if fmt in ("csv", "tsv"):
        return _read_csv(handle, "\t" if fmt == "tsv" else ",", name)
    if fmt == "parquet":
        try:
            return pl.read_parquet(handle)
        except Exception as exc:
            raise InputError(f"{name}: not a readable Parquet file: {exc}") from None
    text = _decode(handle.read(), name)
    if fmt == "json":
        return _from_records(_json_array(text, name), name)
    if fmt == "jsonl":
        return _from_records(_json_lines(text, name), name)
    raise InputError(f"{name}: unknown format '{fmt}' (use one of {', '.join(FORMATS)})")


def _read_csv(handle: BinaryIO, separator: str, name: str) -> pl.DataFrame:
    data = handle.read()
    if not data.strip():
        return pl.DataFrame()
    try:
        return pl.read_csv(data, separator=separator, infer_schema=False,
                           truncate_ragged_lines=False, encoding="utf8")
    except pl.exceptions.ComputeError as exc:
        raise InputError(f"{name}: not a readable CSV file: {str(exc).splitlines()[0]}") from None


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"{name}:{line}: byte 0x{data[exc.start]:02x} is not valid UTF-8; "
                         "save the file as UTF-8") from None


def _json_array(text: str, name: str) -> list[Any]:
    if not text.strip():
        return []
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{name}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    if not isinstance(data, list):
        raise InputError(f"{name}: a JSON accounts file holds an array of objects, "
                         f"not {type(data).__name__}")
    return data


def _json_lines(text: str, name: str) -> list[Any]:
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise InputError(f"{name}:{number}:{exc.colno}: not valid JSON: {exc.msg}") from None
    return rows


def _from_records(rows: list[Any], name: str) -> pl.DataFrame:
    for number, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            raise InputError(f"{name}: account {number} is {type(row).__name__}, not an object")
    keys: dict[str, None] = {}
    for row in rows:
        keys.update(dict.fromkeys(row))
    return pl.DataFrame({key: _column(key, [row.get(key) for row in rows]) for key in keys})


def _column(name: str, values: list[Any]) -> pl.Series:
    kinds = {_kind(v) for v in values if v is not None}
    if kinds <= {"number"}:
        if all(isinstance(v, int) and abs(v) < 2**63 for v in values if v is not None):
            return pl.Series(name, values, pl.Int64)
        return pl.Series(name, [None if v is None else float(v) for v in values], pl.Float64)
    if kinds == {"boolean"}:
        return pl.Series(name, values, pl.Boolean)
    if kinds == {"text"}:
        return pl.Series(name, values, pl.String)
    if kinds == {"list"}:
        try:
            return pl.Series(name, values, strict=False)
        except Exception:
            pass
    return pl.Series(name, [v if v is None or isinstance(v, str) else json.dumps(v)
                            for v in values], pl.String)


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    return value_kind(value) or "other"
