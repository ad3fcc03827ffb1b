"""Rulesets: the YAML a ruleset author writes, checked and compiled into what the engine runs.

:func:`load_ruleset` (:mod:`.compiler`) reads a file (:mod:`.source`), validates it against the
JSON Schema (:mod:`.schema`), parses its expressions (:mod:`.expressions`) and builds a
:class:`Ruleset` (:mod:`.model`) with its indicators, their normalizers (:mod:`.normalizers`),
actions, tiers, groups, segments and alerts.
"""

from healthcore.ruleset.compiler import load_ruleset, loads_ruleset
from healthcore.ruleset.expressions import Expression, ExpressionError
from healthcore.ruleset.model import (DEFAULT_SEGMENT, Action, AlertRule, Group, Indicator, Input,
                                      MissingPolicy, Ruleset, Segment, Tier)
from healthcore.ruleset.normalizers import (Band, Bands, ExpressionNormalizer, Linear, Normalizer,
                                            Target)

__all__ = [
    "DEFAULT_SEGMENT", "Action", "AlertRule", "Band", "Bands", "Expression", "ExpressionError",
    "ExpressionNormalizer", "Group", "Indicator", "Input", "Linear", "MissingPolicy",
    "Normalizer", "Ruleset", "Segment", "Target", "Tier", "load_ruleset", "loads_ruleset",
]
