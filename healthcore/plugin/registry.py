"""Finding plugins and collecting what they register.

Order: the built-in plugins (through the very hooks third-party plugins use), then the
``healthcore`` entry points of installed distributions, then the modules given by name
(``extra_plugins``). A plugin that fails to import or to register is reported by name and the
others still load.

``HEALTHCORE_DISABLE_PLUGINS`` set to ``1`` skips the entry points (built-ins and the modules
given by name still load), which makes a run independent of what else is installed; set to a
comma-separated list of plugin names (``billing,usage``), it skips those plugins only.
``HEALTHCORE_TRACE_PLUGINS=1`` writes pluggy's trace of every hook call to standard error.
"""

from __future__ import annotations

import importlib
import os
import sys
from dataclasses import dataclass, field, replace
from functools import cache
from importlib.metadata import entry_points
from typing import Any, Callable, Iterable, Mapping

import pluggy

from healthcore.errors import PluginError
from healthcore.plugin import hookspecs
from healthcore.plugin.alert import Alert
from healthcore.plugin.checks import function_problem, metric_problem, parameter_schema_problem
from healthcore.plugin.functions import ExpressionFunction
from healthcore.plugin.metric import Metric

ENTRY_POINT_GROUP = "healthcore"
DISABLE_ENV = "HEALTHCORE_DISABLE_PLUGINS"
TRACE_ENV = "HEALTHCORE_TRACE_PLUGINS"
BUILTIN_PLUGINS = ("healthcore.builtin.metrics", "healthcore.builtin.customer",
                   "healthcore.builtin.revenue", "healthcore.builtin.usage",
                   "healthcore.builtin.functions")


@dataclass(frozen=True)
class PluginInfo:
    """A loaded plugin: its name and where it came from (builtin, entry point, command line)."""

    name: str
    source: str
    version: str = ""


@dataclass(frozen=True)
class AlertReceiver:
    """A plugin that implements ``healthcore_deliver_alerts``."""

    plugin: str
    hook: Callable[..., Any]
    """pluggy's caller of the hook, restricted to this plugin's implementation."""

    def deliver(self, alerts: list[Alert]) -> None:
        """Hand ``alerts`` to the plugin; what it raises propagates."""
        self.hook(alerts=alerts)


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
    _schema_problems: dict[str, str | None] = field(default_factory=dict, init=False, repr=False, compare=False)
    _shipped_schemas: dict[str, Mapping[str, Any]] = field(default_factory=dict, init=False,
                                                           repr=False, compare=False)
    """The parameter schemas of the metrics the built-in plugins declare (``METRICS``), by
    metric name: valid JSON Schema, as the test suite checks."""

    def schema_problem(self, name: str) -> str | None:
        """Why the parameter schema of the metric ``name`` is not valid JSON Schema, if it is
        not; checked once per metric, when it is first asked about (a ruleset that uses the
        metric, or :meth:`check_parameter_schemas`), since the check is costly. The very
        schema a built-in plugin declares is known to be valid and is not checked again."""
        if name not in self._schema_problems:
            metric = self.metrics[name]
            shipped = self._shipped_schemas.get(name) is metric.parameters
            self._schema_problems[name] = None if shipped else parameter_schema_problem(metric)
        return self._schema_problems[name]

    def check_parameter_schemas(self) -> list[str]:
        """Check the parameter schema of every metric: the metrics whose schema is not valid
        JSON Schema are dropped and reported in :attr:`problems`. Returns the problems found."""
        found = []
        for name, metric in list(self.metrics.items()):
            problem = self.schema_problem(name)
            if problem:
                found.append(f"plugin '{metric.plugin}' registered an invalid metric: "
                             f"'{name}': {problem}")
                del self.metrics[name]
        self.problems.extend(found)
        return found


def load_registry(extra_plugins: Iterable[str] = (), *, entry_point_plugins: bool | None = None,
                  disabled: Iterable[str] = ()) -> Registry:
    """Load all plugins and return what they register.

    ``extra_plugins`` are importable module paths (as ``--plugin`` gives them).
    ``entry_point_plugins`` defaults to true unless ``HEALTHCORE_DISABLE_PLUGINS`` is ``1``.
    ``disabled`` names plugins not to load (not even import), built-in ones included, in
    addition to those ``HEALTHCORE_DISABLE_PLUGINS`` lists; a name that no plugin has is
    reported in the problems. Raises :class:`PluginError` only when an ``extra_plugins``
    module cannot be imported, since the user asked for it by name.
    """
    extra_plugins = tuple(extra_plugins)
    skip_entry_points, disabled_by_environment = _disabling_from_environment()
    manager = _plugin_manager()
    blocked = {*disabled_by_environment, *disabled}
    for name in blocked:
        manager.set_blocked(name)
    registry = Registry()
    for module_name in BUILTIN_PLUGINS:
        if not manager.is_blocked(module_name):
            module = importlib.import_module(module_name)
            manager.register(module, name=module_name)
            registry.plugins.append(PluginInfo(module_name, "builtin"))
            registry._shipped_schemas.update(
                (metric.name, metric.parameters) for metric in getattr(module, "METRICS", ()))
    if entry_point_plugins is None:
        entry_point_plugins = not skip_entry_points
    registry.entry_points = entry_point_plugins
    found = {*BUILTIN_PLUGINS, *extra_plugins}
    if entry_point_plugins:
        found.update(_load_entry_points(manager, registry))
    for module_name in extra_plugins:
        if not manager.is_blocked(module_name):
            _load_module(manager, registry, module_name)
    _drop_plugins_with_unknown_hooks(manager, registry)
    unknown = sorted(blocked - found)
    if unknown:
        registry.problems.append(
            f"no plugin named {', '.join(repr(name) for name in unknown)} to disable; the "
            f"plugins loaded are: {', '.join(p.name for p in registry.plugins) or 'none'}")
    _collect(manager, "healthcore_register_metrics", registry, _add_metric)
    _collect(manager, "healthcore_register_functions", registry, _add_function)
    registry.alert_receivers = [
        AlertReceiver(name, _caller(manager, "healthcore_deliver_alerts", name))
        for name in _implementers(manager, "healthcore_deliver_alerts", registry)]
    return registry


@cache
def default_registry(disabled: tuple[str, ...] = ()) -> Registry:
    """The registry of the built-in and installed plugins but ``disabled`` (plugin names),
    loaded once per process."""
    return load_registry(disabled=disabled)


def _disabling_from_environment() -> tuple[bool, tuple[str, ...]]:
    """What ``HEALTHCORE_DISABLE_PLUGINS`` disables: whether every entry point (``1``), and
    which plugins by name (a comma-separated list)."""
    value = os.environ.get(DISABLE_ENV, "").strip()
    if value in ("", "0"):
        return False, ()
    if value == "1":
        return True, ()
    return False, tuple(name.strip() for name in value.split(",") if name.strip())


def _plugin_manager() -> pluggy.PluginManager:
    """pluggy's manager of healthcore's hooks, tracing every hook call to standard error when
    ``HEALTHCORE_TRACE_PLUGINS`` is set."""
    manager = pluggy.PluginManager("healthcore")
    manager.add_hookspecs(hookspecs)
    if os.environ.get(TRACE_ENV, "") not in ("", "0"):
        manager.trace.root.setwriter(lambda text: sys.stderr.write(text))
        manager.enable_tracing()
    return manager


def _load_module(manager: pluggy.PluginManager, registry: Registry, module_name: str) -> None:
    """Register the module a user named as a plugin; :class:`PluginError` if it cannot be."""
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise PluginError(f"cannot import plugin module '{module_name}': "
                          f"{type(exc).__name__}: {exc}") from exc
    if manager.is_registered(module):
        return
    try:
        manager.register(module, name=module_name)
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"plugin module '{module_name}' does not fit healthcore's hooks: "
                          f"{exc}") from exc
    registry.plugins.append(PluginInfo(module_name, "command line"))


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


def _load_entry_points(manager: pluggy.PluginManager, registry: Registry) -> set[str]:
    """Register the plugins of the ``healthcore`` entry points but the blocked ones (which are
    not even imported); return the names of all the entry points."""
    names = set()
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        names.add(entry_point.name)
        if manager.has_plugin(entry_point.name) or manager.is_blocked(entry_point.name):
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
    return names


def _implementers(manager: pluggy.PluginManager, hook_name: str, registry: Registry
                  ) -> list[str]:
    """The plugins implementing ``hook_name`` (hook wrappers aside), in load order."""
    hook = getattr(manager.hook, hook_name)
    names = {impl.plugin_name for impl in hook.get_hookimpls()
             if not (impl.hookwrapper or impl.wrapper)}
    return [plugin.name for plugin in registry.plugins if plugin.name in names]


def _caller(manager: pluggy.PluginManager, hook_name: str, plugin: str) -> Callable[..., Any]:
    """pluggy's caller of ``hook_name`` restricted to the implementation of ``plugin``: what
    the call gives is that plugin's, and the other plugins' hook wrappers and pluggy's tracing
    still apply."""
    hook = getattr(manager.hook, hook_name)
    others = [impl.plugin for impl in hook.get_hookimpls()
              if not (impl.hookwrapper or impl.wrapper) and impl.plugin_name != plugin]
    return manager.subset_hook_caller(hook_name, remove_plugins=others)


def _collect(manager: pluggy.PluginManager, hook_name: str, registry: Registry,
             add: Callable[[Registry, str, Any], None]) -> None:
    """Call one registering hook plugin by plugin, so that each registration knows its plugin,
    and a plugin that raises is named and skipped as a whole (nothing it registered before
    raising is kept) without losing the others. The plugins are called in pluggy's order
    (``tryfirst``, ``trylast``, the last loaded first); what they register is added in load
    order (built-ins first), which settles a name registered twice."""
    hook = getattr(manager.hook, hook_name)
    calling_order = [impl.plugin_name for impl in reversed(hook.get_hookimpls())
                     if not (impl.hookwrapper or impl.wrapper)]
    registered: dict[str, list[Any]] = {}
    for plugin in calling_order:
        items: list[Any] = []
        try:
            _caller(manager, hook_name, plugin)(register=items.append)
        except Exception as exc:
            registry.problems.append(f"plugin '{plugin}' raised in {hook_name} and "
                                     f"was skipped: {type(exc).__name__}: {exc}")
            continue
        registered[plugin] = items
    for plugin in _implementers(manager, hook_name, registry):
        for item in registered.get(plugin, ()):
            add(registry, plugin, item)


def _add_metric(registry: Registry, plugin: str, metric: Any) -> None:
    problem = metric_problem(metric)
    if problem:
        registry.problems.append(f"plugin '{plugin}' registered an invalid metric: {problem}")
        return
    metric = replace(metric, plugin=plugin)
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
    problem = function_problem(function)
    if problem:
        registry.problems.append(f"plugin '{plugin}' registered {problem}")
        return
    existing = registry.functions.get(function.name)
    if existing is not None:
        registry.problems.append(f"function '{function.name}' is registered by several plugins "
                                 f"({existing.plugin}, {plugin}); the one of "
                                 f"'{existing.plugin}' is used")
        return
    registry.functions[function.name] = replace(function, plugin=plugin)
