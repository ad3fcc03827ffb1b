"""The ``actions`` section: conditions that add or take away points, each with its reason."""

from __future__ import annotations

import string
from typing import Any, Mapping

from healthcore.errors import DocPath, did_you_mean
from healthcore.ruleset.compiler.context import Compilation, Pieces, UniqueIds, is_number
from healthcore.ruleset.model import Action

MAX_REASON = 1000
"""The most characters a reason may have once its placeholders are filled in."""


def compile_actions(compilation: Compilation, items: list[tuple[int, dict[str, Any]]]
                    ) -> list[Action]:
    """The actions without problems; the pieces of reasons with placeholders go to
    ``compilation.reason_pieces``, for the segments that change their parameters."""
    compiled = []
    ids = UniqueIds(compilation, "actions")
    for index, item in items:
        path: DocPath = ("actions", index)
        ident = item.get("id")
        if isinstance(ident, str):
            ids.add(index, ident)
        condition = compilation.parse(path + ("when",), item.get("when"), "boolean")
        reason = _reason(compilation, path + ("reason",), item.get("reason"))
        points = item.get("points")
        if condition is None or reason is None or not isinstance(ident, str) or \
                not is_number(points):
            continue
        label = str(item.get("label") or ident)
        text, pieces = reason
        compiled.append(Action(ident, label, condition, float(points), text or label))
        if any(name is not None for _, name in pieces):
            compilation.reason_pieces[ident] = (index, pieces)
    return compiled


def filled_reason(pieces: Pieces, values: Mapping[str, Any]) -> str | None:
    """A reason with the values of its placeholders, or None if longer than MAX_REASON
    (found before the text is built)."""
    parts: list[str] = []
    length = 0
    for literal, name in pieces:
        parts.append(literal if name is None else literal + str(values[name]))
        length += len(parts[-1])
        if length > MAX_REASON:
            return None
    return "".join(parts)


def _reason(compilation: Compilation, path: DocPath, text: Any) -> tuple[str, Pieces] | None:
    """The reason text with its {parameter} placeholders filled in, once, at load, and
    its pieces; None (reported) unless each placeholder is a parameter's name alone."""
    if text is None:
        return "", []
    if not isinstance(text, str):
        return None
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        compilation.problem(path, f"the reason text has a broken placeholder: {exc}; write "
                                  "'{{' and '}}' for literal braces", code="placeholder")
        return None
    parameters = compilation.parameters
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in parameters:
            hint = did_you_mean(name, parameters) or (
                " (placeholders name parameters" +
                (f": {', '.join(parameters)})" if parameters else ")"))
            compilation.problem(path, f"unknown placeholder {{{name}}}{hint}",
                                code="placeholder")
            return None
        if spec or conversion:
            written = f"{{{name}{'!' + conversion if conversion else ''}" \
                      f"{':' + spec if spec else ''}}}"
            compilation.problem(path, f"a placeholder is a parameter's name alone: write "
                                      f"{{{name}}}, not {written}", code="placeholder")
            return None
    pieces = [(literal, name) for literal, name, _, _ in parsed]
    filled = filled_reason(pieces, parameters)
    if filled is None:
        compilation.problem(path, f"the reason is longer than {MAX_REASON:,} characters once "
                                  "its placeholders are filled in; shorten it",
                            code="placeholder")
        return None
    return filled, pieces
