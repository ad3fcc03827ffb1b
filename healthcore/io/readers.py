"""Reading account tables: CSV, TSV, JSON (array of objects), JSONL and Parquet.

CSV and TSV cells are read as text, so account ids keep their leading zeros and a bad value in a
number column is reported on its account instead of failing the file. JSON values keep their JSON
types; a field mixing types is read as text and checked the same way.

Text files are UTF-8 (a byte-order mark is skipped) unless another ``encoding`` is given (such as
``latin-1`` for old spreadsheet exports); CSV may use another ``delimiter`` (``;``, ``|``...).
"""

from __future__ import annotations

import codecs
import csv
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


def read_accounts(path: str, fmt: str | None = None, *, delimiter: str | None = None,
                  encoding: str | None = None) -> pl.DataFrame:
    """Read the accounts at ``path`` (``-`` for standard input) into a DataFrame.

    ``fmt`` overrides the format given by the extension. ``delimiter`` (one character) replaces
    the comma of CSV (the tab of TSV); ``encoding`` (a Python codec name) is the encoding of a
    text file, UTF-8 by default. Raises :class:`InputError` with the file (and line, where
    known) when the file cannot be read.
    """
    delimiter = check_delimiter(delimiter)
    encoding = check_encoding(encoding)
    if path == "-":
        data = sys.stdin.buffer.read()
        return read_bytes(data, fmt or _sniff(data), "<stdin>", delimiter=delimiter,
                          encoding=encoding)
    fmt = fmt or format_of(path)
    if fmt is None:
        raise InputError(f"{path}: cannot tell the format from the extension; use one of "
                         f"{', '.join(sorted(_EXTENSIONS))} or give --input-format")
    try:
        with open(path, "rb") as handle:
            return _read(handle, fmt, path, delimiter, encoding)
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file: {exc.strerror or exc}") from None


def read_bytes(data: bytes, fmt: str, name: str = "<data>", *, delimiter: str | None = None,
               encoding: str | None = None) -> pl.DataFrame:
    """Read accounts from bytes already in memory."""
    return _read(io.BytesIO(data), fmt, name, check_delimiter(delimiter),
                 check_encoding(encoding))


_DELIMITER_NAMES = {"\\t": "\t", "tab": "\t", "TAB": "\t"}


def check_delimiter(delimiter: str | None) -> str | None:
    """``delimiter`` as one character (``\\t`` and ``tab`` name the tab), or an InputError."""
    if delimiter is None:
        return None
    delimiter = _DELIMITER_NAMES.get(delimiter, delimiter)
    if len(delimiter) != 1 or delimiter in "\r\n\"":
        raise InputError(f"the CSV delimiter must be one character other than a quote or a line "
                         f"break (such as ';', '|' or '\\t'), not {delimiter!r}")
    return delimiter


def check_encoding(encoding: str | None) -> str | None:
    """``encoding`` as Python's codec name, or an InputError if Python does not know it."""
    if encoding is None:
        return None
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise InputError(f"unknown encoding '{encoding}'; use a name such as utf-8, latin-1, "
                         "cp1252 or utf-16") from None


def _sniff(data: bytes) -> str:
    if data.startswith(b"PAR1"):
        return "parquet"
    head = data.lstrip()[:1]
    return {b"[": "json", b"{": "jsonl"}.get(head, "csv")


def _read(handle: BinaryIO, fmt: str, name: str, delimiter: str | None = None,
          encoding: str | None = None) -> pl.DataFrame:
    if delimiter is not None and fmt not in ("csv", "tsv"):
        raise InputError(f"{name}: a delimiter is for CSV and TSV input, not {fmt}")
    if fmt in ("csv", "tsv"):
        separator = delimiter or ("\t" if fmt == "tsv" else ",")
        return _read_csv(handle, separator, name, encoding)
    if fmt == "parquet":
        try:
            return pl.read_parquet(handle)
        except (Exception, pl.exceptions.PanicException) as exc:  # a corrupt file can panic
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise InputError(f"{name}: not a readable Parquet file: {reason}") from None
    text = _decode(handle.read(), name, encoding)
    if fmt == "json":
        return _from_records(_json_array(text, name), name)
    if fmt == "jsonl":
        return _from_records(_json_lines(text, name), name)
    raise InputError(f"{name}: unknown format '{fmt}' (use one of {', '.join(FORMATS)})")


def _read_csv(handle: BinaryIO, separator: str, name: str,
              encoding: str | None = None) -> pl.DataFrame:
    data = handle.read()
    if encoding in (None, "utf-8"):
        if data.startswith(codecs.BOM_UTF8):
            data = data[len(codecs.BOM_UTF8):]
    else:
        data = _decode(data, name, encoding).encode("utf-8")
    if not data.strip():
        return pl.DataFrame()
    try:
        frame = pl.read_csv(data, separator=separator, infer_schema=False,
                            truncate_ragged_lines=False, encoding="utf8")
    except pl.exceptions.ComputeError as exc:
        _check_utf8(data, name)  # the likeliest cause, named with its line
        raise InputError(f"{name}: not a readable CSV file: {str(exc).splitlines()[0]}") from None
    _check_not_cut(data, separator, frame.width, name)
    return frame


def _check_not_cut(data: bytes, separator: str, width: int, name: str) -> None:
    """Refuse a file that looks cut off: its last line ends without a line break, with fewer
    fields than the header. Its last value may be cut short (``12`` read as ``1``), and the
    accounts after the cut are missing, so no result from it could be trusted."""
    if data.endswith((b"\n", b"\r")):
        return
    # the last row starts after the last line break outside quotes (one after an even
    # number of quote characters: an escaped quote, "", keeps the count even)
    quotes = data.count(b'"')
    start = data.rfind(b"\n")
    while start >= 0 and (quotes - data.count(b'"', start)) % 2:
        start = data.rfind(b"\n", 0, start)
    if start < 0:
        return  # a header alone
    last = data[start + 1:].decode("utf-8", errors="replace")
    fields = len(next(csv.reader(io.StringIO(last), delimiter=separator), []))
    if fields < width:
        line = data.count(b"\n", 0, start) + 2
        raise InputError(f"{name}:{line}: the file ends in the middle of a row ({fields} of the "
                         f"header's {width} fields and no line break): it looks cut off, so "
                         "accounts may be missing and the last value may be cut short; export "
                         "the file again")


def _check_utf8(data: bytes, name: str) -> None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _not_utf8(data, exc, name) from None


def _not_utf8(data: bytes, exc: UnicodeDecodeError, name: str) -> InputError:
    line = data[: exc.start].count(b"\n") + 1
    return InputError(f"{name}:{line}: byte 0x{data[exc.start]:02x} is not valid UTF-8; save "
                      "the file as UTF-8, or give its encoding (such as --encoding latin-1)")


def _decode(data: bytes, name: str, encoding: str | None = None) -> str:
    if encoding in (None, "utf-8"):
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _not_utf8(data, exc, name) from None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"{name}:{line}: byte 0x{data[exc.start]:02x} is not valid "
                         f"{encoding}; check the file's encoding") from None
    return text.removeprefix("\ufeff")


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
    return frame_from_columns({key: [row.get(key) for row in rows] for key in keys})


def frame_from_columns(columns: dict[str, list[Any]]) -> pl.DataFrame:
    """A DataFrame of plain Python values (numbers, text, booleans, lists, None), typed as JSON
    input is: one kind keeps its type, a column mixing kinds is text."""
    return pl.DataFrame([_column(key, values) for key, values in columns.items()])


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
