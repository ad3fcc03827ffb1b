"""``previous(...)`` in an expression: the account's values in the score history."""

from __future__ import annotations

import ast
from typing import Any, Mapping

from healthcore.ruleset.expressions.limits import MAX_LOOKBACK_DAYS
from healthcore.ruleset.expressions.syntax import ExpressionError, column, constant_number

HISTORY_REFERENCE = "previous"
"""``previous(NAME)`` is the account's NAME in the run before this one; ``previous(NAME, DAYS)``
its NAME in the latest run at least DAYS days before this one. NAME is ``score``, ``tier`` or an
indicator id (its value). Without a history, or for an account not in that run, it is null."""


class HistoryReferences:
    """Replaces each ``previous(NAME[, DAYS])`` call by a name that the engine fills from the
    score history, after checking its arguments."""

    def __init__(self, constants: Mapping[str, Any], source: str):
        self.constants = constants
        self.source = source
        self.found: dict[str, tuple[str, int]] = {}
        self.columns: dict[str, int] = {}

    def replace(self, tree: ast.expr) -> ast.expr:
        """``tree`` with its ``previous(...)`` calls replaced, walked in order without
        recursion."""
        holder = ast.Expression(body=tree)
        stack: list[tuple[ast.AST, str, int | None]] = [(holder, "body", None)]
        while stack:
            parent, name, index = stack.pop()
            node = getattr(parent, name) if index is None else getattr(parent, name)[index]
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                    node.func.id == HISTORY_REFERENCE:
                if index is None:
                    setattr(parent, name, self.reference(node))
                else:
                    getattr(parent, name)[index] = self.reference(node)
                continue
            children: list[tuple[ast.AST, str, int | None]] = []
            for field_name, value in ast.iter_fields(node):
                if isinstance(value, list):
                    children += [(node, field_name, i) for i, item in enumerate(value)
                                 if isinstance(item, ast.AST)]
                elif isinstance(value, ast.AST):
                    children.append((node, field_name, None))
            stack.extend(reversed(children))
        return holder.body

    def reference(self, node: ast.Call) -> ast.Name:
        """The name standing for one ``previous(...)`` call, recorded in ``found``."""
        usage = ("previous() takes what to look back at and, optionally, how many days back: "
                 "previous(score), previous(tier), previous(usage, 30) for an indicator 'usage'")
        where = column(self.source, node)
        if node.keywords or not 1 <= len(node.args) <= 2 or not isinstance(node.args[0],
                                                                          ast.Name):
            raise ExpressionError(usage, where)
        reference = node.args[0].id
        days = 0
        if len(node.args) == 2:
            number = constant_number(node.args[1], self.constants)
            if number is None or number != int(number) or not 0 <= number <= MAX_LOOKBACK_DAYS:
                raise ExpressionError(f"previous({reference}, ...): the days back must be a "
                                      f"whole number from 0 to {MAX_LOOKBACK_DAYS}, written in "
                                      "the expression", column(self.source, node.args[1]))
            days = int(number)
        name = f"previous({reference})" if days == 0 else f"previous({reference}, {days})"
        self.found[name] = (reference, days)
        self.columns.setdefault(name, where)
        return ast.copy_location(ast.Name(id=name, ctx=ast.Load()), node)

