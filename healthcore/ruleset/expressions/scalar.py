"""Evaluating an expression for one account with simpleeval, with the null semantics stated in
:mod:`healthcore.ruleset.expressions`: the same answers as the column-wise path
(:mod:`~healthcore.ruleset.expressions.compile`). Inside a chain of arithmetic IEEE rules apply;
where the chain ends, and after each power, a result that is not finite becomes null.
"""

from __future__ import annotations

import ast
from typing import Any, Callable, Mapping

from simpleeval import SimpleEval

from healthcore.plugin.functions import ExpressionFunction
from healthcore.ruleset.expressions.arithmetic import ARITHMETIC, finite
from healthcore.ruleset.expressions.syntax import chain, literal
from healthcore.ruleset.values import value_kind


def evaluate(tree: ast.expr, functions: Mapping[str, ExpressionFunction],
             names: Mapping[str, Any]) -> Any:
    """The value of a checked ``tree`` whose names have the values ``names`` (None is null)."""
    names = {n: (float(v) if value_kind(v) == "number" else v) for n, v in names.items()}
    return finite(_ScalarEval(functions, names)._eval(tree))


def _null_safe(operation: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def apply(left: Any, right: Any) -> Any:
        if left is None or right is None:
            return None
        try:
            return operation(left, right)
        except ZeroDivisionError:
            return None
    return apply


_OPERATORS: dict[type, Callable[..., Any]] = {
    **{op: _null_safe(f) for op, f in ARITHMETIC.items()},
    ast.Eq: _null_safe(lambda a, b: a == b),
    ast.NotEq: _null_safe(lambda a, b: a != b),
    ast.Lt: _null_safe(lambda a, b: a < b),
    ast.LtE: _null_safe(lambda a, b: a <= b),
    ast.Gt: _null_safe(lambda a, b: a > b),
    ast.GtE: _null_safe(lambda a, b: a >= b),
    ast.In: _null_safe(lambda a, b: a in b),
    ast.NotIn: _null_safe(lambda a, b: a not in b),
    ast.USub: lambda a: None if a is None else -float(a),
    ast.UAdd: lambda a: None if a is None else float(a),
    ast.Not: lambda a: None if a is None else not a,
}


class _ScalarEval(SimpleEval):
    """simpleeval with healthcore's null semantics (three-valued logic, null propagation)."""

    def __init__(self, functions: Mapping[str, ExpressionFunction], names: dict[str, Any]):
        super().__init__(operators=_OPERATORS,
                         functions={n: f.scalar for n, f in functions.items()},
                         names=names)
        self.nodes[ast.Tuple] = lambda node: tuple(literal(e) for e in node.elts)
        self.nodes[ast.List] = self.nodes[ast.Tuple]

    def _eval_constant(self, node: ast.Constant) -> Any:
        value = node.value
        return float(value) if value_kind(value) == "number" else value

    def _eval_binop(self, node: ast.BinOp) -> Any:
        return finite(self._arithmetic(node))

    def _eval_unaryop(self, node: ast.UnaryOp) -> Any:
        if isinstance(node.op, ast.Not):
            return self.operators[ast.Not](self._eval(node.operand))
        return finite(self._arithmetic(node))

    def _arithmetic(self, node: ast.expr) -> Any:
        """An arithmetic chain with IEEE semantics; the caller turns non-finite into null."""
        if isinstance(node, ast.BinOp):
            first, links = chain(node)
            value = self._arithmetic(first)
            for link in links:
                value = self.operators[type(link.op)](value, self._arithmetic(link.right))
            return value
        if isinstance(node, ast.UnaryOp) and not isinstance(node.op, ast.Not):
            return self.operators[type(node.op)](self._arithmetic(node.operand))
        return self._eval(node)

    def _eval_boolop(self, node: ast.BoolOp) -> bool | None:
        values = [self._eval(v) for v in node.values]
        decisive = isinstance(node.op, ast.Or)  # True decides 'or', False decides 'and'
        if any(v is not None and bool(v) is decisive for v in values):
            return decisive
        return None if any(v is None for v in values) else not decisive

    def _eval_compare(self, node: ast.Compare) -> bool | None:
        operands = [self._eval(node.left), *(self._eval(c) for c in node.comparators)]
        results = [self.operators[type(op)](a, b)
                   for op, a, b in zip(node.ops, operands, operands[1:])]
        if any(r is False for r in results):
            return False
        return None if any(r is None for r in results) else True

    def _eval_ifexp(self, node: ast.IfExp) -> Any:
        return self._eval(node.body) if self._eval(node.test) is True else self._eval(node.orelse)
