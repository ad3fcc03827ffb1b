"""Ruleset expressions: parsed once, checked when the ruleset loads, evaluated column-wise.

:func:`parse` (:mod:`.parse`, with :mod:`.checker` and :mod:`.history`) turns the text into a
checked :class:`Expression`; :meth:`Expression.to_polars` (:mod:`.compile`) compiles its tree to
one polars expression for a whole batch and :meth:`Expression.evaluate` (:mod:`.scalar`)
evaluates it for one account with simpleeval; both give the same answers.

Null (a missing value) propagates through arithmetic and comparisons; a null condition is not true;
``and``/``or`` follow three-valued logic; division by zero is null, and so is an arithmetic result
that is not finite (checked where a chain of arithmetic ends, and after each power: inside a
chain IEEE rules apply).
"""

from healthcore.ruleset.expressions.expression import Expression
from healthcore.ruleset.expressions.history import HISTORY_REFERENCE
from healthcore.ruleset.expressions.limits import (MAX_DEPTH, MAX_EXPONENT, MAX_LENGTH,
                                                   MAX_LOOKBACK_DAYS, MAX_NODES, MAX_TEXT)
from healthcore.ruleset.expressions.parse import parse
from healthcore.ruleset.expressions.syntax import ExpressionError

__all__ = [
    "Expression", "ExpressionError", "HISTORY_REFERENCE", "MAX_DEPTH", "MAX_EXPONENT",
    "MAX_LENGTH", "MAX_LOOKBACK_DAYS", "MAX_NODES", "MAX_TEXT", "parse",
]
