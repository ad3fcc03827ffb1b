"""The compiled ruleset: what the engine runs, built once by :func:`healthcore.load_ruleset`.

Every value here was checked when the ruleset loaded (ids are unique, weights are 0 or from
0.000001 to 1,000,000, expressions are parsed and their kinds known, tiers are ordered from the
best down), so the engine can rely on it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Literal, Mapping

from healthcore.plugin.functions import Kind
from healthcore.plugin.metric import InputKind, Metric
from healthcore.ruleset.expressions import Expression
from healthcore.ruleset.normalizers import Normalizer

MissingPolicy = Literal["renormalize", "zero", "error"]
"""What an indicator without points (its value is null) does to an account's score:
``renormalize`` leaves it out (the other indicators' weights are scaled up to fill its share),
``zero`` counts it as 0 points, ``error`` leaves the account without a score, saying why."""


@dataclass(frozen=True)
class Input:
    """One input of an indicator's metric: a field of the account, or a compiled expression.

    ``param`` is the metric parameter that names it and ``kind`` how the metric reads it (as the
    metric declares). Exactly one of ``field`` (the account field's name) and ``expression`` (for
    the kind ``expression``) is set.
    """

    param: str
    kind: InputKind
    field: str | None = None
    expression: Expression | None = None


@dataclass(frozen=True)
class Indicator:
    """One measure of an account's health: ``metric`` computes its raw value from the account
    (null when undefined), ``normalizer`` turns that into points from 0 to 100.

    ``params`` are the metric's parameters with the metric's defaults filled in; ``inputs`` the
    fields and expressions the metric reads. ``weight`` is relative: without groups, the base
    score is the mean of the indicators' points weighted by it, over the indicators with points
    (``missing`` says what one without does); weight 0 leaves the indicator out of the score,
    but its value and points are still reported. ``group`` is the id of its :class:`Group` in a
    ruleset with groups, where ``weight`` weighs it against the group's other members.
    """

    id: str
    label: str
    metric: Metric
    params: Mapping[str, Any]
    inputs: tuple[Input, ...]
    normalizer: Normalizer
    weight: float
    missing: MissingPolicy
    description: str = ""
    group: str | None = None


@dataclass(frozen=True)
class Group:
    """Indicators whose points combine into the group's points; with groups, the base score is
    the mean of the groups' points weighted by their ``weight``, over the groups with points.

    ``combine`` is ``mean`` (the members' points weighted by their weights), ``min`` or ``max``
    (of the members with points, see :data:`MissingPolicy`, and a weight above 0). ``members``
    are indicator ids, in the ruleset's order; every indicator is in exactly one group.
    """

    id: str
    label: str
    weight: float
    combine: Literal["mean", "min", "max"]
    members: tuple[str, ...]


@dataclass(frozen=True)
class Segment:
    """Accounts matching ``condition`` (the first segment that matches) are scored with these
    weights, parameters and tier thresholds instead of the ruleset's own.

    ``weights`` maps indicator or group ids to weights, ``parameters`` parameter names to
    values and ``thresholds`` tier names to thresholds (:attr:`Tier.threshold`); what they do
    not name keeps the ruleset's value.
    """

    id: str
    label: str
    condition: Expression
    weights: Mapping[str, float]
    parameters: Mapping[str, Any]
    thresholds: Mapping[str, float]
    reasons: Mapping[str, str]
    """Action reasons whose placeholders read a parameter this segment changes."""


DEFAULT_SEGMENT = "default"
"""The segment of accounts that no segment matches."""


@dataclass(frozen=True)
class Action:
    """Points added to (or, if negative, taken from) the base score of every account whose
    ``condition`` is true (a null condition is not true); the score is then clamped to 0..100.

    ``reason`` is the text that explains it, with the ruleset's parameters filled in (a segment
    that changes them has its own text in :attr:`Segment.reasons`); the label if no reason is
    given.
    """

    id: str
    label: str
    condition: Expression
    points: float
    reason: str


@dataclass(frozen=True)
class Tier:
    """A band of scores such as healthy or at risk. The ruleset lists its tiers from the best
    down, each with a lower threshold than the one before and the last one 0; an account is in
    the first tier whose threshold it reaches. An account without a score has no tier.

    Exactly one of ``min`` and ``percentile`` is set, the same one in every tier of a ruleset
    (:attr:`Ruleset.tier_mode`). ``color`` is a color name or ``#rrggbb`` for reports.
    """

    name: str
    label: str
    color: str | None
    min: float | None = None
    """The lowest score in the tier, inclusive: the account's score >= ``min``."""
    percentile: float | None = None
    """The lowest percentile rank in the tier, inclusive. An account's rank is 100 x (scored
    accounts of the run with a strictly lower score) / (scored accounts of the run): from 0 up
    to, not including, 100. Accounts the engine is told to leave unranked (churned ones) are
    not counted and have no tier."""

    @property
    def threshold(self) -> float:
        """The lowest score (``min``) or percentile rank (``percentile``) an account needs to
        be in this tier, inclusive; a :class:`Segment` may replace it for its accounts."""
        return self.min if self.min is not None else float(self.percentile or 0.0)


@dataclass(frozen=True)
class AlertRule:
    """An alert of the ruleset's ``alerts:``; evaluated when a run is recorded in a history
    (:mod:`healthcore.history.alerts` says exactly when one holds and is raised).

    ``kind`` says what raises it: ``tier_worsened`` (the tier is worse than before),
    ``score_drop`` (the score is at least ``points`` below its highest in the ``within_days``
    days before the run), ``indicator`` (the ``indicator``'s ``of`` — points or value — strictly
    ``below`` or ``above`` a threshold; exactly one of the two is set) or ``stays_in_tier`` (in
    one of ``tiers`` for ``runs`` runs in a row). The fields of other kinds are left unset.
    ``cooldown_days``: an alert that holds again within that many days of its episode's last run
    resumes the episode instead of being raised again. ``severity`` is carried to the alert raised.
    """

    id: str
    label: str
    kind: Literal["tier_worsened", "score_drop", "indicator", "stays_in_tier"]
    severity: Literal["info", "warning", "critical"] = "warning"
    cooldown_days: int = 0
    points: float | None = None
    within_days: int | None = None
    indicator: str | None = None
    of: Literal["points", "value"] = "points"
    below: float | None = None
    above: float | None = None
    tiers: tuple[str, ...] = ()
    runs: int | None = None


@dataclass(frozen=True)
class Ruleset:
    """A validated ruleset. Score accounts with :func:`healthcore.score`.

    ``account_id`` is the field that identifies an account; ``parameters`` the values its
    expressions and reasons read by name. ``indicators``, ``actions`` and ``tiers`` are in the
    order of the file (tiers from the best down); ``tier_mode`` says whether tier thresholds
    are scores (``absolute``: :attr:`Tier.min`) or ranks (``percentile``). ``top_reasons`` is
    how many reasons explain a score. ``groups`` (empty, or holding every indicator),
    ``segments`` (tried in order) and ``alerts`` are in the order of the file too.
    ``declared_fields`` are the fields the ruleset declares with their kinds (None if it
    declares none: any field may be read). ``source`` names the file and ``text`` is its
    content, as read.
    """

    name: str
    description: str
    account_id: str
    parameters: Mapping[str, Any]
    indicators: tuple[Indicator, ...]
    actions: tuple[Action, ...]
    tiers: tuple[Tier, ...]
    tier_mode: Literal["absolute", "percentile"]
    top_reasons: int = 3
    groups: tuple[Group, ...] = ()
    segments: tuple[Segment, ...] = ()
    alerts: tuple[AlertRule, ...] = ()
    declared_fields: Mapping[str, Kind] | None = None
    source: str = "<ruleset>"
    text: str = field(default="", repr=False)

    @property
    def content_hash(self) -> str:
        """SHA-256 of the ruleset's text: identifies exactly which rules scored a run."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def expressions(self) -> list[Expression]:
        """Every expression of the ruleset: indicator inputs, actions and segment conditions."""
        found = [item.expression for indicator in self.indicators for item in indicator.inputs
                 if item.expression is not None]
        return found + [a.condition for a in self.actions] + [s.condition for s in
                                                              self.segments]

    @property
    def history_references(self) -> dict[str, tuple[str, int]]:
        """The ``previous(...)`` values its expressions read from the score history."""
        return {name: reference for expression in self.expressions()
                for name, reference in expression.history.items()}

    def fields(self) -> dict[str, set[str]]:
        """Every account field the ruleset reads, with the kinds it is read as."""
        found: dict[str, set[str]] = {}
        for indicator in self.indicators:
            for item in indicator.inputs:
                if item.field is not None:
                    found.setdefault(item.field, set()).add(item.kind)
        for expression in self.expressions():
            for name, kind in expression.fields.items():
                found.setdefault(name, set()).add(kind)
        return found
