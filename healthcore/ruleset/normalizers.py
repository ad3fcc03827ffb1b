"""Normalizers: how an indicator's raw value becomes points from 0 to 100 (null stays null).

Each normalizer computes points two ways that agree: column-wise for a batch (:meth:`points`)
and for one value (:meth:`points_of`, used to explain a score).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from healthcore.ruleset.expressions import Expression

if TYPE_CHECKING:
    import polars as pl


class Normalizer(Protocol):
    """Maps raw values to points from 0 to 100, column-wise and for one value; a null value, or
    one that no band takes, has no points (null)."""

    def points(self, raw: "pl.Expr", parameter: Any = None) -> "pl.Expr":
        """Points of ``raw``; ``parameter`` resolves parameters that vary by account (a
        segment's), for the normalizers that read parameters."""

    def points_of(self, raw: float | None) -> float | None:
        """Points of one value, as :meth:`points` computes them with the ruleset's own
        parameters."""

    def describe(self) -> str:
        """The normalizer in words, for explanations: ``linear from 0 (0 points) to 10 ...``."""

    @property
    def always_scores(self) -> bool:
        """True when every value (not null) gets points."""


def _clamp(value: float) -> float:
    """``value`` within 0..100 (adding 0.0 turns -0.0 into 0.0 in both paths)."""
    return min(100.0, max(0.0, value))


@dataclass(frozen=True)
class Linear:
    """``worst`` maps to 0 points and ``best`` to 100, clamped; worst > best: lower is better."""

    worst: float
    best: float

    def points(self, raw: "pl.Expr", parameter: Any = None) -> "pl.Expr":
        return ((raw - self.worst) * (100.0 / (self.best - self.worst))).clip(0.0, 100.0) + 0.0

    def points_of(self, raw: float | None) -> float | None:
        if raw is None:
            return None
        return _clamp((raw - self.worst) * (100.0 / (self.best - self.worst))) + 0.0

    always_scores = True

    def describe(self) -> str:
        return f"linear from {self.worst:g} (0 points) to {self.best:g} (100 points)"


@dataclass(frozen=True)
class Target:
    """100 points within ``tolerance`` of the target ``value``, falling in a straight line to 0
    points at distance ``zero_at`` from it (on either side)."""

    value: float
    zero_at: float
    tolerance: float = 0.0

    always_scores = True

    def points(self, raw: "pl.Expr", parameter: Any = None) -> "pl.Expr":
        excess = (raw - self.value).abs() - self.tolerance
        return (100.0 - excess * (100.0 / (self.zero_at - self.tolerance))).clip(0.0, 100.0) + 0.0

    def points_of(self, raw: float | None) -> float | None:
        if raw is None:
            return None
        excess = abs(raw - self.value) - self.tolerance
        return _clamp(100.0 - excess * (100.0 / (self.zero_at - self.tolerance))) + 0.0

    def describe(self) -> str:
        within = f" (within {self.tolerance:g})" if self.tolerance else ""
        return (f"target {self.value:g}{within}: 100 points, 0 points at a distance of "
                f"{self.zero_at:g}")


@dataclass(frozen=True)
class Band:
    """One band of :class:`Bands`: ``points`` for values of at least ``min`` (every value if
    ``min`` is None); ``label`` names the band in explanations."""

    points: float
    min: float | None = None
    label: str | None = None


@dataclass(frozen=True)
class Bands:
    """The first band whose ``min`` the value reaches gives its points; a band without ``min``
    matches every value; a value below every band has no points."""

    bands: tuple[Band, ...]

    def points(self, raw: "pl.Expr", parameter: Any = None) -> "pl.Expr":
        import polars as pl

        chain: Any = pl
        for band in self.bands:
            condition = raw.is_not_null() if band.min is None else raw >= band.min
            chain = chain.when(condition).then(pl.lit(float(band.points)))
        return chain.otherwise(None)

    def points_of(self, raw: float | None) -> float | None:
        if raw is None:
            return None
        for band in self.bands:
            if band.min is None or raw >= band.min:
                return float(band.points)
        return None

    @property
    def always_scores(self) -> bool:
        return any(band.min is None for band in self.bands)

    def describe(self) -> str:
        parts = [f">= {b.min:g}: {b.points:g}" if b.min is not None else f"else {b.points:g}"
                 for b in self.bands]
        return "bands (" + ", ".join(parts) + ")"


@dataclass(frozen=True)
class ExpressionNormalizer:
    """Points computed by an expression of ``value`` and the parameters, clamped to 0..100."""

    expression: Expression

    def points(self, raw: "pl.Expr", parameter: Any = None) -> "pl.Expr":
        return self.expression.to_polars(lambda name, kind: raw, parameter).clip(0.0, 100.0)

    def points_of(self, raw: float | None) -> float | None:
        if raw is None:
            return None
        result = self.expression.evaluate({"value": raw})
        return None if result is None else _clamp(result)

    always_scores = False

    def describe(self) -> str:
        return f"expression {self.expression.source}"
