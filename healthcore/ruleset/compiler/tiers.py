"""The ``tiers`` section: from the best tier down, each with its threshold."""

from __future__ import annotations

from typing import Any, Literal

from healthcore.errors import DocPath
from healthcore.ruleset.compiler.context import Compilation, UniqueIds, is_number
from healthcore.ruleset.model import Tier

TierMode = Literal["absolute", "percentile"]


def compile_tiers(compilation: Compilation, items: list[tuple[int, dict[str, Any]]]
                  ) -> tuple[list[Tier], TierMode]:
    """The tiers, and whether their thresholds are scores (``min``: absolute) or ranks
    (``percentile``)."""
    compiled: list[Tier] = []
    names = UniqueIds(compilation, "tiers", key="name",
                      message="the tier '{id}' is already defined by {first}")
    modes = {("min" if "min" in item else "percentile") for _, item in items
             if ("min" in item) != ("percentile" in item)}
    mode: TierMode = "percentile" if modes == {"percentile"} else "absolute"
    if len(modes) > 1:
        compilation.problem(("tiers",), "tiers mix 'min' (a score) and 'percentile' (a rank): "
                                        "use one kind for all tiers", code="tier-mix")
    key = "min" if mode == "absolute" else "percentile"
    previous: tuple[int, float] | None = None
    for index, item in items:
        path: DocPath = ("tiers", index)
        name = item.get("name")
        threshold = item.get(key)
        if not isinstance(name, str) or not is_number(threshold):
            continue
        names.add(index, name)
        if previous is not None and threshold >= previous[1]:
            word = "overlaps" if threshold == previous[1] else "is out of order with"
            compilation.problem(path + (key,), f"{key} {threshold:g} {word} "
                                               f"tiers[{previous[0]}] ({key} {previous[1]:g}): "
                                               "list tiers from the best down, each with a "
                                               f"lower {key}", code="tier-order")
        previous = (index, float(threshold))
        compiled.append(Tier(name, str(item.get("label") or name), item.get("color"),
                             **{key: float(threshold)}))
    if previous is not None and previous[1] > 0 and len(modes) == 1:
        measure = "score" if key == "min" else "rank"
        compilation.problem(("tiers", previous[0], key),
                            f"the last tier starts at {previous[1]:g}, so a {measure} below "
                            f"{previous[1]:g} would have no tier: make the last tier's {key} 0",
                            code="tier-gap")
    return compiled, mode
