"""The compiled ruleset: what the engine runs, built once by :func:`healthcore.load_ruleset`."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Mapping

from healthcore.plugin.functions import Kind
from healthcore.ruleset.expressions import Expression
from healthcore.plugin.metric import InputKind, Metric
from healthcore.ruleset.normalizers import Normalizer

if TYPE_CHECKING:

    pass

MissingPolicy = Literal["renormalize", "zero", "error"]


@dataclass(frozen=True)
class Input:
    """One input of an indicator's metric: a field of the account, or a compiled expression."""

    param: str
    kind: InputKind
    field: str | None = None
    expression: Expression | None = None


@dataclass(frozen=True)
class Indicator:
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
    """Indicators whose points combine (weighted mean, minimum or maximum) into the group's."""

    id: str
    label: str
    weight: float
    combine: Literal["mean", "min", "max"]
    members: tuple[str, ...]


@dataclass(frozen=True)
class Segment:
    """Accounts matching ``condition`` (the first segment that matches) are scored with these
    weights, parameters and tier thresholds instead of the ruleset's own."""

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
    id: str
    label: str
    condition: Expression
    points: float
    reason: str


@dataclass(frozen=True)
class Tier:
    name: str
    label: str
    color: str | None
    min: float | None = None
    percentile: float | None = None

    @property
    def threshold(self) -> float:
        return self.min if self.min is not None else float(self.percentile or 0.0)


@dataclass(frozen=True)
class AlertRule:
    """An alert of the ruleset's ``alerts:``; evaluated when a run is recorded in a history.

    ``kind`` says what raises it: ``tier_worsened``, ``score_drop`` (``points`` within
    ``within_days``), ``indicator`` (its ``of`` — points or value — ``below`` or ``above`` a
    threshold) or ``stays_in_tier`` (one of ``tiers`` for ``runs`` runs in a row).
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
    """A validated ruleset. Score accounts with :meth:`score`."""

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
