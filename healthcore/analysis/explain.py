"""One account's score, explained: every indicator, group, action and tier behind it.

:func:`explain` reads the results of a whole batch (percentile tiers depend on the population)
and returns a plain dict, ready for JSON, that ``healthcore explain`` renders as a panel.

The shape of the dict::

    {
      "ruleset": "saas-b2b",
      "account_id": "ACC-1006",          # as given (text)
      "row": 5,                          # the account's position in the input, from 0
      "rows": [5],                       # every row with that id (each is scored on its own)
      "status": "ok",                    # or "error" (no score; "errors" say why)
      "score": 61.0, "tier": "at_risk", "color": "yellow",
      "base": 76.0,                      # the weighted indicators, before actions (null: none)
      "adjustment": -15.0,               # the points of the actions that fired
      "segment": "enterprise",           # null when the ruleset has no segments
      "groups": [                        # [] when the ruleset has no groups
        {"id", "label", "combine", "points", "weight", "share", "contribution", "cost",
         "indicators": ["seat_usage", ...]}],
      "indicators": [                    # in the ruleset's order
        {"id", "label", "group", "value", "points", "weight", "share", "contribution",
         "cost", "normalizer": "linear from 0 (0 points) to 1 (100 points)",
         "phrase": "(best 1)"}],
      "actions": [{"id", "label", "points", "reason"}],   # the actions that fired
      "tiers": [{"name", "label", "color", "kind": "min" or "percentile", "threshold",
                 "current": true or false}],                # for the account's segment
      "population": {"accounts": 38, "scored": 37, "percentile_rank": 12.5},
      "reasons": ["Seat usage 0.31 (target 0.8) cost 14.2 points", ...],
      "errors": ["field 'seats': 'n/a' is not a number"]
    }

``share`` is the part of the base an indicator (or group) carries: contribution = share x
points, and the points it cost the account are share x (100 - points), as the engine computes
them. Weights are those of the account's segment. ``percentile_rank`` is the percentage of the
scored accounts of the batch with a strictly lower score (null when the account has no score).
``reasons`` are the engine's reasons (the ``explain.top`` costliest indicators and every negative
action that fired, costliest first) with each indicator's value and a phrase from its normalizer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from healthcore.errors import InputError
from healthcore.engine.reasons import MIN_COST
from healthcore.ruleset import Bands, ExpressionNormalizer, Indicator, Linear, Ruleset, Target

if TYPE_CHECKING:
    from healthcore.engine.results import Results

__all__ = ["explain", "indicator_reason", "normalizer_phrase", "number", "rows_text"]


def explain(ruleset: Ruleset, results: "Results", account_id: Any, *,
            row: int | None = None) -> dict[str, Any]:
    """Everything behind the score of the account ``account_id`` in ``results`` (scored with
    ``ruleset``); see the module documentation for the shape.

    When several rows have that id (each is scored on its own), ``row`` (a position in the
    input, from 0) says which one to explain; by default the first. ``rows`` in the result
    lists them all.

    Raises :class:`~healthcore.errors.InputError` when no account has that id, or when
    ``row`` is not one of its rows.
    """
    wanted = str(account_id)
    frame = results.frame
    ids = ["" if value is None else str(value) for value in frame["account_id"].to_list()]
    rows = [index for index, ident in enumerate(ids) if ident == wanted]
    if not rows:
        from healthcore.errors import did_you_mean

        count = len(ids)
        hint = did_you_mean(wanted, [i for i in ids if i])
        raise InputError(f"no account has the id '{wanted}'{hint}: the {count} account"
                         f"{'s' if count != 1 else ''} of the input are identified by the field "
                         f"'{ruleset.account_id}'; give one of their ids with --account")
    if row is not None and row not in rows:
        raise InputError(f"account '{wanted}' is on {rows_text(rows)} of the input (counted "
                         f"from 0), not on row {row}: give one of them with --row")
    row_index = rows[0] if row is None else row
    record = frame.row(row_index, named=True)
    segment_id = record.get("segment") if ruleset.segments else None
    segment = next((s for s in ruleset.segments if s.id == segment_id), None)

    indicators, groups = _indicators_and_groups(ruleset, record)
    fired = set(record["actions"] or [])
    actions = [{"id": a.id, "label": a.label, "points": a.points,
                "reason": segment.reasons.get(a.id, a.reason) if segment else a.reason}
               for a in ruleset.actions if a.id in fired]
    scored = record["score"] is not None
    contributions = [i["contribution"] for i in indicators if i["contribution"] is not None]
    base = sum(contributions) if scored and contributions else None

    tiers = []
    for tier in ruleset.tiers:
        threshold = tier.threshold
        if segment is not None and tier.name in segment.thresholds:
            threshold = float(segment.thresholds[tier.name])
        tiers.append({"name": tier.name, "label": tier.label, "color": tier.color,
                      "kind": "percentile" if tier.percentile is not None else "min",
                      "threshold": threshold, "current": tier.name == record["tier"]})

    all_scores = [s for s in results.scores["score"].to_list() if s is not None]
    rank = None
    if scored and all_scores:
        rank = 100.0 * sum(1 for s in all_scores if s < record["score"]) / len(all_scores)

    return {
        "ruleset": ruleset.name,
        "account_id": wanted,
        "row": row_index,
        "rows": rows,
        "status": record["status"],
        "score": record["score"],
        "tier": record["tier"],
        "color": record["color"],
        "base": base,
        "adjustment": sum(a["points"] for a in actions),
        "segment": segment_id if ruleset.segments else None,
        "groups": groups,
        "indicators": indicators,
        "actions": actions,
        "tiers": tiers,
        "population": {"accounts": len(ids), "scored": len(all_scores),
                       "percentile_rank": rank},
        "reasons": _reasons(ruleset, indicators, actions) if scored else [],
        "errors": list(record["errors"] or []),
    }


def _indicators_and_groups(ruleset: Ruleset, row: dict[str, Any]
                           ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Each indicator's and group's figures, with the shares the engine gives them."""
    figures = {ind.id: {part: row[f"{ind.id}.{part}"]
                        for part in ("value", "points", "weight", "contribution")}
               for ind in ruleset.indicators}
    counted = {ident: f["points"] is not None for ident, f in figures.items()}
    shares: dict[str, float | None] = {}
    groups: list[dict[str, Any]] = []
    if not ruleset.groups:
        den = sum(f["weight"] for ident, f in figures.items() if counted[ident])
        for ident in figures:
            shares[ident] = figures[ident]["weight"] / den if counted[ident] and den else None
    else:
        group_rows = {g.id: {part: row[f"{g.id}.{part}"]
                             for part in ("points", "weight", "contribution")}
                      for g in ruleset.groups}
        den = sum(g["weight"] for g in group_rows.values() if g["points"] is not None)
        for group in ruleset.groups:
            figure = group_rows[group.id]
            share = figure["weight"] / den if figure["points"] is not None and den else None
            groups.append({"id": group.id, "label": group.label, "combine": group.combine,
                           "points": figure["points"], "weight": figure["weight"],
                           "share": share, "contribution": figure["contribution"],
                           "cost": None if share is None else share * (100.0 - figure["points"]),
                           "indicators": list(group.members)})
            members = list(group.members)
            if group.combine == "mean":
                member_den = sum(figures[m]["weight"] for m in members if counted[m])
                for m in members:
                    shares[m] = (share * figures[m]["weight"] / member_den
                                 if counted[m] and share is not None and member_den else None)
                continue
            decided = False
            for m in members:  # the first member at the group's points carries its share
                decides = (not decided and share is not None and counted[m]
                           and figures[m]["weight"] > 0
                           and figures[m]["points"] == figure["points"])
                shares[m] = share if decides else (0.0 if counted[m] else None)
                decided = decided or decides
    indicators = []
    for ind in ruleset.indicators:
        figure = figures[ind.id]
        share = shares.get(ind.id)
        indicators.append({
            "id": ind.id, "label": ind.label, "group": ind.group, **figure, "share": share,
            "cost": None if share is None else share * (100.0 - figure["points"]),
            "normalizer": ind.normalizer.describe(),
            "phrase": normalizer_phrase(ind, figure["value"])})
    return indicators, groups


def _reasons(ruleset: Ruleset, indicators: list[dict[str, Any]],
             actions: list[dict[str, Any]]) -> list[str]:
    """The engine's reasons (same choice, same order), each indicator with its value."""
    costly = [i for i in indicators if i["cost"] is not None and i["cost"] > MIN_COST]
    costly = sorted(costly, key=lambda i: -i["cost"])[:ruleset.top_reasons]
    candidates = [(i["cost"], indicator_reason(i)) for i in costly]
    candidates += [(-a["points"], f"{a['reason']} ({a['points']:+g} points)")
                   for a in actions if a["points"] < 0]
    return [text for _, text in sorted(candidates, key=lambda c: -c[0])]


def indicator_reason(indicator: dict[str, Any]) -> str:
    """``Seat usage 0.31 (target 0.8) cost 14.2 points`` for an indicator of :func:`explain`."""
    value = "no value" if indicator["value"] is None else number(indicator["value"])
    phrase = f" {indicator['phrase']}" if indicator["phrase"] else ""
    return f"{indicator['label']} {value}{phrase} cost {round(indicator['cost'], 1):.1f} points"


def normalizer_phrase(indicator: Indicator, value: float | None = None) -> str:
    """A short phrase for how the indicator's ``value`` became its points: ``(best 0.8)``,
    ``(target 0.8)``, ``(band 'most seats idle')`` (the band's label, else ``(band >= 0.5)``),
    ``(points = <expression>)``; ``''`` when there is nothing to say."""
    normalizer = indicator.normalizer
    if isinstance(normalizer, Bands):
        return band_phrase(normalizer, value)
    if isinstance(normalizer, Linear):
        return f"(best {number(normalizer.best)})"
    if isinstance(normalizer, Target):
        return f"(target {number(normalizer.value)})"
    if isinstance(normalizer, ExpressionNormalizer):
        return f"(points = {normalizer.expression.source})"
    return ""


def band_phrase(normalizer: Bands, value: float | None) -> str:
    """The band that ``value`` falls in: its label, else its min (``''`` when none)."""
    if value is None:
        return ""
    below = None
    for band in normalizer.bands:
        if band.min is None or value >= band.min:
            if band.label:
                return f"(band '{band.label}')"
            if band.min is not None:
                return f"(band >= {number(band.min)})"
            return f"(band below {number(below)})" if below is not None else "(band)"
        below = band.min
    return ""


def rows_text(rows: list[int]) -> str:
    """``row 5``, ``rows 0 and 38``, ``rows 0, 7 and 38``."""
    if len(rows) == 1:
        return f"row {rows[0]}"
    return f"rows {', '.join(map(str, rows[:-1]))} and {rows[-1]}"


def number(value: float) -> str:
    """A value as people read it: ``0.31``, ``45``, ``1,250,000``, ``0.000123``."""
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    if abs(value) >= 10_000:
        return f"{value:,.0f}"
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.3g}" if abs(value) < 1 else f"{value:.4g}"

