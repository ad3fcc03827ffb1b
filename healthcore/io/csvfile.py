"""Reading CSV and TSV accounts: every cell as text, blank lines skipped, a header naming a
column twice or a file cut in its last row refused."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Collection

import polars as pl

from healthcore.errors import InputError
from healthcore.io.text import check_utf8, decode


def read_csv(data: bytes, separator: str, name: str, encoding: str | None,
             columns: Collection[str] | None = None) -> pl.DataFrame:
    """The accounts of CSV or TSV ``data`` (in ``encoding``) as text columns.

    With ``columns``, only those (and the first) are read: the others are kept by name, empty
    (of type Null), unless a row looks blank in the columns read, when every column is read to
    tell whether it is."""
    if encoding in (None, "utf-8"):
        data = data.removeprefix(codecs.BOM_UTF8)
    else:
        data = decode(data, name, encoding).encode("utf-8")
    if not data or data.isspace():  # isspace stops early; strip() copies
        return pl.DataFrame()
    data = _with_line_feeds(data)
    if columns is not None:
        projected = _projected(data, separator, name, columns)
        if projected is not None:
            return projected
    try:
        frame = pl.read_csv(data, separator=separator, infer_schema=False,
                            truncate_ragged_lines=False, encoding="utf8")
    except pl.exceptions.ComputeError as exc:
        check_utf8(data, name)  # the likeliest cause, named with its line
        _check_row_widths(data, separator, name)
        raise InputError(f"{name}: not a readable CSV file: {str(exc).splitlines()[0]}") from None
    if any("\ufffd" in column for column in frame.columns):
        # the reader replaces bytes that are not UTF-8 in the header (only there): named before
        # the file can look cut off, as a UTF-16 file read as UTF-8 would
        check_utf8(data, name)
    if any(_RENAMED.search(column) for column in frame.columns):
        _check_header(data, separator, name)
    _check_not_cut(data, separator, frame.width, name)
    return _without_blank_rows(frame)


def _projected(data: bytes, separator: str, name: str,
               columns: Collection[str]) -> pl.DataFrame | None:
    """The accounts with only ``columns`` (and the first) read, or None when every column must
    be read: a header naming a column twice, or a row blank in the columns read."""
    try:
        header = pl.read_csv(data, separator=separator, infer_schema=False, n_rows=0,
                             encoding="utf8").columns
    except pl.exceptions.ComputeError:
        return None  # the full read names the problem
    if any(_RENAMED.search(column) or "\ufffd" in column for column in header):
        return None
    read = [header[0], *(column for column in header[1:] if column in columns)]
    try:
        frame = pl.read_csv(data, separator=separator, infer_schema=False, columns=read,
                            truncate_ragged_lines=False, encoding="utf8")
    except pl.exceptions.ComputeError:
        return None
    _check_not_cut(data, separator, len(header), name)
    if _without_blank_rows(frame).height != frame.height:
        return None
    return frame.select(pl.col(column) if column in read else pl.lit(None, pl.Null).alias(column)
                        for column in header)


_RENAMED = re.compile(r"_duplicated_\d+$")
"""How the CSV reader renames the second column of a name the header gives twice."""


def _with_line_feeds(data: bytes) -> bytes:
    """``data`` with line feeds for line breaks when its first line ends in a carriage return
    alone (old Mac exports), which the CSV reader would not take for line breaks."""
    first = data.find(b"\n")
    cr = data.find(b"\r", 0, first if first >= 0 else len(data))
    if cr < 0 or cr + 1 == first:
        return data  # line feeds, or carriage return and line feed
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def _check_header(data: bytes, separator: str, name: str) -> None:
    """Refuse a header that names a column twice: the file would mean two things."""
    text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="replace", newline="")
    try:
        header = next(csv.reader(text, delimiter=separator))
    except csv.Error:  # Python's limit on the length of a field
        raise InputError(f"{name}:1: the header holds a value longer than 128 KB (a quote "
                         "left open?); check the file") from None
    seen: dict[str, int] = {}
    for position, column in enumerate(header, 1):
        if column.strip() and column in seen:
            raise InputError(f"{name}: the header names '{column}' twice (columns "
                             f"{seen[column]} and {position}); give each column its own name")
        seen.setdefault(column, position)


def _check_row_widths(data: bytes, separator: str, name: str) -> None:
    """Refuse, naming its line, the first row with more fields than the header."""
    text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="replace", newline="")
    reader = csv.reader(text, delimiter=separator)
    try:
        width = len(next(reader, []))
        for row in reader:
            if len(row) > width:
                raise InputError(f"{name}:{reader.line_num}: {len(row)} fields, but the header "
                                 f"has {width}: a value holding the delimiter '{separator}' "
                                 "must be quoted; check that row of the export")
    except csv.Error:
        return  # not what the reader stopped at: its own message says more


def _without_blank_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` without the rows of blank lines (or of separators alone, such as ``,,,``):
    every field empty, the first one possibly spaces. They are not accounts."""
    first = frame.to_series(0)
    candidates = (first.is_null() | (first.str.strip_chars() == "")).arg_true()
    if candidates.is_empty():
        return frame
    # few rows, however many columns: looked at one by one, stopping at the first value
    blank = [index for index, row in zip(candidates, frame[candidates].iter_rows())
             if all(value is None for value in row[1:])]
    if not blank:
        return frame
    keep = pl.repeat(True, frame.height, eager=True).scatter(blank, False)
    return frame.filter(keep)


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
    # one field more than separators outside quotes
    fields = 1 + sum(part.count(separator.encode()) for part in data[start + 1:].split(b'"')[::2])
    if fields < width:
        line = data.count(b"\n", 0, start) + 2
        raise InputError(f"{name}:{line}: the file ends in the middle of a row ({fields} of the "
                         f"header's {width} fields and no line break): it looks cut off, so "
                         "accounts may be missing and the last value may be cut short; export "
                         "the file again")
