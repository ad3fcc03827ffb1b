"""The ``indicators`` section: each indicator's metric, inputs, normalizer and weight."""

from __future__ import annotations

from typing import Any

from healthcore.errors import DocPath
from healthcore.ruleset.compiler.context import Compilation, UniqueIds, is_number
from healthcore.ruleset.compiler.inputs import compile_inputs, compile_metric
from healthcore.ruleset.compiler.normalize import compile_normalizer
from healthcore.ruleset.model import Indicator, Input
from healthcore.ruleset.schema import validate


def compile_indicators(compilation: Compilation, items: list[tuple[int, dict[str, Any]]],
                       default_missing: str) -> list[Indicator]:
    """The indicators without problems; ``default_missing`` is the ruleset's ``missing``."""
    compiled: list[Indicator] = []
    ids = UniqueIds(compilation, "indicators")
    for index, item in items:
        path: DocPath = ("indicators", index)
        ident = item.get("id")
        if isinstance(ident, str):
            ids.add(index, ident)
        metric = compile_metric(compilation, path, item.get("metric"))
        params = item.get("params", {})
        inputs: list[Input] = []
        if metric is not None and isinstance(params, dict):
            schema_problems = validate(params, dict(metric.parameters), compilation.source,
                                       path + ("params",))
            compilation.problems.extend(schema_problems)
            if not schema_problems:
                params = metric.with_defaults(params)
                inputs = compile_inputs(compilation, path + ("params",), metric.inputs, params)
        normalizer = compile_normalizer(compilation, path + ("normalize",),
                                        item.get("normalize"))
        weight = item.get("weight")
        if metric is None or normalizer is None or not isinstance(ident, str) or \
                not is_number(weight):
            continue
        compiled.append(Indicator(
            id=ident, label=str(item.get("label") or ident), metric=metric,
            params=params, inputs=tuple(inputs), normalizer=normalizer,
            weight=float(weight), missing=item.get("missing", default_missing),
            description=str(item.get("description", "")), group=item.get("group")))
    weights = [item.get("weight") for _, item in items]
    if items and all(is_number(w) and w == 0 for w in weights):
        compilation.problem(("indicators",), "every indicator has weight 0, so no account can "
                                             "be scored; give at least one a positive weight",
                            code="zero-weights")
    return compiled
