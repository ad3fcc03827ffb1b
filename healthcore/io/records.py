"""Reading JSON (an array of objects) and JSONL accounts: values keep their JSON types; a
field mixing types, or holding integers no number type holds exactly, is read as text; an
account giving a key twice is refused."""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any, Callable

import polars as pl

from healthcore.errors import InputError
from healthcore.ruleset.values import value_kind


def json_array(text: str, name: str) -> list[Any]:
    """The accounts of a JSON file: an array of objects (empty text: none)."""
    if not text.strip():
        return []
    data = _parse(text, name)
    if not isinstance(data, list):
        raise InputError(f"{name}: a JSON accounts file holds an array of objects, "
                         f"not {_json_kind(data)}")
    return data


def json_lines(text: str, name: str) -> list[Any]:
    """The accounts of a JSONL file: one object per line, blank lines skipped."""
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


def _find(rows: list[Any], wanted: Callable[[Any], bool]
          ) -> tuple[int, str | None, Any]:
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


def from_records(rows: list[Any], name: str) -> pl.DataFrame:
    """The accounts (JSON objects) as a DataFrame, typed as JSON input is."""
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
