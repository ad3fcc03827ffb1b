"""An indicator's metric, found in the plugin registry, and the inputs it reads: account fields
or expressions."""

from __future__ import annotations

from typing import Any, Mapping

from healthcore.errors import DocPath, did_you_mean
from healthcore.plugin.metric import Metric
from healthcore.ruleset.compiler.context import Compilation
from healthcore.ruleset.model import Input

_FIELD_KINDS: dict[str, str] = {"number": "number", "count": "number", "numbers": "numbers",
                                "text": "text", "boolean": "boolean"}
"""The declared kind of field that each kind of metric input reads."""


def compile_metric(compilation: Compilation, path: DocPath, name: Any) -> Metric | None:
    """The metric named ``name``, or None if there is no such metric or its parameter schema
    is not valid JSON Schema (reported)."""
    if not isinstance(name, str):
        return None
    registry = compilation.registry
    metric = registry.metrics.get(name)
    if metric is not None:
        problem = registry.schema_problem(name)
        if problem is None:
            return metric
        compilation.problem(path + ("metric",), f"the metric '{name}' of plugin "
                                                f"'{metric.plugin}' cannot be used: {problem}",
                            code="invalid-metric")
        return None
    if name in registry.conflicts:
        owners = ", ".join(registry.conflicts[name])
        compilation.problem(path + ("metric",), f"the metric '{name}' is registered by several "
                                                f"plugins ({owners}); uninstall one of them",
                            code="metric-conflict")
        return None
    hint = did_you_mean(name, registry.metrics) or (
        " (run 'healthcore plugins' to list the metrics)" if registry.entry_points else
        " (installed plugins are not loaded: HEALTHCORE_DISABLE_PLUGINS is set)")
    compilation.problem(path + ("metric",), f"unknown metric '{name}'{hint}",
                        code="unknown-metric")
    return None


def compile_inputs(compilation: Compilation, path: DocPath, kinds: Mapping[str, str],
                   params: Mapping[str, Any]) -> list[Input]:
    """The inputs a metric reads (``kinds``: parameter -> input kind), from its ``params``."""
    declared = compilation.declared
    found = []
    for param, kind in kinds.items():
        value = params.get(param)
        if value is None:
            continue
        if kind == "expression":
            expression = compilation.parse(path + (param,), value, "number")
            if expression is not None:
                found.append(Input(param, "expression", expression=expression))
            continue
        if declared is not None and value not in declared:
            hint = did_you_mean(value, declared)
            compilation.problem(path + (param,), f"'{value}' is not a declared field{hint}",
                                code="unknown-field")
        elif declared is not None and declared[value] != _FIELD_KINDS[kind]:
            compilation.problem(path + (param,), f"'{value}' is declared as {declared[value]}, "
                                                 f"but this metric reads it as "
                                                 f"{_FIELD_KINDS[kind]}", code="type")
        elif value in compilation.parameters:
            compilation.problem(path + (param,), f"'{value}' is the name of a parameter, not "
                                                 "of a field", code="ambiguous")
        found.append(Input(param, kind, field=value))  # type: ignore[arg-type]
    return found
