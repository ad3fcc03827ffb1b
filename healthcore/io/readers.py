"""Reading account tables: CSV, TSV, JSON (array of objects), JSONL and Parquet.

CSV and TSV cells are read as text, so account ids keep their leading zeros and a bad value in a
number column is reported on its account instead of failing the file; blank lines are not
accounts, and a header naming a column twice is refused. JSON values keep their JSON types; a
field mixing types (or holding integers no number type holds exactly) is read as text and
checked the same way; an account giving a key twice is refused.

Text files are UTF-8 (a byte-order mark is skipped), or UTF-16 when they start with its byte-order
mark, unless another ``encoding`` is given (such as ``latin-1`` for old spreadsheet exports); CSV
may use another ``delimiter`` (``;``, ``|``...).
"""

from __future__ import annotations

import codecs
import io
import sys
from pathlib import Path
from typing import BinaryIO, Collection

import polars as pl

from healthcore.errors import InputError
from healthcore.io.csvfile import read_csv
from healthcore.io.records import from_records, json_array, json_lines
from healthcore.io.text import bom_encoding, decode

FORMATS = ("csv", "tsv", "json", "jsonl", "parquet")
_EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".json": "json", ".jsonl": "jsonl",
               ".ndjson": "jsonl", ".parquet": "parquet", ".pq": "parquet"}


def format_of(path: str) -> str | None:
    """The accounts format named by a file's extension, or None."""
    return _EXTENSIONS.get(Path(path).suffix.lower())


def read_accounts(path: str, fmt: str | None = None, *, delimiter: str | None = None,
                  encoding: str | None = None,
                  columns: Collection[str] | None = None) -> pl.DataFrame:
    """Read the accounts at ``path`` (``-`` for standard input) into a DataFrame.

    ``fmt`` overrides the format given by the extension. ``delimiter`` (one character) replaces
    the comma of CSV (the tab of TSV); ``encoding`` (a Python codec name) is the encoding of a
    text file, UTF-8 by default. Raises :class:`InputError` with the file (and line, where
    known) when the file cannot be read. With ``columns`` (the fields a ruleset reads), a CSV,
    TSV or Parquet file's other columns are not read: they are kept by name, empty.
    """
    delimiter = check_delimiter(delimiter)
    encoding = check_encoding(encoding)
    if path == "-":
        data = sys.stdin.buffer.read()
        return _read(io.BytesIO(data), fmt or _sniff(data), "<stdin>", delimiter, encoding,
                     columns)
    fmt = fmt or format_of(path)
    if fmt is None:
        raise InputError(f"{path}: cannot tell the format from the extension; use one of "
                         f"{', '.join(sorted(_EXTENSIONS))} or give the format (fmt)")
    try:
        with open(path, "rb") as handle:
            return _read(handle, fmt, path, delimiter, encoding, columns)
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
    """``encoding`` as Python's codec name, or an InputError if Python does not know it as an
    encoding of text."""
    if encoding is None:
        return None
    try:
        codec = codecs.lookup(encoding)
    except LookupError:
        codec = None
    if codec is None or not codec._is_text_encoding:  # such as hex, which is of bytes
        raise InputError(f"unknown encoding '{encoding}'; use a name such as utf-8, latin-1, "
                         "cp1252 or utf-16")
    return codec.name


def _sniff(data: bytes) -> str:
    if data.startswith(b"PAR1"):
        return "parquet"
    head = data[:64].decode(bom_encoding(data) or "utf-8-sig", errors="ignore")
    return {"[": "json", "{": "jsonl"}.get(head.lstrip()[:1], "csv")


def _read_parquet(handle: BinaryIO, columns: Collection[str] | None) -> pl.DataFrame:
    """A Parquet file; with ``columns``, only those (and the first) are read, the others kept
    by name, empty."""
    if columns is None:
        return pl.read_parquet(handle)
    names = list(pl.read_parquet_schema(handle))
    handle.seek(0)
    read = [*names[:1], *(column for column in names[1:] if column in columns)]
    return only_read(pl.read_parquet(handle, columns=read), names)


def only_read(frame: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    """``frame``, read in some of the columns ``names``, with the others back by name as empty
    (Null) columns, in their order: checks that look at names see every column."""
    return frame.select(pl.col(column) if column in frame.columns
                        else pl.lit(None, pl.Null).alias(column) for column in names)


def _read(handle: BinaryIO, fmt: str, name: str, delimiter: str | None = None,
          encoding: str | None = None, columns: Collection[str] | None = None) -> pl.DataFrame:
    if delimiter is not None and fmt not in ("csv", "tsv"):
        raise InputError(f"{name}: a delimiter is for CSV and TSV input, not {fmt}")
    if fmt == "parquet":
        try:
            return _read_parquet(handle, columns)
        except (Exception, pl.exceptions.PanicException) as exc:  # a corrupt file can panic
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise InputError(f"{name}: not a readable Parquet file: {reason}") from None
    if fmt not in FORMATS:
        raise InputError(f"{name}: unknown format '{fmt}' (use one of {', '.join(FORMATS)})")
    data = handle.read()
    encoding = encoding or bom_encoding(data)
    if fmt in ("csv", "tsv"):
        return read_csv(data, delimiter or ("\t" if fmt == "tsv" else ","), name, encoding,
                        columns)
    text = decode(data, name, encoding)
    try:
        return from_records(json_array(text, name) if fmt == "json"
                             else json_lines(text, name), name)
    except RecursionError:
        raise InputError(f"{name}: not readable: lists or objects are nested too deeply in it "
                         "(hundreds of levels); an account's fields hold numbers, text, "
                         "true/false or lists of them") from None
