"""healthcore: a rules engine for configurable customer health scores.

>>> import healthcore
>>> ruleset = healthcore.load_ruleset("rulesets/saas-b2b.yaml")
>>> results = healthcore.score(ruleset, [{"account_id": "a1", "nps_promoters": 6, ...}])

Heavy libraries (polars) are imported when accounts are scored, not when healthcore is imported.
"""

from __future__ import annotations

from healthcore.errors import (Diagnostic, HealthcoreError, InputError, MetricError, OutputError,
                     PluginError, RulesetError)
from healthcore.plugin.functions import ExpressionFunction
from healthcore.plugin.hookspecs import hookimpl
from healthcore.ruleset import Ruleset, load_ruleset, loads_ruleset
from healthcore.plugin.metric import Computed, Metric

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from healthcore.engine import Results, score

__version__ = "0.1.0"

__all__ = [
    "Computed", "Diagnostic", "ExpressionFunction", "HealthcoreError", "InputError", "Metric",
    "MetricError", "OutputError", "PluginError", "Ruleset", "RulesetError", "hookimpl",
    "Results", "load_ruleset", "loads_ruleset", "score",
]


def __getattr__(name: str) -> Any:
    """``score`` and ``Results`` come from the engine, imported (with polars) on first use."""
    if name in {"score", "Results"}:
        import healthcore.engine

        return getattr(healthcore.engine, name)
    raise AttributeError(f"module 'healthcore' has no attribute {name!r}")
