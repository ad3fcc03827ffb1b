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
import csv
import io
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any, BinaryIO, Callable

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
    head = data[:64].decode(_bom_encoding(data) or "utf-8-sig", errors="ignore")
    return {"[": "json", "{": "jsonl"}.get(head.lstrip()[:1], "csv")


def _bom_encoding(data: bytes) -> str | None:
    """``utf-16`` when ``data`` starts with a UTF-16 byte-order mark (either byte order)."""
    return "utf-16" if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else None


def _read(handle: BinaryIO, fmt: str, name: str, delimiter: str | None = None,
          encoding: str | None = None) -> pl.DataFrame:
    if delimiter is not None and fmt not in ("csv", "tsv"):
        raise InputError(f"{name}: a delimiter is for CSV and TSV input, not {fmt}")
    if fmt == "parquet":
        try:
            return pl.read_parquet(handle)
        except (Exception, pl.exceptions.PanicException) as exc:  # a corrupt file can panic
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise InputError(f"{name}: not a readable Parquet file: {reason}") from None
    if fmt not in FORMATS:
        raise InputError(f"{name}: unknown format '{fmt}' (use one of {', '.join(FORMATS)})")
    data = handle.read()
    encoding = encoding or _bom_encoding(data)
    if fmt in ("csv", "tsv"):
        return _read_csv(data, delimiter or ("\t" if fmt == "tsv" else ","), name, encoding)
    text = _decode(data, name, encoding)
    try:
        return _from_records(_json_array(text, name) if fmt == "json"
                             else _json_lines(text, name), name)
    except RecursionError:
        raise InputError(f"{name}: not readable: lists or objects are nested too deeply in it "
                         "(hundreds of levels); an account's fields hold numbers, text, "
                         "true/false or lists of them") from None


def _read_csv(data: bytes, separator: str, name: str, encoding: str | None) -> pl.DataFrame:
    if encoding in (None, "utf-8"):
        data = data.removeprefix(codecs.BOM_UTF8)
    else:
        data = _decode(data, name, encoding).encode("utf-8")
    if not data or data.isspace():  # isspace stops early; strip() copies
        return pl.DataFrame()
    data = _with_line_feeds(data)
    try:
        frame = pl.read_csv(data, separator=separator, infer_schema=False,
                            truncate_ragged_lines=False, encoding="utf8")
    except pl.exceptions.ComputeError as exc:
        _check_utf8(data, name)  # the likeliest cause, named with its line
        raise InputError(f"{name}: not a readable CSV file: {str(exc).splitlines()[0]}") from None
    if any("\ufffd" in column for column in frame.columns):
        # the reader replaces bytes that are not UTF-8 in the header (only there): named before
        # the file can look cut off, as a UTF-16 file read as UTF-8 would
        _check_utf8(data, name)
    if any(_RENAMED.search(column) for column in frame.columns):
        _check_header(data, separator, name)
    _check_not_cut(data, separator, frame.width, name)
    return _without_blank_rows(frame)


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


def _without_blank_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` without the rows of blank lines (or of separators alone, such as ``,,,``):
    every field empty, the first one possibly spaces. They are not accounts."""
    rest = [pl.col(column).is_null() for column in frame.columns[1:]]
    rows = frame.select(pl.all_horizontal(rest) if rest else pl.repeat(True, pl.len())
                        ).to_series().arg_true()
    if rows.is_empty():
        return frame
    first = frame.to_series(0).gather(rows)
    blank = rows.filter(first.is_null() | (first.str.strip_chars() == ""))
    if blank.is_empty():
        return frame
    return frame.filter(pl.repeat(True, frame.height, eager=True).scatter(blank, False))


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
    except UnicodeError as exc:  # codecs meant for other things than files, such as idna
        raise InputError(f"{name}: cannot be read as {encoding}: {exc}") from None
    return text.removeprefix("\ufeff")


def _json_array(text: str, name: str) -> list[Any]:
    if not text.strip():
        return []
    data = _parse(text, name)
    if not isinstance(data, list):
        raise InputError(f"{name}: a JSON accounts file holds an array of objects, "
                         f"not {_json_kind(data)}")
    return data


def _json_lines(text: str, name: str) -> list[Any]:
    rows: list[Any] = []
    # lines end in line feeds only: U+2028 or U+0085 may be in a JSON text, raw
    for number, line in enumerate(text.split("\n"), 1):
        if line.strip(" \t\r"):
            rows.append(_parse(line, name, number, len(rows) + 1))
    return rows


def _json_kind(value: Any) -> str:
    """What JSON calls the kind of ``value``, for messages."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    return {"number": "a number", "text": "text", "boolean": "true/false"}.get(
        value_kind(value), "null")


class _Repeated(dict):
    """A JSON object giving a key (``key``) more than once, which the file cannot mean."""

    key: str


def _parse(text: str, name: str, line: int | None = None, account: int = 1) -> Any:
    """The JSON document ``text``: the array of a JSON file, or the ``account``-th account,
    on ``line`` of a JSONL file. An object giving a key twice is refused, naming the account;
    an integer too long for Python to convert (over 4300 digits) is kept as its digits."""
    repeated: list[_Repeated] = []

    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        found = dict(pairs)
        if len(found) < len(pairs):
            found = _Repeated(found)
            found.key = next(key for key, n in Counter(key for key, _ in pairs).items() if n > 1)
            repeated.append(found)
        return found

    try:
        try:
            data = json.loads(text, object_pairs_hook=unique)
        except json.JSONDecodeError:
            raise
        except ValueError:  # Python's limit on the digits of an integer
            repeated.clear()
            data = json.loads(text, object_pairs_hook=unique, parse_int=_integer)
    except json.JSONDecodeError as exc:
        raise InputError(f"{name}:{line or exc.lineno}:{exc.colno}: not valid JSON: "
                         f"{exc.msg}") from None
    if repeated and (line is not None or isinstance(data, list)):
        number, field, value = _find([data] if line else data,
                                     lambda item: isinstance(item, _Repeated))
        inside = "" if field is None else f" in its field '{field}'"
        raise InputError(f"{name}{f':{line}' if line else ''}: account {account + number - 1} "
                         f"gives the key '{value.key}' twice{inside}, so it means two things; "
                         "keep one of them")
    return data


def _integer(digits: str) -> int | str:
    try:
        return int(digits)
    except ValueError:
        return digits


def _find(rows: list[Any], wanted: Callable[[Any], bool]) -> tuple[int, str | None, Any]:
    """The first value that ``wanted`` accepts in ``rows`` (an account, or a key or value in
    it, however deep): its account's number, its field (None for an account) and itself.
    Only called on the way to an error, when such a value is known to be there."""
    for number, row in enumerate(rows, 1):
        stack: list[tuple[str | None, Any]] = [(None, row)]
        while stack:  # not recursive: the nesting may be deep
            field, item = stack.pop()
            if wanted(item):
                return number, field, item
            if isinstance(item, dict):
                stack += reversed([(key if item is row else field, part)
                                   for key, value in item.items() for part in (key, value)])
            elif isinstance(item, list):
                stack += reversed([(field, part) for part in item])
    raise AssertionError("no such value")


def _from_records(rows: list[Any], name: str) -> pl.DataFrame:
    for number, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            raise InputError(f"{name}: account {number} is {_json_kind(row)}, not an object")
    keys: dict[str, None] = {}
    for row in rows:
        keys.update(dict.fromkeys(row))
    try:
        return frame_from_columns({key: [row.get(key) for row in rows] for key in keys})
    except UnicodeEncodeError:  # text with half of a UTF-16 pair, from an escape like \ud800
        number, field, text = _find(rows, lambda item: isinstance(item, str)
                                    and _HALF_PAIR.search(item) is not None)
        shown = str(field).encode("utf-8", "backslashreplace").decode("utf-8")
        escape = f"\\u{ord(_HALF_PAIR.search(text).group()):04x}"
        raise InputError(f"{name}: account {number}, field '{shown}': the escape {escape} is "
                         "half of a UTF-16 pair, not a character; correct the value in the "
                         "export") from None


_HALF_PAIR = re.compile("[\ud800-\udfff]")


def frame_from_columns(columns: dict[str, list[Any]]) -> pl.DataFrame:
    """A DataFrame of plain Python values (numbers, text, booleans, lists, None), typed as JSON
    input is: one kind keeps its type, and so do lists of one kind; a column mixing kinds, or
    with integers a number type cannot hold exactly, is text (with the exact digits)."""
    return pl.DataFrame([_column(key, values) for key, values in columns.items()])


def _column(name: str, values: list[Any]) -> pl.Series:
    dtype = _type_of(values)
    if dtype is not None:
        return pl.Series(name, _typed(values, dtype), dtype)
    if all(v is None or isinstance(v, list) for v in values):
        inner = _type_of([item for v in values if v is not None for item in v])
        if inner is not None:
            return pl.Series(name, [None if v is None else _typed(v, inner) for v in values],
                             pl.List(inner))
    return pl.Series(name, [v if v is None or isinstance(v, str) else json.dumps(v)
                            for v in values], pl.String)


def _type_of(values: list[Any]) -> pl.DataType | None:
    """The type that holds ``values`` exactly, or None (kinds mixed, or not numbers, text or
    true/false)."""
    kinds = {value_kind(v) for v in values if v is not None}
    if kinds <= {"number"}:
        if all(isinstance(v, int) and -2**63 <= v < 2**63 for v in values if v is not None):
            return pl.Int64
        if all(isinstance(v, float) or abs(v) <= 2**53 for v in values if v is not None):
            return pl.Float64  # an integer beyond 2 ** 53 would lose digits
        return None
    if len(kinds) == 1:
        return {"boolean": pl.Boolean, "text": pl.String}.get(kinds.pop())
    return None


def _typed(values: list[Any], dtype: pl.DataType) -> list[Any]:
    return [None if v is None else float(v) for v in values] if dtype == pl.Float64 else values
