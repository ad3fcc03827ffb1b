"""Safe YAML reading that remembers where every value came from.

PyYAML's safe loader never builds arbitrary objects, but it silently keeps the last of two
duplicate keys, accepts non-string keys, NaN and infinite numbers, and expands aliases and merge
keys (``<<``) without bound. This module composes the node tree with the safe loader (counting
nodes as they come) and converts it itself, so that it can reject those cases with a precise
location and record the line and column of every value for later error messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import Diagnostic, DocPath, RulesetError
from .expressions import finite_number, value_kind

MAX_FILE_BYTES = 1_000_000
MAX_VALUES = 100_000
MAX_DEPTH = 64
_MERGE = "tag:yaml.org,2002:merge"
_PLAIN = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


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
        value = self.constructor.construct_object(node, deep=True)
        if value_kind(value) == "number" and not finite_number(value):
            line, column = self._mark(node)
            shown = node.value if len(node.value) <= 20 else f"{node.value[:20]}..."
            self.problems.append(Diagnostic(
                f"'{shown}' is not a usable number: write a finite number between -1e308 and "
                "1e308", self.source.file, line, column, path, "invalid-number"))
        return value

    def _mapping(self, node: yaml.MappingNode, path: DocPath, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        seen: dict[str, int] = {}
        merges = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merges.append(value_node)
                continue
            key = self.constructor.construct_object(key_node, deep=True)
            line, column = self._mark(key_node)
            if not isinstance(key, str):
                self.problems.append(Diagnostic(
                    f"the key {key!r} is not text; write it in quotes if it is meant as a name",
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
    before the whole tree is built."""

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


def read_text(path: Path | str) -> str:
    """Read a ruleset file as UTF-8, refusing oversized or undecodable files with a location."""
    name = str(path)
    try:
        raw = Path(path).read_bytes() if Path(path).stat().st_size <= MAX_FILE_BYTES else None
    except OSError as exc:
        raise RulesetError([Diagnostic(f"cannot read the file: {exc.strerror or exc}", name,
                                       code="unreadable")]) from None
    if raw is None:
        raise RulesetError([Diagnostic(
            f"the file is larger than {MAX_FILE_BYTES:,} bytes; a ruleset should be far smaller",
            name, code="too-large")])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
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
