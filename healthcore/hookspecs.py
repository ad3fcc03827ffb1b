"""The whole contract between healthcore and its plugins.

A plugin is a module (or object) with functions named like the hooks below and marked with
``@healthcore.hookimpl``. Hooks are called with keyword arguments only, so a hook may take fewer
arguments than its specification lists, and new arguments can be added without breaking plugins.
Plugins are found through the ``healthcore`` entry-point group; the built-in metrics and functions
are registered through these same hooks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import pluggy

if TYPE_CHECKING:
    from .expressions import ExpressionFunction
    from .metric import Metric

hookspec = pluggy.HookspecMarker("healthcore")
hookimpl = pluggy.HookimplMarker("healthcore")


@hookspec
def healthcore_register_metrics(register: Callable[["Metric"], None]) -> None:
    """Register the metrics this plugin provides, by calling ``register(Metric(...))`` once per
    metric.

    A metric has a name, a one-line summary, a JSON Schema for its parameters (with defaults and
    descriptions), the parameters that name input fields and their kinds, and its computation,
    vectorized (polars expressions in, one out) or per account. healthcore records which plugin
    registered each metric; two plugins registering the same name is an error that names both.
    """


@hookspec
def healthcore_register_functions(register: Callable[["ExpressionFunction"], None]) -> None:
    """Register functions callable from ruleset expressions, by calling
    ``register(ExpressionFunction(...))`` once per function.

    Each function has a batch implementation over polars expressions and a scalar one over
    Python values; both must give the same results, including for null (None) arguments.
    """


@hookspec
def healthcore_deliver_alerts(alerts: list[dict[str, Any]]) -> None:
    """Deliver the alerts a run recorded in a score history has just raised (a webhook, a chat
    message, a ticket...). Called once per run, after the run is committed, only when it
    raised alerts.

    Each alert is a dict: ``alert`` (its id in the ruleset), ``label``, ``severity`` (info,
    warning or critical), ``account_id``, ``score``, ``tier``, ``since`` (the date its episode
    began), ``message``, ``ruleset`` and ``as_of``. An alert is raised once per episode, so a
    plugin may send each one it receives. An exception is reported naming the plugin; the run
    and its alerts stay recorded (``healthcore alerts`` lists them).
    """
