"""The ``groups`` section, and each indicator's ``group``."""

from __future__ import annotations

from typing import Any

from healthcore.errors import did_you_mean
from healthcore.ruleset.compiler.context import Compilation, UniqueIds, is_number
from healthcore.ruleset.model import Group


def compile_groups(compilation: Compilation, items: list[tuple[int, dict[str, Any]]],
                   declared: bool, indicators: list[tuple[int, dict[str, Any]]]) -> list[Group]:
    """The groups, each with its members; every indicator in exactly one declared group.

    ``declared`` says whether the ruleset has a ``groups`` section; ``indicators`` are the
    items of its ``indicators`` section.
    """
    indicator_ids = {item.get("id") for _, item in indicators
                     if isinstance(item.get("id"), str)}
    ids = UniqueIds(compilation, "groups")
    for index, item in items:
        ident = item.get("id")
        if not isinstance(ident, str):
            continue
        if ids.add(index, ident) and ident in indicator_ids:
            compilation.problem(("groups", index, "id"), f"'{ident}' is the id of an indicator "
                                                         "too; give the group another id",
                                code="duplicate-id")
    members: dict[str, list[str]] = {ident: [] for ident in ids.first}
    for index, item in indicators:
        group = item.get("group")
        if group is None:
            if declared:
                compilation.problem(("indicators", index), "this indicator needs a 'group' "
                                                           "since the ruleset declares groups "
                                                           f"(one of: {', '.join(ids.first)})",
                                    code="group")
            continue
        if not isinstance(group, str):
            continue
        if group not in members:
            hint = did_you_mean(group, members) if declared else (
                " (declare it under 'groups')")
            compilation.problem(("indicators", index, "group"),
                                f"unknown group '{group}'{hint}", code="group")
            continue
        if isinstance(item.get("id"), str):
            members[group].append(item["id"])
    compiled = []
    for index, item in items:
        ident, weight = item.get("id"), item.get("weight")
        if not isinstance(ident, str) or not is_number(weight) or ids.first.get(ident) != index:
            continue
        if not members[ident]:
            compilation.problem(("groups", index), f"the group '{ident}' has no indicators",
                                code="group")
        compiled.append(Group(ident, str(item.get("label") or ident), float(weight),
                              item.get("combine", "mean"), tuple(members[ident])))
    if items and all(is_number(i.get("weight")) and i.get("weight") == 0
                     for _, i in items):
        compilation.problem(("groups",), "every group has weight 0, so no account can be "
                                         "scored; give at least one a positive weight",
                            code="zero-weights")
    return compiled
