"""What makes a registered metric or function acceptable: the checks every plugin's
registrations go through, the built-in plugins' included.

The cheap checks run when the registry loads. Checking a parameter schema against the JSON
Schema meta-schema is costly, so it runs when a metric is first used (see
:meth:`healthcore.plugin.registry.Registry.schema_problem`); the schemas the built-in plugins
ship are checked by the test suite instead."""

from __future__ import annotations

import re
from typing import Any

from healthcore.plugin.functions import ExpressionFunction
from healthcore.plugin.metric import Metric

NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
"""How metrics and functions may be named."""
INPUT_KINDS = frozenset({"number", "count", "numbers", "text", "boolean", "expression"})


def metric_problem(metric: Any) -> str | None:
    """What is wrong with a registered metric, if anything: not a :class:`Metric`, a bad name,
    ``compute`` not callable, an input that is not a property of the parameter schema or has an
    unknown kind. Whether the schema is valid JSON Schema is :func:`parameter_schema_problem`'s
    question."""
    if not isinstance(metric, Metric):
        return f"{metric!r} is not a healthcore.Metric"
    if not NAME.fullmatch(metric.name or ""):
        return (f"the name {metric.name!r} must be lower case letters, digits and '_', "
                "starting with a letter")
    if not callable(metric.compute):
        return f"'{metric.name}': compute is not callable"
    properties = metric.parameters.get("properties", {})
    for param, kind in metric.inputs.items():
        if param not in properties:
            return f"'{metric.name}': input '{param}' is not a property of its parameter schema"
        if kind not in INPUT_KINDS:
            return (f"'{metric.name}': input '{param}' has the unknown kind {kind!r} "
                    f"(use one of {', '.join(sorted(INPUT_KINDS))})")
    return None


def parameter_schema_problem(metric: Metric) -> str | None:
    """Why the parameter schema of ``metric`` (which passed :func:`metric_problem`) is not
    valid JSON Schema (2020-12), if it is not."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError
    try:
        Draft202012Validator.check_schema(dict(metric.parameters))
    except SchemaError as exc:
        return f"its parameter schema is not valid JSON Schema: {exc.message}"
    return None


def function_problem(function: Any) -> str | None:
    """What is wrong with a registered expression function, if anything, said after
    ``registered``: not an :class:`ExpressionFunction`, or a bad name."""
    if not isinstance(function, ExpressionFunction):
        return f"{function!r}, which is not an ExpressionFunction"
    if not NAME.fullmatch(function.name or ""):
        return f"a function with the invalid name {function.name!r}"
    return None
