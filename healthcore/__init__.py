"""healthcore: a rules engine for configurable customer health scores.

>>> import healthcore
>>> ruleset = healthcore.load_ruleset("rulesets/saas-b2b.yaml")
>>> results = ruleset.score([{"account_id": "a1", "nps_promoters": 6, ...}])

Heavy libraries (polars) are imported when accounts are scored, not when healthcore is imported.
"""

from __future__ import annotations

from .errors import (Diagnostic, HealthcoreError, InputError, MetricError, OutputError,
                     PluginError, RulesetError)
from .expressions import ExpressionFunction
from .hookspecs import hookimpl
from .loader import load_ruleset, loads_ruleset
from .metric import Computed, Metric
from .ruleset import Ruleset

__version__ = "0.1.0"

__all__ = [
    "Computed", "Diagnostic", "ExpressionFunction", "HealthcoreError", "InputError", "Metric",
    "MetricError", "OutputError", "PluginError", "Ruleset", "RulesetError", "hookimpl",
    "load_ruleset", "loads_ruleset",
]
