"""Compiling an expression to one polars expression that evaluates it for a whole batch, with the
null semantics stated in :mod:`healthcore.ruleset.expressions`: the same answers as the
one-account path (:mod:`~healthcore.ruleset.expressions.scalar`). Polars is imported only when an
expression is compiled.
"""

from __future__ import annotations

import ast
import math
from typing import TYPE_CHECKING, Any, Callable, Mapping

from healthcore.plugin.functions import ExpressionFunction, Kind, divisor_column
from healthcore.ruleset.expressions.syntax import (MEMBERSHIP, ExpressionError, chain,
                                                   constant_number, forbidden, literal)
from healthcore.ruleset.values import value_kind

if TYPE_CHECKING:
    import polars as pl

ColumnOf = Callable[[str, Kind], "pl.Expr"]
"""Gives the column of an account field, read as a kind."""
ParameterOf = Callable[[str], "pl.Expr | None"]
"""Gives the column of a parameter that varies by account, or None if it does not."""


class PolarsCompiler:
    """Compiles the checked trees of one expression, given what its names stand for."""

    def __init__(self, names: Mapping[str, Kind], constants: Mapping[str, Any],
                 functions: Mapping[str, ExpressionFunction], column: ColumnOf,
                 parameter: ParameterOf | None = None):
        import polars as pl

        self.pl = pl
        self.names = names
        self.constants = constants
        self.functions = functions
        self.column = column
        self.parameter = parameter or (lambda name: None)

    @staticmethod
    def finite(expr: "pl.Expr") -> "pl.Expr":
        """``expr`` with infinities and NaN made null. Every expression compiled here holds
        each of its parts once: one that repeats a part (``when(e.is_finite()).then(e)``,
        ``e.fill_nan(None)``) grows exponentially with nesting."""
        return expr.replace([math.inf, -math.inf, math.nan], None)

    def compile(self, node: ast.expr, in_arithmetic: bool = False) -> "pl.Expr":
        """Compile ``node``; an arithmetic chain is checked for non-finite values once, where
        it ends (``in_arithmetic`` is true inside it)."""
        pl = self.pl
        arithmetic = isinstance(node, ast.BinOp) or (
            isinstance(node, ast.UnaryOp) and not isinstance(node.op, ast.Not))
        if arithmetic and not in_arithmetic:
            return self.finite(self.compile(node, in_arithmetic=True))
        if isinstance(node, ast.Constant):
            value = node.value
            return pl.lit(float(value) if value_kind(value) == "number" else value)
        if isinstance(node, ast.Name):
            if node.id in self.constants:
                varying = self.parameter(node.id)
                if varying is not None:
                    return varying
                value = self.constants[node.id]
                return pl.lit(float(value) if value_kind(value) == "number" else value)
            return self.column(node.id, self.names.get(node.id, "number"))
        if isinstance(node, ast.BinOp):
            first, links = chain(node)
            result = self.compile(first, True)
            for link in links:
                result = self.operation(link, result)
            return result
        if isinstance(node, ast.UnaryOp):
            operand = self.compile(node.operand, isinstance(node.op, (ast.USub, ast.UAdd)))
            if isinstance(node.op, ast.Not):
                return operand.not_()
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BoolOp):
            parts = [self.compile(v) for v in node.values]
            combined = parts[0]
            for part in parts[1:]:
                combined = (combined & part) if isinstance(node.op, ast.And) else (combined | part)
            return combined
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            results = [self.compare(op, left, right)
                       for op, left, right in zip(node.ops, operands, operands[1:])]
            combined = results[0]
            for result in results[1:]:
                combined = combined & result
            return combined
        if isinstance(node, ast.IfExp):
            return (pl.when(self.compile(node.test)).then(self.compile(node.body))
                    .otherwise(self.compile(node.orelse)))
        if isinstance(node, ast.Call):
            function = self.functions[node.func.id]
            literal_from = function.literal_from
            return function.vector(*(
                constant_number(a, self.constants)
                if literal_from is not None and i >= literal_from else self.compile(a)
                for i, a in enumerate(node.args)))
        raise ExpressionError(forbidden(node))  # unreachable after checking

    def operation(self, node: ast.BinOp, left: "pl.Expr") -> "pl.Expr":
        """``left`` (the chain so far) combined with ``node.right`` by ``node.op``."""
        if isinstance(node.op, ast.Div):
            divisor = self.constant(node.right)
            if divisor == 0:
                return self.pl.lit(None, self.pl.Float64)
            if divisor is not None:
                return left / divisor_column(divisor)
            return left / self.compile(node.right, True).replace(0.0, None)  # x / 0 is null
        right = self.compile(node.right, True)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        # checked at once: implementations differ on powers of infinities (polars takes
        # x ** 0.5 as a square root: NaN for -inf, where IEEE pow gives inf)
        return self.finite(left.pow(right))

    def constant(self, node: ast.expr) -> float | None:
        """The value of ``node`` when it is the same for every account: numbers written in
        the expression and parameters that no segment changes."""
        if any(isinstance(n, ast.Name) and self.parameter(n.id) is not None
               for n in ast.walk(node)):
            return None
        return constant_number(node, self.constants)

    def compare(self, op: ast.cmpop, left_node: ast.expr, right_node: ast.expr) -> "pl.Expr":
        left = self.compile(left_node)
        if type(op) in MEMBERSHIP:
            values = [literal(e) for e in right_node.elts]  # type: ignore[attr-defined]
            member = left.is_in(values)  # null for a null value
            return member if isinstance(op, ast.In) else member.not_()
        right = self.compile(right_node)
        return {ast.Eq: left.eq, ast.NotEq: left.ne, ast.Lt: left.lt, ast.LtE: left.le,
                ast.Gt: left.gt, ast.GtE: left.ge}[type(op)](right)
