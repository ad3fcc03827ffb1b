"""Safe YAML reading that remembers where every value came from.

PyYAML's safe loader never builds arbitrary objects, but it silently keeps the last of two
duplicate keys, accepts non-string keys, NaN and infinite numbers, and expands aliases and merge
keys (``<<``) without bound. This module composes the node tree with the safe loader (counting
nodes as they come) and converts it itself, so that it can reject those cases with a precise
location and record the line and column of every value for later error messages.

Plain values are read as YAML 1.2 reads them (its core schema), not as YAML 1.1 does: ``1e3`` is
a number, ``0o17`` and ``0x1F`` are whole numbers, and ``yes``, ``on``, ``1:20``, ``1_000``,
``0b101`` and dates are text. Merge keys (``<<``) are kept.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml

from healthcore.errors import Diagnostic, DocPath, RulesetError, shortened
from healthcore.ruleset.values import finite_number, value_kind

MAX_FILE_BYTES = 1_000_000
MAX_VALUES = 100_000
MAX_DEPTH = 64
_TAG = "tag:yaml.org,2002:"
_MERGE = _TAG + "merge"
_PLAIN = (_TAG + "map", _TAG + "seq")
_MAX_DIGITS = 400
"""An integer with more digits is far beyond the range of floats (and Python refuses to convert
one of more than 4,300 digits): it is read as infinite, so refused as any number that large."""

_NULL = r"~|null|Null|NULL|"
_BOOL = r"true|True|TRUE|false|False|FALSE"
_INT = r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+"
_FLOAT = (r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
          r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)")


def _integer(text: str) -> int | float:
    if text.startswith(("0o", "0x")):
        return int(text[2:], 8 if text[1] == "o" else 16)
    if len(text.lstrip("+-").lstrip("0")) > _MAX_DIGITS:
        return -math.inf if text.startswith("-") else math.inf
    return int(text)


def _float(text: str) -> float:
    """A YAML 1.2 float, which Python reads once ``.inf`` and ``.nan`` lose their dot."""
    return float(re.sub(r"\.(?=inf|nan)", "", text, flags=re.I))


_CORE: dict[str, tuple[str, Callable[[str], Any], str]] = {
    _TAG + "str": (r".*", str, "text"),
    _TAG + "null": (_NULL, lambda text: None, "null or ~"),
    _TAG + "bool": (_BOOL, lambda text: text.lower() == "true", "true or false"),
    _TAG + "int": (_INT, _integer, "a whole number such as 42"),
    _TAG + "float": (_FLOAT, _float, "a number such as 2.5"),
}
"""The tags of YAML 1.2's core schema: what a value of each must look like, how it is read, and
what to write instead of a value that does not fit."""
_HINTS = {_TAG + "timestamp": "a date such as 2024-01-31"}
_INVALID = object()
"""What a scalar that cannot be read stands for, once the problem is reported."""


@dataclass
class SourceMap:
    """Line and column (1-based) of each value and each mapping key in a document."""

    file: str
    values: dict[DocPath, tuple[int, int]] = field(default_factory=dict)
    keys: dict[DocPath, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: DocPath, *, key: bool = False) -> tuple[int | None, int | None]:
        """Position of ``path``, or of its nearest ancestor that has one."""
        table = self.keys if key and path in self.keys else self.values
        probe = tuple(path)
        while probe not in table and probe:
            probe = probe[:-1]
        return table.get(probe, (None, None))

    def diagnostic(self, path: DocPath, message: str, *, key: bool = False,
                   code: str = "invalid") -> Diagnostic:
        line, column = self.locate(path, key=key)
        return Diagnostic(message, self.file, line, column, tuple(path), code)


def _line_column(data: str | bytes, offset: int) -> tuple[int, int]:
    """Line and column (1-based) of the character (or byte) at ``offset`` of ``data``."""
    newline = b"\n" if isinstance(data, bytes) else "\n"
    start = data.rfind(newline, 0, offset) + 1  # type: ignore[arg-type]
    return data.count(newline, 0, offset) + 1, offset - start + 1  # type: ignore[arg-type]


class _Converter:
    """Turns a composed YAML node tree into plain data while filling a :class:`SourceMap`."""

    def __init__(self, source: SourceMap):
        self.source = source
        self.constructor = yaml.SafeLoader.__new__(yaml.SafeLoader)
        yaml.constructor.SafeConstructor.__init__(self.constructor)
        self.count = 0
        self.problems: list[Diagnostic] = []

    @staticmethod
    def _mark(node: yaml.Node) -> tuple[int, int]:
        return node.start_mark.line + 1, node.start_mark.column + 1

    def convert(self, node: yaml.Node, path: DocPath, depth: int = 0) -> Any:
        self.count += 1
        if self.count > MAX_VALUES:
            raise _TooLarge(f"the document holds more than {MAX_VALUES:,} values once its "
                            "aliases are expanded; write it out without anchors and aliases")
        if depth > MAX_DEPTH:
            raise _TooLarge(f"the document is nested more than {MAX_DEPTH} levels deep")
        self.source.values.setdefault(path, self._mark(node))
        if not isinstance(node, yaml.ScalarNode) and node.tag not in _PLAIN:
            line, column = self._mark(node)
            self.problems.append(Diagnostic(
                f"the YAML tag '{node.tag}' is not allowed: a ruleset holds plain mappings, "
                "lists and values", self.source.file, line, column, path, "yaml-tag"))
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item, path + (i,), depth + 1) for i, item in enumerate(node.value)]
        value = self._construct(node, path)
        if value_kind(value) == "number" and not finite_number(value):
            line, column = self._mark(node)
            self.problems.append(Diagnostic(
                f"'{shortened(node.value, 20)}' is not a usable number: write a finite number "
                "between -1e308 and 1e308", self.source.file, line, column, path, "invalid-number"))
        return value

    def _construct(self, node: yaml.ScalarNode, path: DocPath) -> Any:
        """A scalar's value, read as YAML 1.2 reads it; a value its tag cannot hold
        (``!!float abc``) is a problem, and :data:`_INVALID` is returned instead."""
        try:
            if node.tag in _CORE:
                pattern, read, _ = _CORE[node.tag]
                if not re.fullmatch(pattern, node.value, re.S):
                    raise ValueError(node.value)
                return read(node.value)
            return self.constructor.construct_object(node, deep=True)
        except (ValueError, KeyError, AttributeError, TypeError, OverflowError):
            line, column = self._mark(node)
            hint = _CORE[node.tag][2] if node.tag in _CORE else _HINTS.get(node.tag,
                                                                           "another value")
            self.problems.append(Diagnostic(
                f"'{shortened(node.value, 20)}' cannot be read as "
                f"{node.tag.replace(_TAG, '!!')}: write {hint}, or leave out the tag",
                self.source.file, line, column, path, "yaml-tag"))
            return _INVALID

    def _mapping(self, node: yaml.MappingNode, path: DocPath, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        seen: dict[str, int] = {}
        merges = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merges.append(value_node)
                continue
            scalar = isinstance(key_node, yaml.ScalarNode)
            key = self._construct(key_node, path) if scalar else None
            line, column = self._mark(key_node)
            if key is _INVALID:
                continue
            if not isinstance(key, str):
                start, end = key_node.start_mark, key_node.end_mark
                written = " ".join(start.buffer[start.index:end.index].split())
                shown = repr(key) if scalar else shortened(written, 40)
                self.problems.append(Diagnostic(
                    f"the key {shown} is not text; write it in quotes if it is meant as a name",
                    self.source.file, line, column, path, "non-string-key"))
                continue
            if key in seen:
                self.problems.append(Diagnostic(
                    f"the key '{key}' appears twice (lines {seen[key]} and {line}); "
                    "keep one of them", self.source.file, line, column, path + (key,),
                    "duplicate-key"))
                continue
            seen[key] = line
            self.source.keys[path + (key,)] = (line, column)
            result[key] = self.convert(value_node, path + (key,), depth + 1)
        for merge in merges:
            self._merge(result, merge, path, depth)
        return result

    def _merge(self, result: dict[str, Any], node: yaml.Node, path: DocPath, depth: int) -> None:
        """Add the keys that ``<<: node`` merges into ``result``: a mapping's, or those of a
        list of mappings. Keys written in the mapping win, then the first merged mapping's;
        every merged value counts towards :data:`MAX_VALUES`, as aliases do."""
        merged = self.convert(node, path + ("<<",), depth + 1)
        for source in merged if isinstance(merged, list) else [merged]:
            if not isinstance(source, dict):
                line, column = self._mark(node)
                self.problems.append(Diagnostic(
                    "'<<' merges a mapping (or a list of mappings) into this one, not "
                    f"{type(source).__name__}", self.source.file, line, column, path, "invalid"))
                continue
            for key, value in source.items():
                result.setdefault(key, value)


class _TooLarge(Exception):
    def __init__(self, message: str, mark: yaml.Mark | None = None):
        super().__init__(message)
        self.mark = mark


class _Loader(yaml.SafeLoader):
    """The safe loader, refusing too many nodes or levels while it composes the document,
    before the whole tree is built; plain values resolved as in YAML 1.2's core schema."""

    yaml_implicit_resolvers: dict[str, list[tuple[str, re.Pattern[str]]]] = {}

    def __init__(self, stream: str):
        super().__init__(stream)
        self.nodes = 0
        self.depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        self.nodes += 1
        self.depth += 1
        try:
            if self.nodes > MAX_VALUES:
                raise _TooLarge(f"the document holds more than {MAX_VALUES:,} values; a ruleset "
                                "should be far smaller", self.peek_event().start_mark)
            if self.depth > MAX_DEPTH:
                raise _TooLarge(f"the document is nested more than {MAX_DEPTH} levels deep",
                                self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


for _tag, _pattern, _first in (
        ("null", _NULL, ["~", "n", "N", ""]), ("bool", _BOOL, "tTfF"),
        ("int", _INT, "-+0123456789"), ("float", _FLOAT, "-+0123456789."),
        ("merge", "<<", "<")):  # int before float: the first that matches wins
    _Loader.add_implicit_resolver(_TAG + _tag, re.compile(f"(?:{_pattern})\\Z"), list(_first))


def read_text(path: Path | str) -> str:
    """Read a ruleset file as UTF-8, refusing oversized or undecodable files with a location.

    At most one byte more than :data:`MAX_FILE_BYTES` is read, whatever the file is: a device
    such as ``/dev/zero``, a pipe (``<(command)``) or a link to one of them."""
    name = str(path)
    try:
        with open(path, "rb") as stream:
            raw = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise RulesetError([Diagnostic(f"cannot read the file: {exc.strerror or exc}", name,
                                       code="unreadable")]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise RulesetError([Diagnostic(
            f"the file is larger than {MAX_FILE_BYTES:,} bytes; a ruleset should be far smaller",
            name, code="too-large")])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, column = _line_column(raw, exc.start)
        raise RulesetError([Diagnostic(
            f"byte 0x{raw[exc.start]:02x} is not valid UTF-8; save the file as UTF-8",
            name, line, column, code="encoding")]) from None


def load_yaml(text: str, file: str = "<ruleset>") -> tuple[Any, SourceMap]:
    """Parse one YAML document safely; return its data and the :class:`SourceMap` of it."""
    source = SourceMap(file)
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise RulesetError([Diagnostic(f"the text is larger than {MAX_FILE_BYTES:,} bytes", file,
                                       code="too-large")])
    try:
        node = yaml.compose(text, Loader=_Loader)
    except _TooLarge as exc:
        raise RulesetError([Diagnostic(str(exc), file, exc.mark.line + 1, exc.mark.column + 1,
                                       code="too-large")]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        message = exc.problem or str(exc)
        if "\\t" in message or "\t" in message:
            message += " (indent with spaces, not tabs)"
        raise RulesetError([Diagnostic(f"YAML syntax error: {message}", file, line, column,
                                       code="yaml-syntax")]) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow
        line, column = _line_column(text, exc.position)
        raise RulesetError([Diagnostic(
            f"the character U+{exc.character:04X} is not allowed in a YAML file; remove it",
            file, line, column, code="yaml-syntax")]) from None
    except yaml.YAMLError as exc:
        raise RulesetError([Diagnostic(f"YAML error: {exc}", file, code="yaml-syntax")]) from None
    except RecursionError:
        raise RulesetError([Diagnostic("the document is nested too deeply", file,
                                       code="too-deep")]) from None
    if node is None:
        raise RulesetError([Diagnostic("the file is empty", file, 1, 1, code="empty")])
    converter = _Converter(source)
    try:
        data = converter.convert(node, ())
    except _TooLarge as exc:
        line, column = converter._mark(node)
        raise RulesetError([Diagnostic(str(exc), file, line, column, code="too-large")]) from None
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        raise RulesetError([Diagnostic(f"YAML error: {exc.problem}", file,
                                       mark.line + 1 if mark else None,
                                       mark.column + 1 if mark else None,
                                       code="yaml-syntax")]) from None
    if converter.problems:
        raise RulesetError(converter.problems)
    return data, source
