"""Parsing an expression: Python's parser, then the limits, ``previous(...)`` and the checker.

The grammar is simpleeval's safe subset of Python, narrowed further: numbers, text in quotes,
``True``/``False``, names, ``+ - * / **``, comparisons, ``and``/``or``/``not``, ``x if c else y``,
``name in ('a', 'b')``, calls of registered functions and ``previous(...)``, an account's value in
the score history (:data:`~healthcore.ruleset.expressions.history.HISTORY_REFERENCE`). No
attributes, subscripts, lambdas, comprehensions, assignments or keyword arguments. Every name gets
a kind (number, text, boolean) from how it is used, so types are checked at load and input
columns are converted once.
"""

from __future__ import annotations

import ast
import warnings
from typing import Any, Mapping

from healthcore.errors import shortened
from healthcore.plugin.functions import ExpressionFunction, Kind
from healthcore.ruleset.expressions.checker import Checker, article
from healthcore.ruleset.expressions.expression import Expression
from healthcore.ruleset.expressions.history import HistoryReferences
from healthcore.ruleset.expressions.limits import MAX_DEPTH, MAX_LENGTH
from healthcore.ruleset.expressions.syntax import CHAINS, ExpressionError, column
from healthcore.ruleset.values import finite_number, value_kind


def parse(source: str, functions: Mapping[str, ExpressionFunction],
          constants: Mapping[str, Any], *, want: Kind = "number",
          extra_names: Mapping[str, Kind] | None = None) -> Expression:
    """Parse and check ``source``; raise :class:`ExpressionError` on anything not allowed.

    ``constants`` are the ruleset parameters (substituted by value); ``extra_names`` are
    names bound by the caller (such as ``value`` in a normalizer) with their kinds.
    """
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"the expression is longer than {MAX_LENGTH} characters")
    if _bracket_depth(source) > MAX_DEPTH * 2:  # before Python's parser recurses into them
        raise ExpressionError(f"the expression is nested more than {MAX_DEPTH} levels deep")
    text = source.strip()
    try:
        with warnings.catch_warnings():  # such as "'is' with a literal": refused below anyway
            warnings.simplefilter("ignore")
            statements = ast.parse(text).body
    except SyntaxError as exc:
        raise ExpressionError(f"this is not a valid expression: {exc.msg}", exc.offset) from None
    except (RecursionError, MemoryError):
        raise ExpressionError(
            f"the expression is nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:  # a NUL character
        raise ExpressionError(str(exc)) from None
    if not statements:
        raise ExpressionError("the expression is empty")
    if len(statements) > 1:
        second = shortened(ast.get_source_segment(text, statements[1]) or "", 40)
        raise ExpressionError(f"only one expression is allowed here, but '{second}' follows "
                              "the first one; to combine conditions, join them with 'and' or 'or'",
                              column(text, statements[1]))
    if not isinstance(statements[0], ast.Expr):
        raise ExpressionError("only an expression is allowed here, not a statement "
                              "(no '=', import, def or other Python statements)")
    _check_limits(statements[0].value, text)
    history = HistoryReferences(constants, text)
    body = history.replace(statements[0].value)
    checker = Checker(functions, constants, dict(extra_names or {}), text)
    kind = checker.check(body, want, depth=0)
    if want == "boolean" and kind != "boolean":
        raise ExpressionError("a condition must be true or false: compare a value, "
                              "e.g. 'seats > 10'", 1)
    for name, (reference, _) in history.found.items():
        expected: Kind = "text" if reference == "tier" else "number"
        if checker.names.get(name, "any") not in ("any", expected):
            raise ExpressionError(f"{name} is {article(expected)}, but it is used as "
                                  f"{article(checker.names[name])}", history.columns[name])
        checker.names[name] = expected
    return Expression(source, body, kind, checker.names,
                      {n: functions[n] for n in checker.called}, dict(constants),
                      frozenset(checker.used_constants), dict(history.found))


def _check_limits(tree: ast.expr, source: str) -> None:
    """Refuse nesting deeper than :data:`MAX_DEPTH` (a chain such as ``a + b - c`` is one
    level), numbers beyond the range of floats, and names written with characters that Python
    reads as other ones (fullwidth letters), walking the tree without recursion, so that no later
    pass over it can exhaust the stack."""
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ExpressionError(f"the expression is nested more than {MAX_DEPTH} levels deep",
                                  column(source, node) or 1)
        if (isinstance(node, ast.Constant) and value_kind(node.value) == "number"
                and not finite_number(node.value)):
            written = shortened(ast.get_source_segment(source, node) or "", 20)
            raise ExpressionError(f"the number {written} is too large: numbers are between "
                                  "-1e308 and 1e308", column(source, node))
        if isinstance(node, ast.Name) and ast.get_source_segment(source, node) != node.id:
            raise ExpressionError(f"'{ast.get_source_segment(source, node)}' is written with "
                                  f"characters that stand for other ones: write it as "
                                  f"'{node.id}'", column(source, node))
        chained = CHAINS.get(type(getattr(node, "op", None)))
        stack.extend((child, depth if chained and child is getattr(node, "left", None) and
                      CHAINS.get(type(getattr(child, "op", None))) == chained
                      else depth + isinstance(child, ast.expr))
                     for child in ast.iter_child_nodes(node))


def _bracket_depth(source: str) -> int:
    """How deeply the brackets of ``source`` nest (brackets in quotes count too)."""
    depth = deepest = 0
    for character in source:
        if character in "([":
            depth += 1
            deepest = max(deepest, depth)
        elif character in ")]":
            depth -= 1
    return deepest

