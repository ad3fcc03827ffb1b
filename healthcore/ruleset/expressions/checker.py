"""Checking a parsed expression: what it may contain, and the kind (number, text, boolean) of
each name, inferred from how it is used."""

from __future__ import annotations

import ast
from typing import Any, Mapping

from healthcore.errors import did_you_mean, shortened
from healthcore.plugin.functions import ExpressionFunction, Kind
from healthcore.ruleset.expressions.limits import MAX_DEPTH, MAX_EXPONENT, MAX_NODES, MAX_TEXT
from healthcore.ruleset.expressions.syntax import (ARITHMETIC_OPERATORS, EQUALITY, MEMBERSHIP,
                                                   ORDERING, ExpressionError, chain, column,
                                                   constant_number, forbidden, literal,
                                                   operator_text)
from healthcore.ruleset.values import value_kind


def article(kind: Kind) -> str:
    """A kind as a message names it: ``a number``, ``text``..."""
    return {"number": "a number", "text": "text", "boolean": "a true/false value",
            "any": "a value"}[kind]


class Checker:
    """Walks a parsed tree: rejects what is not allowed, infers and records kinds."""
    def __init__(self, functions: Mapping[str, ExpressionFunction], constants: Mapping[str, Any],
                 bound: dict[str, Kind], source: str):
        self.functions = functions
        self.source = source
        self.constants = constants
        self.bound = bound
        self.names: dict[str, Kind] = {}
        self.called: set[str] = set()
        self.used_constants: set[str] = set()
        self.nodes = 0

    def fail(self, node: ast.AST, message: str) -> ExpressionError:
        return ExpressionError(message, column(self.source, node))

    def show(self, node: ast.expr) -> str:
        """A node as the author wrote it, quoted unless it is text in quotes already."""
        text = shortened(ast.get_source_segment(self.source, node) or "", 60)
        return text if isinstance(node, ast.Constant) and isinstance(node.value, str) \
            else f"'{text}'"

    def count(self, node: ast.AST) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.fail(node, f"the expression has more than {MAX_NODES} parts; split it")

    def static_kind(self, node: ast.expr) -> Kind | None:
        """The kind of a node that does not depend on context, if any."""
        if isinstance(node, ast.Constant):
            return value_kind(node.value)
        if isinstance(node, ast.Name):
            if node.id in self.constants:
                return value_kind(self.constants[node.id])
            return self.bound.get(node.id) or (self.names.get(node.id) if
                                               self.names.get(node.id) != "any" else None)
        if isinstance(node, ast.BinOp) or (isinstance(node, ast.UnaryOp)
                                           and not isinstance(node.op, ast.Not)):
            return "number"
        if isinstance(node, (ast.Compare, ast.BoolOp)) or (
                isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)):
            return "boolean"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            function = self.functions.get(node.func.id)
            if function and function.returns != "any":
                return function.returns
            if function and node.args:
                return self.static_kind(node.args[0])
        if isinstance(node, ast.IfExp):
            return self.static_kind(node.body) or self.static_kind(node.orelse)
        return None

    def check(self, node: ast.expr, want: Kind, depth: int) -> Kind:
        self.count(node)
        if depth > MAX_DEPTH:
            raise self.fail(node, f"the expression is nested more than {MAX_DEPTH} levels deep")
        handler = getattr(self, f"_{type(node).__name__}", None)
        if handler is None:
            raise self.fail(node, forbidden(node))
        kind = handler(node, want, depth + 1)
        if want != "any" and kind != "any" and kind != want:
            raise self.fail(node, f"{self.show(node)} is {article(kind)}, "
                                  f"but {article(want)} is needed here")
        return kind

    def _Constant(self, node: ast.Constant, want: Kind, depth: int) -> Kind:
        kind = value_kind(node.value)
        if kind is None:
            raise self.fail(node, f"{node.value!r} is not allowed: use numbers, text in quotes, "
                                  "True or False")
        if kind == "text" and len(node.value) > MAX_TEXT:
            raise self.fail(node, f"text longer than {MAX_TEXT} characters is not allowed")
        return kind

    def _Name(self, node: ast.Name, want: Kind, depth: int) -> Kind:
        name = node.id
        if name.startswith("_"):
            raise self.fail(node, f"names starting with '_' are not allowed ('{name}')")
        if name in self.constants:
            self.used_constants.add(name)
            return value_kind(self.constants[name]) or "any"
        if name in self.bound:
            return self.bound[name]
        known = self.names.get(name)
        if known not in (None, "any") and want not in ("any", known):
            raise self.fail(node, f"'{name}' is used as {article(known)} elsewhere in this "
                                  f"expression and as {article(want)} here")
        if known is None or known == "any":
            self.names[name] = want
        return self.names[name]

    def _BinOp(self, node: ast.BinOp, want: Kind, depth: int) -> Kind:
        if type(node.op) not in ARITHMETIC_OPERATORS:
            raise self.fail(node, f"the operator '{operator_text(node.op)}' is not available: "
                                  "use + - * / ** and functions")
        first, links = chain(node)
        for link in links[:-1]:  # ``node`` itself is counted already
            self.count(link)
        self.check(first, "number", depth)
        for link in links:
            self.check(link.right, "number", depth)
        if isinstance(node.op, ast.Pow):
            exponent = constant_number(node.right, self.constants)
            if exponent is None:
                raise self.fail(node.right, "the exponent of ** must be a number written in the "
                                            "expression, such as x ** 2 or x ** 0.5")
            if abs(exponent) > MAX_EXPONENT:
                raise self.fail(node.right, f"the exponent {exponent:g} is too large "
                                            f"(at most {MAX_EXPONENT:g})")
        return "number"

    def _UnaryOp(self, node: ast.UnaryOp, want: Kind, depth: int) -> Kind:
        if isinstance(node.op, ast.Not):
            self.check(node.operand, "boolean", depth)
            return "boolean"
        if isinstance(node.op, (ast.USub, ast.UAdd)):
            self.check(node.operand, "number", depth)
            return "number"
        raise self.fail(node, f"the operator '{operator_text(node.op)}' is not available")

    def _BoolOp(self, node: ast.BoolOp, want: Kind, depth: int) -> Kind:
        for value in node.values:
            self.check(value, "boolean", depth)
        return "boolean"

    def _Compare(self, node: ast.Compare, want: Kind, depth: int) -> Kind:
        operands = [node.left, *node.comparators]
        for op, left, right in zip(node.ops, operands, operands[1:]):
            if type(op) in MEMBERSHIP:
                self._membership(left, right, depth)
            elif type(op) in EQUALITY:
                kind = self.static_kind(left) or self.static_kind(right) or "number"
                self.check(left, kind, depth)
                self.check(right, kind, depth)
            elif type(op) in ORDERING:
                self.check(left, "number", depth)
                self.check(right, "number", depth)
            else:
                raise self.fail(node, f"the comparison '{operator_text(op)}' is not available: "
                                      "use == != < <= > >= in")
        return "boolean"

    def _membership(self, left: ast.expr, right: ast.expr, depth: int) -> None:
        if not isinstance(right, (ast.Tuple, ast.List)) or not right.elts:
            raise self.fail(right, "'in' needs a list of values written in the expression, "
                                   "e.g. plan in ('gold', 'platinum')")
        kinds = set()
        for item in right.elts:
            value = literal(item)
            if value is None:
                raise self.fail(item, "the list after 'in' may only hold numbers or text")
            if isinstance(value, str) and len(value) > MAX_TEXT:
                raise self.fail(item, f"text longer than {MAX_TEXT} characters is not allowed")
            kinds.add(value_kind(value))
        if len(kinds) > 1:
            raise self.fail(right, "the list after 'in' mixes numbers and text")
        self.check(left, kinds.pop(), depth)

    def _IfExp(self, node: ast.IfExp, want: Kind, depth: int) -> Kind:
        self.check(node.test, "boolean", depth)
        kind = want if want != "any" else (self.static_kind(node.body)
                                           or self.static_kind(node.orelse) or "number")
        self.check(node.body, kind, depth)
        self.check(node.orelse, kind, depth)
        return kind

    def _Call(self, node: ast.Call, want: Kind, depth: int) -> Kind:
        if isinstance(node.func, ast.Attribute):
            raise self.fail(node, forbidden(node.func))
        if not isinstance(node.func, ast.Name):
            raise self.fail(node, "only functions called by name are allowed, such as max(a, b)")
        name = node.func.id
        if name.startswith("_"):
            raise self.fail(node, f"names starting with '_' are not allowed ('{name}')")
        function = self.functions.get(name)
        if function is None:
            hint = did_you_mean(name, self.functions) or \
                f" (available: {', '.join(sorted(self.functions))})"
            raise self.fail(node, f"unknown function '{name}'{hint}")
        if node.keywords:
            raise self.fail(node, f"{name}() takes no named arguments")
        count = len(node.args)
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise self.fail(node, "'*' arguments are not allowed")
        if count < function.min_args or (function.max_args is not None
                                         and count > function.max_args):
            expected = (f"{function.min_args}" if function.max_args == function.min_args else
                        f"{function.min_args} or more" if function.max_args is None else
                        f"{function.min_args} to {function.max_args}")
            raise self.fail(node, f"{name}() takes {expected} arguments, not {count}")
        arg_kind: Kind = function.arg_kind
        if arg_kind == "any" and function.returns == "any":
            arg_kind = want if want != "any" else next(
                (k for k in map(self.static_kind, node.args) if k), "number")
        for position, arg in enumerate(node.args):
            if function.literal_from is not None and position >= function.literal_from:
                if constant_number(arg, self.constants) is None:
                    raise self.fail(arg, f"argument {position + 1} of {name}() must be a number "
                                         "written in the expression")
            self.check(arg, arg_kind, depth)
        self.called.add(name)
        return function.returns if function.returns != "any" else arg_kind

