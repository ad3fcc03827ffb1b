"""What every pass over an expression's tree shares: the operators allowed, the error, how
chains are walked, the values written in the expression and where a node is.

A chain of operators of one kind written one after the other (``a + b - c + ...``,
``a * b / c * ...``) is one level of nesting, however long: every pass over a tree walks such a
chain in a loop, left to right, not by recursion.
"""

from __future__ import annotations

import ast
import re
from typing import Any, Mapping

from healthcore.ruleset.expressions.arithmetic import ARITHMETIC, finite
from healthcore.ruleset.values import value_kind

ARITHMETIC_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
CHAINS = {ast.Add: "+-", ast.Sub: "+-", ast.Mult: "*/", ast.Div: "*/"}
"""The operators that chain without nesting: + with -, and * with /."""
ORDERING = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
EQUALITY = {ast.Eq: "==", ast.NotEq: "!="}
MEMBERSHIP = {ast.In: "in", ast.NotIn: "not in"}


class ExpressionError(ValueError):
    """An expression is not allowed or not well-formed; ``column`` is 1-based within it."""

    def __init__(self, message: str, column: int | None = None):
        super().__init__(message)
        self.column = column


def chain(node: ast.BinOp) -> tuple[ast.expr, list[ast.BinOp]]:
    """The operations of a chain such as ``a + b - c`` (``a * b / c``), in order, each with its
    ``op`` and ``right``, and the chain's first operand (``a``). Any other operation is a chain
    of one. Found in a loop: a chain of 300 terms is 300 levels of the tree."""
    links = [node]
    kind = CHAINS.get(type(node.op))
    while kind is not None and isinstance(links[-1].left, ast.BinOp) and \
            CHAINS.get(type(links[-1].left.op)) == kind:
        links.append(links[-1].left)
    links.reverse()
    return links[0].left, links


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def column(source: str, node: ast.AST) -> int | None:
    """The 1-based column of ``node`` in characters on its line (``ast`` counts UTF-8 bytes)."""
    if not hasattr(node, "col_offset"):
        return None
    line = _LINE_BREAK.split(source)[node.lineno - 1].encode("utf-8")
    return len(line[:node.col_offset].decode("utf-8", "replace")) + 1


def literal(node: ast.expr) -> float | str | None:
    """The value of a number (possibly negative) or text written in the expression, else None."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = literal(node.operand)
        return -inner if isinstance(inner, float) else None
    if isinstance(node, ast.Constant) and value_kind(node.value) in ("number", "text"):
        return float(node.value) if value_kind(node.value) == "number" else node.value
    return None


def constant_number(node: ast.expr, constants: Mapping[str, Any]) -> float | None:
    """The value of an arithmetic of literals and numeric parameters, else None."""
    if isinstance(node, ast.Constant) and value_kind(node.value) == "number":
        return float(node.value)
    if isinstance(node, ast.Name) and value_kind(constants.get(node.id)) == "number":
        return float(constants[node.id])
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = constant_number(node.operand, constants)
        return None if inner is None else (-inner if isinstance(node.op, ast.USub) else inner)
    if isinstance(node, ast.BinOp) and type(node.op) in CHAINS:
        first, links = chain(node)
        value = constant_number(first, constants)
        for link in links:
            right = constant_number(link.right, constants)
            if value is None or right is None:
                return None
            try:
                value = finite(ARITHMETIC[type(link.op)](value, right))
            except ZeroDivisionError:  # a written division by zero is null, not a number
                return None
        return value
    return None


def forbidden(node: ast.AST) -> str:
    """Why a kind of node is not allowed in an expression."""
    kind = type(node).__name__
    reasons = {
        "Attribute": "attribute access (a '.') is not allowed in expressions",
        "Subscript": "indexing with [ ] is not allowed in expressions",
        "Lambda": "lambda is not allowed in expressions",
        "NamedExpr": "assignment (':=') is not allowed in expressions",
        "ListComp": "comprehensions are not allowed in expressions",
        "SetComp": "comprehensions are not allowed in expressions",
        "DictComp": "comprehensions are not allowed in expressions",
        "GeneratorExp": "comprehensions are not allowed in expressions",
        "JoinedStr": "f-strings are not allowed in expressions",
        "Await": "await is not allowed in expressions",
        "Yield": "yield is not allowed in expressions",
        "Starred": "'*' is not allowed in expressions",
        "Dict": "{ } is not allowed in expressions",
        "Set": "{ } is not allowed in expressions",
        "List": "a list is only allowed after 'in'",
        "Tuple": "a list is only allowed after 'in'",
        "Slice": "slices are not allowed in expressions",
    }
    return reasons.get(kind, f"{kind} is not allowed in expressions")


def operator_text(op: ast.AST) -> str:
    """An operator as written in Python, for the operators that are not allowed."""
    return {ast.FloorDiv: "//", ast.Mod: "%", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^",
            ast.LShift: "<<", ast.RShift: ">>", ast.Invert: "~", ast.MatMult: "@",
            ast.Is: "is", ast.IsNot: "is not"}.get(type(op), type(op).__name__)
