"""The hooks healthcore calls on its plugins.

A plugin is a module (or object) with functions named like the hooks below and marked with
``@healthcore.plugin.hookimpl``. Hooks are called with keyword arguments only, so a hook may take
fewer arguments than its specification lists, and new arguments can be added without breaking
plugins. Plugins are found through the ``healthcore`` entry-point group; the built-in metrics and
functions are registered through these same hooks.
"""

from __future__ import annotations

from typing import Callable

import pluggy

from healthcore.plugin.alert import Alert
from healthcore.plugin.functions import ExpressionFunction
from healthcore.plugin.metric import Metric

hookspec = pluggy.HookspecMarker("healthcore")
hookimpl = pluggy.HookimplMarker("healthcore")


@hookspec
def healthcore_register_metrics(register: Callable[[Metric], None]) -> None:
    """Register the metrics this plugin provides, by calling ``register(Metric(...))`` once per
    metric.

    A metric has a name, a one-line summary, a JSON Schema for its parameters (with defaults and
    descriptions), the parameters that name input fields and their kinds, and its computation,
    vectorized (polars expressions in, one out) or per account. healthcore records which plugin
    registered each metric; two plugins registering the same name is an error that names both.
    """


@hookspec
def healthcore_register_functions(register: Callable[[ExpressionFunction], None]) -> None:
    """Register functions callable from ruleset expressions, by calling
    ``register(ExpressionFunction(...))`` once per function.

    Each function has a batch implementation over polars expressions and a scalar one over
    Python values; both must give the same results, including for null (None) arguments.
    """


@hookspec
def healthcore_deliver_alerts(alerts: list[Alert]) -> None:
    """Deliver alerts raised by runs recorded in a score history (a webhook, a chat message,
    a ticket...). The raised alerts are queued in the history's outbox with the run; once the
    run is committed, this hook is called with the alerts waiting for this plugin (this run's
    and any an earlier run left undelivered), and they are marked delivered when it returns.

    Delivery is at least once: if the hook raises, or the process is killed while it works,
    the alerts stay waiting and the next run recorded in the history, or ``healthcore deliver
    --history DB``, hands them over again. Each alert is an :class:`~healthcore.plugin.Alert`
    (a dict): ``id`` (stable: the same for the same episode on every delivery, so a receiver
    can drop duplicates), ``alert`` (its id in the ruleset), ``label``, ``severity`` (info,
    warning or critical), ``account_id``, ``score``, ``tier``, ``since`` (the date its episode
    began), ``message``, ``ruleset`` and ``as_of``. An exception is reported naming the
    plugin; the run and its alerts stay recorded (``healthcore alerts`` lists them) and the
    other plugins still get theirs.
    """
