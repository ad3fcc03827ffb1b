"""Everything a plugin author imports: the contract between healthcore and its plugins::

    from healthcore.plugin import Metric, hookimpl

    @hookimpl
    def healthcore_register_metrics(register):
        register(Metric("seats_used", "share of the seats in use", seats_used))

The hooks are specified in :mod:`healthcore.plugin.hookspecs`; a plugin's tests use the kit in
:mod:`healthcore.plugin.testing` (imported on its own: it loads the engine).
"""

from __future__ import annotations

from healthcore.plugin import hookspecs
from healthcore.plugin.alert import Alert, Severity
from healthcore.plugin.functions import ExpressionFunction, Kind, divisor_column
from healthcore.plugin.hookspecs import hookimpl
from healthcore.plugin.metric import (AccountCompute, AccountValue, Compute, Computed, InputKind,
                                      Metric, VectorCompute)
from healthcore.plugin.registry import (AlertReceiver, PluginInfo, Registry, default_registry,
                                        load_registry)

__all__ = [
    "AccountCompute", "AccountValue", "Alert", "AlertReceiver", "Compute", "Computed",
    "ExpressionFunction", "InputKind", "Kind", "Metric", "PluginInfo", "Registry", "Severity",
    "VectorCompute", "default_registry", "divisor_column", "hookimpl", "hookspecs",
    "load_registry",
]
