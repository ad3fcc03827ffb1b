"""Finding plugins and collecting what they register.

Order: the built-in plugins (through the very hooks third-party plugins use), then the
``healthcore`` entry points of installed distributions, then the modules given with ``--plugin``.
A plugin that fails to import or to register is reported by name and the others still load.
Setting ``HEALTHCORE_DISABLE_PLUGINS=1`` skips the entry points (built-ins and ``--plugin``
modules still load), which makes a run independent of what else is installed.
"""

from __future__ import annotations

import importlib
import os
import re
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import entry_points
from typing import Any, Callable, Iterable

import pluggy

from healthcore.plugin import hookspecs
from healthcore.errors import PluginError
from healthcore.plugin.functions import ExpressionFunction
from healthcore.plugin.metric import Metric

ENTRY_POINT_GROUP = "healthcore"
DISABLE_ENV = "HEALTHCORE_DISABLE_PLUGINS"
BUILTIN_PLUGINS = ("healthcore.builtin.metrics", "healthcore.builtin.customer",
                   "healthcore.builtin.revenue", "healthcore.builtin.usage",
                   "healthcore.builtin.functions")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_INPUT_KINDS = {"number", "count", "numbers", "text", "boolean", "expression"}


@dataclass(frozen=True)
class PluginInfo:
    """A loaded plugin: its name and where it came from (builtin, entry point, command line)."""

    name: str
    source: str
    version: str = ""


@dataclass(frozen=True)
class AlertReceiver:
    """A plugin's ``healthcore_deliver_alerts`` implementation."""

    plugin: str
    function: Callable[..., Any]
    argnames: tuple[str, ...]


@dataclass
class Registry:
    """Every metric and expression function available, each knowing its plugin."""

    metrics: dict[str, Metric] = field(default_factory=dict)
    functions: dict[str, ExpressionFunction] = field(default_factory=dict)
    plugins: list[PluginInfo] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    conflicts: dict[str, list[str]] = field(default_factory=dict)
    alert_receivers: list[AlertReceiver] = field(default_factory=list)
    """The plugins that deliver alerts, in registration order."""
    entry_points: bool = True
    """Whether the plugins of installed distributions were loaded."""


def load_registry(extra_plugins: Iterable[str] = (), *, entry_point_plugins: bool | None = None
                  ) -> Registry:
    """Load all plugins and return what they register.

    ``extra_plugins`` are importable module paths (as ``--plugin`` gives them).
    ``entry_point_plugins`` defaults to true unless ``HEALTHCORE_DISABLE_PLUGINS`` is set.
    Raises :class:`PluginError` only when an ``extra_plugins`` module cannot be imported, since
    the user asked for it by name.
    """
    manager = pluggy.PluginManager("healthcore")
    manager.add_hookspecs(hookspecs)
    registry = Registry()
    for module_name in BUILTIN_PLUGINS:
        manager.register(importlib.import_module(module_name), name=module_name)
        registry.plugins.append(PluginInfo(module_name, "builtin"))
    if entry_point_plugins is None:
        entry_point_plugins = os.environ.get(DISABLE_ENV, "") in ("", "0")
    registry.entry_points = entry_point_plugins
    if entry_point_plugins:
        _load_entry_points(manager, registry)
    for module_name in extra_plugins:
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:
            raise PluginError(f"cannot import plugin module '{module_name}': "
                              f"{type(exc).__name__}: {exc}") from exc
        if manager.is_registered(module):
            continue
        try:
            manager.register(module, name=module_name)
        except pluggy.PluginValidationError as exc:
            raise PluginError(f"plugin module '{module_name}' does not fit healthcore's hooks: "
                              f"{exc}") from exc
        registry.plugins.append(PluginInfo(module_name, "command line"))
    _drop_plugins_with_unknown_hooks(manager, registry)
    _collect(manager, "healthcore_register_metrics", registry, _add_metric)
    _collect(manager, "healthcore_register_functions", registry, _add_function)
    registry.alert_receivers = [
        AlertReceiver(impl.plugin_name, impl.function, tuple(impl.argnames))
        for impl in manager.hook.healthcore_deliver_alerts.get_hookimpls()]
    return registry


@cache
def default_registry() -> Registry:
    """The registry of the built-in and installed plugins, loaded once per process."""
    return load_registry()


def _drop_plugins_with_unknown_hooks(manager: pluggy.PluginManager, registry: Registry) -> None:
    """A misspelt hook would be silently ignored by pluggy: report and unregister its plugin."""
    while True:
        try:
            manager.check_pending()
            return
        except pluggy.PluginValidationError as exc:
            name = manager.get_name(exc.plugin) or repr(exc.plugin)
            registry.problems.append(f"plugin '{name}' was skipped: {exc}")
            manager.unregister(exc.plugin)
            registry.plugins = [p for p in registry.plugins if p.name != name]


def _load_entry_points(manager: pluggy.PluginManager, registry: Registry) -> None:
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        if manager.has_plugin(entry_point.name):
            continue
        try:
            manager.register(entry_point.load(), name=entry_point.name)
        except Exception as exc:
            registry.problems.append(
                f"plugin '{entry_point.name}' ({entry_point.value}) failed to load and was "
                f"skipped: {type(exc).__name__}: {exc}")
            continue
        version = entry_point.dist.version if entry_point.dist else ""
        registry.plugins.append(PluginInfo(entry_point.name, "entry point", version))


def _collect(manager: pluggy.PluginManager, hook_name: str, registry: Registry,
             add: Callable[[Registry, str, Any], None]) -> None:
    """Call one hook plugin by plugin, in registration order (built-ins first), so that each
    registration knows its plugin, and a plugin that raises is named and skipped as a whole
    (nothing it registered before raising is kept) without losing the others."""
    hook = getattr(manager.hook, hook_name)
    for impl in hook.get_hookimpls():
        items: list[Any] = []
        try:
            impl.function(**{arg: items.append for arg in impl.argnames})
        except Exception as exc:
            registry.problems.append(f"plugin '{impl.plugin_name}' raised in {hook_name} and "
                                     f"was skipped: {type(exc).__name__}: {exc}")
            continue
        for item in items:
            add(registry, impl.plugin_name, item)


def _add_metric(registry: Registry, plugin: str, metric: Any) -> None:
    problem = _metric_problem(metric, check_schema=plugin not in BUILTIN_PLUGINS)
    if problem:
        registry.problems.append(f"plugin '{plugin}' registered an invalid metric: {problem}")
        return
    metric = _with_plugin(metric, plugin)
    existing = registry.metrics.get(metric.name)
    if existing is not None or metric.name in registry.conflicts:
        owners = registry.conflicts.setdefault(metric.name, [existing.plugin] if existing else [])
        owners.append(plugin)
        registry.metrics.pop(metric.name, None)
        registry.problems.append(f"metric '{metric.name}' is registered by several plugins "
                                 f"({', '.join(owners)}); uninstall one of them")
        return
    registry.metrics[metric.name] = metric


def _add_function(registry: Registry, plugin: str, function: Any) -> None:
    if not isinstance(function, ExpressionFunction):
        registry.problems.append(f"plugin '{plugin}' registered {function!r}, "
                                 "which is not an ExpressionFunction")
        return
    if not _NAME.fullmatch(function.name or ""):
        registry.problems.append(f"plugin '{plugin}' registered a function with the invalid "
                                 f"name {function.name!r}")
        return
    existing = registry.functions.get(function.name)
    if existing is not None:
        registry.problems.append(f"function '{function.name}' is registered by several plugins "
                                 f"({existing.plugin}, {plugin}); the one of "
                                 f"'{existing.plugin}' is used")
        return
    registry.functions[function.name] = _with_plugin(function, plugin)


def _with_plugin(item: Any, plugin: str) -> Any:
    from dataclasses import replace
    return replace(item, plugin=plugin)


def _metric_problem(metric: Any, *, check_schema: bool = True) -> str | None:
    """What is wrong with a registered metric, if anything. The parameter schemas of the
    built-in metrics are checked by the test suite rather than at every start (checking a
    schema against the JSON Schema meta-schema is slow)."""
    if not isinstance(metric, Metric):
        return f"{metric!r} is not a healthcore.Metric"
    if not _NAME.fullmatch(metric.name or ""):
        return (f"the name {metric.name!r} must be lower case letters, digits and '_', "
                "starting with a letter")
    if not callable(metric.compute):
        return f"'{metric.name}': compute is not callable"
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError
    try:
        if check_schema:
            Draft202012Validator.check_schema(dict(metric.parameters))
    except SchemaError as exc:
        return f"'{metric.name}': its parameter schema is not valid JSON Schema: {exc.message}"
    properties = metric.parameters.get("properties", {})
    for param, kind in metric.inputs.items():
        if param not in properties:
            return f"'{metric.name}': input '{param}' is not a property of its parameter schema"
        if kind not in _INPUT_KINDS:
            return (f"'{metric.name}': input '{param}' has the unknown kind {kind!r} "
                    f"(use one of {', '.join(sorted(_INPUT_KINDS))})")
    return None
