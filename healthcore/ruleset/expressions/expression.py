"""A parsed, checked expression, and the two ways to evaluate it."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

from healthcore.plugin.functions import ExpressionFunction, Kind
from healthcore.ruleset.expressions.compile import ColumnOf, ParameterOf, PolarsCompiler
from healthcore.ruleset.expressions.scalar import evaluate

if TYPE_CHECKING:
    import polars as pl


@dataclass
class Expression:
    """A parsed, checked expression. ``names`` maps each name it reads to its kind."""

    source: str
    tree: ast.expr
    kind: Kind
    names: dict[str, Kind] = field(default_factory=dict)
    functions: Mapping[str, ExpressionFunction] = field(default_factory=dict)
    constants: Mapping[str, Any] = field(default_factory=dict)
    parameters: frozenset[str] = frozenset()
    """The ruleset parameters this expression reads."""
    history: dict[str, tuple[str, int]] = field(default_factory=dict)
    """The values it reads from the score history: column name (such as ``previous(usage,
    30)``) -> (``score``, ``tier`` or an indicator id; days back, 0 for the previous run)."""

    @property
    def fields(self) -> dict[str, Kind]:
        """The names this expression reads from the account (not constants nor history)."""
        return {n: k for n, k in self.names.items()
                if n not in self.constants and n not in self.history}

    def to_polars(self, column: ColumnOf, parameter: ParameterOf | None = None) -> "pl.Expr":
        """Compile to a polars expression; ``column(name, kind)`` gives each field's column,
        ``parameter(name)`` a parameter's column where it varies by account (else None)."""
        return PolarsCompiler(self.names, self.constants, self.functions, column,
                              parameter).compile(self.tree)

    def evaluate(self, values: Mapping[str, Any],
                 parameters: Mapping[str, Any] | None = None) -> Any:
        """Evaluate for one account whose (already converted) field values are ``values``;
        ``parameters`` may give other values to some parameters (a segment's)."""
        names = {**{n: values.get(n) for n in self.names if n not in self.constants},
                 **self.constants,
                 **{n: v for n, v in (parameters or {}).items() if n in self.constants}}
        return evaluate(self.tree, self.functions, names)
