"""Learning a ruleset's weights (and tier thresholds) from known outcomes:
``healthcore calibrate``.

:func:`calibrate` splits the accounts with a known outcome into a training and a held-out part
(stratified by outcome, seeded), learns the weights on the training part and backtests the old
and the new ruleset on the held-out part, so that the improvement it reports is not an artefact
of fitting.

**The fit.** A logistic regression (scikit-learn) of retention on, for each weighted indicator
(each group, when the ruleset has groups), its points plus the points of the actions that fired.
With weights proportional to the coefficients, the regression's linear predictor is then the
score itself (before clamping) times a constant, so the fit picks the weights that make the
score the best predictor of retention. A missing indicator is filled in with the account's
weighted mean of its other indicators, which is what the engine's ``renormalize`` policy does
(``zero`` indicators already have 0 points; accounts an ``error`` indicator refuses to score are
left out); the weighted mean is re-estimated with the new weights over :data:`ROUNDS` rounds.
Weights cannot be negative: an indicator whose coefficient is negative (more points go with more
churn) or zero gets weight 0, is reported, and the others are fitted again without it.
The coefficients become weights with the same total as the old ones, rounded to 1 % of that
total (largest remainders, so that they still add up to it).

**Tier thresholds** (``tiers=True``) are chosen on the training accounts scored with the new
weights: among whole-number thresholds (scores, or percentile ranks for ``percentile`` tiers),
those that make the tiers' churn rates as different as possible (they minimise the squared error
of predicting each account's outcome by its tier's churn rate), each tier keeping at least
:data:`MIN_TIER_SHARE` of the accounts.

**The new ruleset** is the old text with only the numbers of the weights (and thresholds)
replaced where they are written, so its structure, comments and every other value stay as they
were.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

import polars as pl

from healthcore.analysis.backtest import Backtest, measure, outcomes
from healthcore.errors import InputError
from healthcore.engine import score
from healthcore.extras import require

if TYPE_CHECKING:
    import numpy as np

    from healthcore.plugin.registry import Registry
    from healthcore.ruleset import Ruleset

ROUNDS = 3
"""How many times the missing indicators are filled in anew with the fitted weights."""
MIN_PER_CLASS = 10
"""Churned and retained accounts (each) needed to calibrate."""
MIN_TIER_SHARE = 0.05
"""The smallest share of the training accounts a tier may hold when thresholds are chosen."""
MAX_SEED = 2**32 - 1
"""The largest seed of the choice of the held-out accounts (numpy's seeds go from 0 to it)."""
DEFAULT_TEST_SHARE = 0.3


@dataclass(frozen=True)
class WeightChange:
    """One weight: of an ``indicator``, or of a ``group`` when the ruleset has groups.
    ``coefficient`` is the fitted log-odds of retention per point; ``note`` is
    ``wrong_direction`` (negative coefficient) or ``no_effect`` (zero, or too small to keep
    once rounded) when the new weight is 0."""

    id: str
    kind: str
    old: float
    new: float
    coefficient: float
    note: str | None


@dataclass(frozen=True)
class ThresholdChange:
    """A tier's ``min`` (or ``percentile``), old and new."""

    tier: str
    old: float
    new: float


@dataclass
class Calibration:
    """What :func:`calibrate` proposes: the new ruleset (``text``, and compiled in
    ``ruleset``), each weight and threshold old and new, and the backtests of the old
    (``before``) and the new ruleset (``after``) on the held-out accounts."""

    source: str
    text: str
    ruleset: "Ruleset"
    weights: list[WeightChange]
    thresholds: list[ThresholdChange] | None
    before: Backtest
    after: Backtest
    seed: int
    test_share: float
    train: dict[str, int]
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``healthcore calibrate --format json``."""
        return {"ruleset": self.source, "seed": self.seed, "test_share": self.test_share,
                "train": dict(self.train),
                "test": {"accounts": self.after.labelled, "churned": self.after.churned},
                "weights": [asdict(w) for w in self.weights],
                "thresholds": None if self.thresholds is None else
                [asdict(t) for t in self.thresholds],
                "before": self.before.to_dict(), "after": self.after.to_dict(),
                "warnings": list(self.warnings)}

    def write(self, path: str | Path, *, force: bool = False) -> None:
        """Write the new ruleset to ``path`` atomically (see :func:`check_output`)."""
        from healthcore.io.writers import atomic_path

        check_output(path, self.source, force=force)
        with atomic_path(path) as aside:
            aside.write_text(self.text, encoding="utf-8")


def check_output(path: str | Path, source: str, *, force: bool = False) -> None:
    """Refuse to write a calibrated ruleset over its ``source`` file, or over any existing
    file, unless ``force``."""
    target = Path(path)
    if force or not target.exists():
        return
    if Path(source).exists() and target.resolve() == Path(source).resolve():
        raise InputError(f"{path} is the ruleset being calibrated: write the new one to another "
                         "file (or give force=True to replace it)")
    raise InputError(f"{path} exists: give another file (or force=True to replace it)")


def calibrate(ruleset: "Ruleset", accounts: Any, outcome: str, *,
              good_when: Iterable[str] | None = None, bad_when: Iterable[str] | None = None,
              tiers: bool = False, seed: int = 0, test_share: float = DEFAULT_TEST_SHARE,
              registry: "Registry | None" = None) -> Calibration:
    """Learn the weights of ``ruleset`` (and with ``tiers`` its tier thresholds) from the
    outcome field ``outcome`` of ``accounts`` (read as :func:`~healthcore.analysis.backtest.backtest`
    reads it). ``test_share`` of the accounts with a known outcome (chosen with ``seed``) are
    held out to compare the old and the new ruleset. ``registry``: the plugins the ruleset
    needs (the default ones if None). ``seed`` goes from 0 to :data:`MAX_SEED`.

    Raises :class:`~healthcore.errors.InputError` when the ruleset, the accounts, the seed or
    the held-out share do not allow it, saying why; a
    :class:`~healthcore.extras.MissingExtraError` without scikit-learn (the ``analysis`` extra).
    """
    require("sklearn", "calibrate")
    from healthcore.engine import as_frame
    from healthcore.ruleset import loads_ruleset

    _refuse_unsupported(ruleset, tiers)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or \
            not 0 <= seed <= MAX_SEED:
        raise InputError(f"the seed must be a whole number from 0 to {MAX_SEED}, not {seed!r}")
    if not 0 < test_share < 1:
        raise InputError(f"the held-out share must be between 0 and 1, not {test_share}")
    frame = as_frame(accounts)
    churned, warnings = outcomes(ruleset, frame, outcome, good_when, bad_when)
    labelled = frame.filter(churned.is_not_null())
    bad = churned.drop_nulls().to_numpy().astype(bool)
    counts = int(bad.sum()), int((~bad).sum())
    if min(counts) < MIN_PER_CLASS:
        raise InputError(f"outcome field '{outcome}': {counts[0]} churned and {counts[1]} "
                         f"retained accounts; calibrating needs at least {MIN_PER_CLASS} of "
                         "each (and learns better with hundreds)")
    train_rows, test_rows = _split(bad, test_share, seed)
    train, test = labelled[train_rows], labelled[test_rows]
    units = _units(ruleset)
    coefficients, notes = _learn(ruleset, train, bad[train_rows], units, warnings)
    total = sum(weight for _, _, weight in units)
    new = _rounded(coefficients, total)
    notes = [note or ("no_effect" if weight == 0 else None) for note, weight in zip(notes, new)]
    text = _edit(ruleset.text, [(kind, ident, "weight", _format(weight, _decimals(total)))
                                for (kind, ident, _), weight in zip(units, new)])
    calibrated = loads_ruleset(text, ruleset.source, registry=registry)
    thresholds = None
    if tiers:
        thresholds = _thresholds(calibrated, score(calibrated, train).scores,
                                 bad[train_rows], warnings)
        key = "min" if ruleset.tier_mode == "absolute" else "percentile"
        text = _edit(text, [("tiers", t.tier, key, _format(t.new, 0)) for t in thresholds])
        calibrated = loads_ruleset(text, ruleset.source, registry=registry)
    test_outcomes = churned.drop_nulls()[test_rows]
    before = measure(ruleset, score(ruleset, test).scores, test_outcomes)
    after = measure(calibrated, score(calibrated, test).scores, test_outcomes)
    changes = [WeightChange(ident, kind.rstrip("s"), float(weight), float(value), float(c), n)
               for (kind, ident, weight), value, c, n in zip(units, new, coefficients, notes)]
    return Calibration(ruleset.source, text, calibrated, changes, thresholds, before, after,
                       seed, test_share, {"accounts": train.height, "churned": int(
                           bad[train_rows].sum())}, warnings)


def _refuse_unsupported(ruleset: "Ruleset", tiers: bool) -> None:
    for segment in ruleset.segments:
        if segment.weights:
            raise InputError(
                f"segment '{segment.id}' changes the weights of "
                f"{', '.join(sorted(segment.weights))}: calibrate learns one set of weights "
                "for all accounts and cannot learn per-segment weights; calibrate a copy of "
                "the ruleset without the segment's weights, or one ruleset per segment")
        if tiers and segment.thresholds:
            raise InputError(
                f"segment '{segment.id}' changes the thresholds of the tiers "
                f"{', '.join(sorted(segment.thresholds))}: tiers=True chooses one set of "
                "thresholds for all accounts; calibrate without tiers=True")


def _split(bad: "np.ndarray", test_share: float, seed: int
           ) -> tuple["np.ndarray", "np.ndarray"]:
    """The training and the held-out rows, chosen with ``seed`` and stratified by outcome
    (``bad``: churned). Raises :class:`InputError` unless each part holds churned and
    retained accounts."""
    import numpy as np
    from sklearn.model_selection import train_test_split

    count = len(bad)
    held = math.ceil(test_share * count)  # as scikit-learn counts them
    where = f" and leaves {count - held} to learn from"
    if min(held, count - held) >= 2:  # scikit-learn's own minimum, one per outcome
        train, test = (np.sort(rows) for rows in train_test_split(
            np.arange(count), test_size=test_share, random_state=seed, stratify=bad))
        if all(0 < bad[rows].sum() < len(rows) for rows in (train, test)):
            return train, test
        outcomes = [f" ({int(bad[rows].sum())} churned, {int((~bad[rows]).sum())} retained)"
                    for rows in (test, train)]
        where = f"{outcomes[0]}{where}{outcomes[1]}"
    raise InputError(f"a held-out share of {test_share:g} holds out {held} of the {count} "
                     f"accounts with a known outcome{where}: each part needs churned and "
                     f"retained accounts; give a share nearer {DEFAULT_TEST_SHARE:g}")


def _units(ruleset: "Ruleset") -> list[tuple[str, str, float]]:
    """What carries the weights of the score: (``indicators`` or ``groups``, id, weight)."""
    if ruleset.groups:
        return [("groups", g.id, g.weight) for g in ruleset.groups]
    return [("indicators", i.id, i.weight) for i in ruleset.indicators]


def _learn(ruleset: "Ruleset", train: pl.DataFrame, churned: "np.ndarray",
           units: list[tuple[str, str, float]], warnings: list[str]
           ) -> tuple["np.ndarray", list[str | None]]:
    """The coefficients fitted on the ``train`` accounts (see :func:`_fit`)."""
    import numpy as np

    results = score(ruleset, train, explain=True)
    warnings += results.warnings
    points, adjust, keep = _features(ruleset, results.frame, units)
    retained = ~churned[keep]
    if retained.all() or not retained.any():
        raise InputError("the training accounts that the ruleset can score all have the same "
                         "outcome: the weights cannot be learned")
    return _fit(points[keep], adjust[keep], retained, np.array([w for _, _, w in units]))


def _features(ruleset: "Ruleset", frame: pl.DataFrame, units: list[tuple[str, str, float]]
              ) -> tuple["np.ndarray", "np.ndarray", "np.ndarray"]:
    """Each unit's points (NaN where missing), the actions' points and the scored accounts."""
    import numpy as np

    points = frame.select(pl.col(f"{ident}.points").cast(pl.Float64)
                          for _, ident, _ in units).to_numpy().astype(float)
    fired = {a.id: a.points for a in ruleset.actions}
    adjust = frame.select(pl.col("actions").list.eval(
        pl.element().replace_strict(fired, default=0.0, return_dtype=pl.Float64)).list.sum()
        .fill_null(0.0)).to_series().to_numpy().astype(float) if fired else np.zeros(len(frame))
    return points, adjust, frame.get_column("score").is_not_null().to_numpy()


def _fit(points: "np.ndarray", adjust: "np.ndarray", retained: "np.ndarray",
         weights: "np.ndarray") -> tuple["np.ndarray", list[str | None]]:
    """Non-negative coefficients per point of each unit, and a note for those set to 0."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    columns = points.shape[1]
    coefficients = np.zeros(columns)
    notes: list[str | None] = [None] * columns
    current = weights.astype(float)
    for _ in range(ROUNDS):
        filled = _fill_missing(points, current)
        active = np.ones(columns, dtype=bool)
        coefficients = np.zeros(columns)
        notes = [None] * columns
        while active.any():
            model = LogisticRegression(max_iter=1000)
            model.fit((filled[:, active] + adjust[:, None]) / 100.0, retained)
            fitted = np.zeros(columns)
            fitted[active] = model.coef_[0] / 100.0
            dropped = active & (fitted <= 0)
            for index in np.flatnonzero(dropped):
                coefficients[index] = fitted[index]
                notes[index] = "wrong_direction" if fitted[index] < 0 else "no_effect"
            if not dropped.any():
                coefficients[active] = fitted[active]
                break
            active &= ~dropped
        if not active.any():
            raise InputError("no indicator goes with retention on these accounts (every "
                             "coefficient is 0 or negative): the weights cannot be learned; "
                             "check the outcome field and which values mean churn")
        current = np.where(active, coefficients, 0.0)
    return coefficients, notes


def _fill_missing(points: "np.ndarray", weights: "np.ndarray") -> "np.ndarray":
    """Missing points replaced by the account's weighted mean of its other points (the
    column's mean where the account has no other weighted points)."""
    import numpy as np

    present = ~np.isnan(points)
    values = np.where(present, points, 0.0)
    total = (present * weights).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (values * weights).sum(axis=1) / total
    column_mean = np.nanmean(np.where(present, points, np.nan), axis=0)
    column_mean = np.where(np.isnan(column_mean), 0.0, column_mean)
    fill = np.where((total > 0)[:, None], mean[:, None], column_mean[None, :])
    return np.where(present, points, fill)


def _decimals(total: float) -> int:
    """The decimals of 1 % of ``total`` (0 for a total of 100, 2 for a total of 1)."""
    return max(0, 2 - math.floor(math.log10(total)))


def _rounded(coefficients: "np.ndarray", total: float) -> list[float]:
    """Non-negative coefficients as weights adding up to ``total``, in steps of 1 % of it
    (largest remainders)."""
    import numpy as np

    unit = 10.0 ** -_decimals(total)
    positive = np.clip(coefficients, 0.0, None)
    raw = positive / positive.sum() * total / unit
    steps = np.floor(raw)
    short = int(round(total / unit - steps.sum()))
    for index in np.argsort(-(raw - steps), kind="stable")[:max(short, 0)]:
        steps[index] += 1
    return [round(float(s) * unit, _decimals(total)) for s in steps]


def _format(value: float, decimals: int) -> str:
    text = f"{value:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# -- tier thresholds ----------------------------------------------------------------------------

def _thresholds(ruleset: "Ruleset", scores: pl.DataFrame, churned: "np.ndarray",
                warnings: list[str]) -> list[ThresholdChange]:
    """New thresholds for every tier but the last (which starts at 0)."""
    import numpy as np

    scored = scores.get_column("score").is_not_null().to_numpy()
    score = scores.get_column("score")
    if ruleset.tier_mode == "percentile":
        lower = score.rank("min") - 1
        position = (lower.cast(pl.Float64) * 100.0 / score.count()).to_numpy()
    else:
        position = score.to_numpy()
    chosen = choose_thresholds(position[scored], churned[scored], len(ruleset.tiers))
    cells = np.clip(np.floor(position[scored]), 0, 100).astype(int)
    rates = []
    for upper, lower in zip([101, *chosen], [*chosen, 0]):
        inside = (cells >= lower) & (cells < upper)
        rates.append(churned[scored][inside].mean())
    if any(a >= b for a, b in zip(rates, rates[1:])):
        warnings.append("with the chosen thresholds the churn rate does not rise from each "
                        "tier to the next on the training accounts: "
                        + ", ".join(f"{t.name} {r * 100:.1f} %"
                                    for t, r in zip(ruleset.tiers, rates)))
    return [ThresholdChange(t.name, t.threshold, float(new))
            for t, new in zip(ruleset.tiers, chosen)]


def choose_thresholds(position: "np.ndarray", churned: "np.ndarray", tiers: int,
                      min_share: float = MIN_TIER_SHARE) -> list[int]:
    """The ``tiers - 1`` whole-number thresholds (highest first, from 1 to 100) that split
    accounts by ``position`` (0 to 100: a score or a percentile rank; at or above a threshold
    is above it) into tiers of at least ``min_share`` of the accounts each, minimising the
    squared error of predicting ``churned`` by the tier's churn rate."""
    import numpy as np

    cells = np.clip(np.floor(position), 0, 100).astype(int)
    count = np.concatenate([[0], np.cumsum(np.bincount(cells, minlength=101))])
    bad = np.concatenate([[0], np.cumsum(np.bincount(cells, weights=churned.astype(float),
                                                     minlength=101))])
    least = max(1, math.ceil(min_share * len(cells)))

    def cost(low: int, high: int) -> float:  # accounts in cells low .. high - 1
        n = count[high] - count[low]
        if n < least:
            return math.inf
        b = bad[high] - bad[low]
        return b * (n - b) / n

    best = {0: {0: (0.0, [])}}  # best[j][edge]: (cost, edges) of j tiers below edge
    for j in range(1, tiers + 1):
        best[j] = {}
        edges = [101] if j == tiers else range(1, 101)
        for high in edges:
            options = [(best[j - 1][low][0] + cost(low, high), best[j - 1][low][1] + [low])
                       for low in best[j - 1] if low < high]
            found = min(options, default=(math.inf, []), key=lambda o: o[0])
            if math.isfinite(found[0]):
                best[j][high] = found
    if 101 not in best[tiers]:
        raise InputError(f"cannot choose thresholds for {tiers} tiers that each hold at least "
                         f"{min_share:.0%} of the {len(cells)} training accounts; calibrate "
                         "without tiers=True, or with more accounts")
    return sorted(best[tiers][101][1][1:], reverse=True)


# -- editing the ruleset's text -----------------------------------------------------------------

def _edit(text: str, changes: list[tuple[str, str, str, str]]) -> str:
    """``text`` with the numbers at ``section[item with that id or name].key`` replaced, each
    change being (section, id, key, new text), where they are written."""
    import yaml

    root = yaml.compose(text, Loader=yaml.SafeLoader)
    spans = []
    for section, ident, key, new in changes:
        item = _child(_child(root, section), None, ident, "name" if section == "tiers" else "id")
        node = _child(item, key)
        written = text[node.start_mark.index:node.end_mark.index]
        if not isinstance(node, yaml.ScalarNode) or node.style is not None or \
                not _is_number(written):
            raise InputError(f"{section.rstrip('s')} '{ident}': its {key} (line "
                             f"{node.start_mark.line + 1})"
                             f" is not written as a plain number ({written!r}); write the "
                             "number itself so that calibrate can replace it")
        spans.append((node.start_mark.index, node.end_mark.index, new))
    for start, end, new in sorted(spans, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def _child(node: Any, key: str | None, ident: str | None = None, id_key: str = "id") -> Any:
    """The value of ``key`` in a mapping node, or the item of a sequence node whose
    ``id_key`` is ``ident``."""
    import yaml

    if key is not None and isinstance(node, yaml.MappingNode):
        for key_node, value in node.value:
            if key_node.value == key:
                return value
    if ident is not None and isinstance(node, yaml.SequenceNode):
        for item in node.value:
            if _child(item, id_key).value == ident:
                return item
    raise InputError(f"cannot find {key or ident!r} in the ruleset's text")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
