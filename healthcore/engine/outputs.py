"""The output columns of results, and the names by which a caller chooses some of them.

Results are flat (``seat_usage.points``) in memory, in CSV and in database tables, and nested
(``indicators.seat_usage.points``) in JSON, JSONL and Parquet. A chosen column may be named
either way; a whole indicator or group (``seat_usage``, ``indicators.seat_usage``), or every one
(``indicators``, ``groups``), stands for all its columns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from healthcore.errors import InputError, did_you_mean

if TYPE_CHECKING:
    from healthcore.ruleset import Ruleset

INDICATOR_FIELDS = ("value", "points", "weight", "contribution")
GROUP_FIELDS = ("points", "weight", "contribution")
TREND_FIELDS = ("previous_score", "score_delta", "previous_tier")
"""The columns a run recorded in a history adds (after ``color`` and ``segment``)."""
OVERRIDE_FIELDS = ("override", "computed_score", "computed_tier")
"""The columns a run with manual overrides in force adds (after ``segment``, before the
trend's)."""
HEAD = ("account_id", "status", "score", "tier", "color")
EXPLANATION = ("actions", "reasons", "errors")
"""The explanation columns: lists of text, computed only when one of them is chosen."""
NESTS = {"indicators": INDICATOR_FIELDS, "groups": GROUP_FIELDS}
"""The nested formats' struct columns, and the fields of each of their members."""


def output_columns(ruleset: "Ruleset", *, history: bool = False) -> list[str]:
    """Every flat output column in the default order; ``history`` adds the columns of a run
    recorded in a history (overrides, then the trend)."""
    columns = list(HEAD) + (["segment"] if ruleset.segments else [])
    if history:
        columns += [*OVERRIDE_FIELDS, *TREND_FIELDS]
    columns += [f"{ind.id}.{field}" for ind in ruleset.indicators for field in INDICATOR_FIELDS]
    columns += [f"{group.id}.{field}" for group in ruleset.groups for field in GROUP_FIELDS]
    return columns + list(EXPLANATION)


def choose_columns(ruleset: "Ruleset", names: Sequence[str], *,
                   history: bool = False) -> list[str]:
    """The flat output columns that ``names`` stand for, in the order given, each once.

    Raises :class:`~healthcore.errors.InputError` for an empty choice, or a name that is no
    output column (naming the closest ones), or a column of a history run (``previous_score``)
    without ``history``.
    """
    members = {"indicators": [ind.id for ind in ruleset.indicators],
               "groups": [group.id for group in ruleset.groups]}
    known = output_columns(ruleset, history=history)
    chosen: dict[str, None] = {}
    for given in names:
        name = given.strip()
        if not name:
            continue  # as after a trailing comma
        expanded = _expanded(name, members, set(known))
        if expanded is None:
            raise InputError(_unknown(name, ruleset, members, known, history))
        chosen.update(dict.fromkeys(expanded))
    if not chosen:
        raise InputError("choose at least one output column, such as account_id,score,tier")
    return list(chosen)


def _expanded(name: str, members: dict[str, list[str]], known: set[str]) -> list[str] | None:
    """The flat columns ``name`` stands for, or None if it stands for none."""
    if name in known:
        return [name]
    nest, _, rest = name.partition(".")
    if nest in NESTS:
        if not rest:
            return [f"{member}.{field}" for member in members[nest] for field in NESTS[nest]]
        member, _, field = rest.partition(".")
        if member not in members[nest]:
            return None
        if field:
            return [rest] if field in NESTS[nest] else None
        name = member
    for nest, ids in members.items():
        if name in ids:
            return [f"{name}.{field}" for field in NESTS[nest]]
    return None


def _unknown(name: str, ruleset: "Ruleset", members: dict[str, list[str]], known: list[str],
             history: bool) -> str:
    """What to say of a name that is no output column."""
    if not history and name in OVERRIDE_FIELDS + TREND_FIELDS:
        return (f"the column '{name}' comes with a run recorded in a history: give history "
                "too, or leave the column out")
    spellings = known + [f"{nest}.{column}" for nest, ids in members.items()
                         for column in known if column.partition(".")[0] in ids]
    spellings += [*NESTS, *(member for ids in members.values() for member in ids)]
    shown = [column for column in known if "." not in column]
    shown += [f"indicators.ID.{'|'.join(INDICATOR_FIELDS)}" if ruleset.indicators else ""]
    shown += [f"groups.ID.{'|'.join(GROUP_FIELDS)}" if ruleset.groups else ""]
    return (f"unknown output column '{name}'{did_you_mean(name, spellings)}; the columns are "
            f"{', '.join(column for column in shown if column)}")
