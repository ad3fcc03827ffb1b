"""Compiling a ruleset: safe YAML, JSON Schema, then the checks a schema cannot express, one
module per section of the ruleset (:mod:`.indicators`, :mod:`.groups`, :mod:`.actions`,
:mod:`.tiers`, :mod:`.segments`, :mod:`.alerts`), run in turn by :mod:`.load`.

Every problem becomes a :class:`~healthcore.errors.Diagnostic` with file, line, column and path;
all problems of a file are raised together in one :class:`~healthcore.errors.RulesetError`.
"""

from healthcore.ruleset.compiler.load import load_ruleset, loads_ruleset

__all__ = ["load_ruleset", "loads_ruleset"]
