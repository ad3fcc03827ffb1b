"""Backtesting a ruleset against known outcomes: ``healthcore backtest``.

:func:`backtest` scores accounts whose outcome is known (churned or retained, renewed or not)
and measures how well the score foretold it: the churn rate of each tier and its lift against
the base rate, the ROC AUC of the score, and for each indicator the AUC of its points, its
coverage, its mean contribution and a flag when it does not separate the outcomes or points
the wrong way.

The AUC is the probability that a retained account has a higher score than a churned one, ties
counting one half: 1.0 is a perfect score, 0.5 no better than chance. It is computed exactly
from ranks (the Mann-Whitney statistic), column-wise.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Iterable

import polars as pl

from healthcore.errors import InputError
from healthcore.errors import did_you_mean
from healthcore.engine import score

if TYPE_CHECKING:
    from healthcore.engine.results import Results
    from healthcore.ruleset import Ruleset

SEPARATION_BAND = 0.02
"""An indicator whose AUC is within this distance of 0.5 is flagged ``no_separation``; one
whose AUC is this far or farther below 0.5 is flagged ``wrong_direction``."""

TRUE_WORDS = ("yes", "y", "true", "t", "1")
FALSE_WORDS = ("no", "n", "false", "f", "0")
CHURN_WORDS = ("churned", "churn", "lost", "left", "cancelled", "canceled")
RETAIN_WORDS = ("retained", "renewed", "active", "stayed", "kept")
UNSCORED = "unscored"
"""The row of the tier table that counts the labelled accounts the ruleset could not score."""


@dataclass(frozen=True)
class Outcome:
    """How the values of the outcome ``field`` read: the ``bad`` ones mean churn (or no
    renewal), the ``good`` ones retention. Values are compared trimmed and in lower case."""

    field: str
    bad: frozenset[str]
    good: frozenset[str]


def outcome_rule(field: str, good_when: Iterable[str] | None = None,
                 bad_when: Iterable[str] | None = None) -> Outcome:
    """The reading of ``field``: by default yes/true/1/churned... mean churn and
    no/false/0/retained... retention. A yes/no value given in ``good_when`` or ``bad_when``
    stands for all its spellings (``yes`` for ``y``, ``true``, ``1``...); the side not given
    keeps its usual words, flipped when a yes value is said to be good (``good_when=["yes"]``
    for a field such as ``renewed``)."""
    for good_value in good_when or ():
        for bad_value in bad_when or ():
            if _expand([good_value]) & _expand([bad_value]):
                raise InputError(f"outcome field '{field}': '{good_value}' (a good outcome) and "
                                 f"'{bad_value}' (a bad one) stand for the same value")
    good = _expand(good_when)
    bad = _expand(bad_when)
    if good is None:
        base = TRUE_WORDS if bad is not None and bad & set(FALSE_WORDS) else FALSE_WORDS
        good = set(base + RETAIN_WORDS) - (bad or set())
    if bad is None:
        base = FALSE_WORDS if good & set(TRUE_WORDS) else TRUE_WORDS
        bad = set(base + CHURN_WORDS) - good
    return Outcome(field, frozenset(bad), frozenset(good))


def _expand(values: Iterable[str] | None) -> set[str] | None:
    if values is None:
        return None
    found: set[str] = set()
    for value in values:
        word = _normal(str(value))
        found |= (set(TRUE_WORDS) if word in TRUE_WORDS else
                  set(FALSE_WORDS) if word in FALSE_WORDS else {word})
    return found or None


def _normal(word: str) -> str:
    word = word.strip().lower()
    try:
        number = float(word)
    except ValueError:
        return word
    return "1" if number == 1 else "0" if number == 0 else word


def read_outcomes(accounts: pl.DataFrame, rule: Outcome) -> tuple[pl.Series, list[str]]:
    """Each account's outcome: true (churned), false (retained) or null (missing or not
    recognized), with a warning naming the values that were not recognized.

    Raises :class:`~healthcore.errors.InputError` when the field is not there, when no account
    has a known outcome, or when every labelled account has the same one.
    """
    name = rule.field
    if name not in accounts.columns:
        raise InputError(f"the accounts have no outcome field '{name}'"
                         f"{did_you_mean(name, accounts.columns)}; fields found: "
                         f"{', '.join(accounts.columns[:20])}")
    column = accounts.get_column(name)
    if column.dtype.is_nested():
        raise InputError(f"outcome field '{name}' holds {column.dtype}, not outcomes such as "
                         "yes/no or churned/retained")
    text = pl.col("text")
    number = text.cast(pl.Float64, strict=False)
    frame = pl.DataFrame({"text": (column.cast(pl.Int8) if column.dtype == pl.Boolean
                                   else column).cast(pl.String).str.strip_chars()})
    frame = frame.with_columns(pl.when(number == 1).then(pl.lit("1"))
                               .when(number == 0).then(pl.lit("0"))
                               .otherwise(text.str.to_lowercase()).alias("word"))
    churned = frame.select(
        pl.when(pl.col("word").is_in(list(rule.bad))).then(True)
        .when(pl.col("word").is_in(list(rule.good))).then(False)
        .alias(name)).get_column(name)
    strange = (frame.filter(churned.is_null() & (text.str.len_chars() > 0))
               .group_by("text").len().sort(["len", "text"], descending=[True, False]))
    shown = ", ".join(f"'{value[:40]}' ({count})" for value, count in strange.head(5).iter_rows())
    more = f" and {strange.height - 5} other values" if strange.height > 5 else ""
    known = churned.drop_nulls()
    if known.len() == 0:
        found = f"; values found: {shown}{more}" if shown else ": it is empty for every account"
        raise InputError(f"outcome field '{name}': no account has a known outcome{found}. "
                         "Say which values mean a bad outcome (churn) with --bad-when and "
                         "which a good one with --good-when")
    if known.n_unique() == 1:
        which = "churned" if known[0] else "retained"
        raise InputError(f"outcome field '{name}': all {known.len()} accounts with a known "
                         f"outcome {which}; a backtest needs churned and retained accounts")
    warnings = []
    if strange.height:
        count = int(strange.get_column("len").sum())
        warnings.append(f"outcome field '{name}': {count} account{'s' if count > 1 else ''} "
                        f"with an outcome that means neither churn nor retention, left out: "
                        f"{shown}{more} (say what they mean with --good-when or --bad-when)")
    return churned, warnings


def auc_expr(values: pl.Expr, churned: pl.Expr) -> pl.Expr:
    """The ROC AUC of ``values`` for telling retained accounts (``churned`` false) from churned
    ones, over the rows where both are known; null when either class is absent."""
    known = values.is_not_null() & churned.is_not_null()
    bad = churned.filter(known)
    ranks = values.filter(known).rank("average")
    good_count = bad.not_().sum().cast(pl.Float64)
    bad_count = bad.sum().cast(pl.Float64)
    rank_sum = ranks.filter(bad.not_()).sum().cast(pl.Float64)
    return (pl.when((good_count > 0) & (bad_count > 0))
            .then((rank_sum - good_count * (good_count + 1) / 2) / (good_count * bad_count)))


def flag(auc: float | None, churned: int = 0, retained: int = 0) -> str | None:
    """The flag of an indicator whose points have this ``auc`` and are known for ``churned``
    and ``retained`` labelled accounts: without an AUC, ``no_data`` (no labelled account has
    points), ``only_churned`` or ``only_retained`` (only accounts of that outcome have
    points); else ``no_separation`` (AUC within :data:`SEPARATION_BAND` of 0.5),
    ``wrong_direction`` (higher points go with more churn) or None."""
    if auc is None:
        return "only_churned" if churned else "only_retained" if retained else "no_data"
    if abs(auc - 0.5) < SEPARATION_BAND:
        return "no_separation"
    return "wrong_direction" if auc < 0.5 else None


@dataclass(frozen=True)
class TierFigures:
    """A tier's labelled accounts, how many churned, the churn rate and its lift (rate / the
    base rate)."""

    tier: str
    accounts: int
    churned: int
    rate: float | None
    lift: float | None


@dataclass(frozen=True)
class IndicatorFigures:
    """An indicator's AUC (of its points), coverage (share of the accounts where it has a
    value), mean contribution to the score (over the scored accounts, 0 where it does not
    count) and flag (see :func:`flag`)."""

    id: str
    auc: float | None
    coverage: float
    contribution: float | None
    flag: str | None


@dataclass
class Backtest:
    """What :func:`backtest` measures. ``accounts`` counts every account; ``labelled`` those
    with a known outcome, on which every rate is computed; ``scored`` the labelled accounts
    with a score, on which the AUC is computed. ``tiers`` are in the ruleset's order (best
    first), then ``unscored`` when labelled accounts could not be scored."""

    ruleset: str
    outcome: str
    accounts: int
    labelled: int
    scored: int
    churned: int
    base_rate: float
    auc: float | None
    tiers: list[TierFigures]
    indicators: list[IndicatorFigures]
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``healthcore backtest --format json``."""
        return {"ruleset": self.ruleset, "outcome": self.outcome, "accounts": self.accounts,
                "labelled": self.labelled, "scored": self.scored, "churned": self.churned,
                "base_rate": self.base_rate, "auc": self.auc,
                "tiers": [asdict(t) for t in self.tiers],
                "indicators": [asdict(i) for i in self.indicators],
                "warnings": list(self.warnings)}


def backtest(ruleset: "Ruleset", accounts: Any, outcome: str, *,
             good_when: Iterable[str] | None = None, bad_when: Iterable[str] | None = None,
             results: "Results | None" = None) -> Backtest:
    """Score ``accounts`` (anything :meth:`Ruleset.score` accepts) and measure the scores
    against the outcome field ``outcome`` (read by :func:`outcome_rule`). ``results``: the
    accounts' scores already computed by ``ruleset``, in the same order."""
    from healthcore.engine import as_frame

    frame = as_frame(accounts)
    churned, warnings = outcomes(ruleset, frame, outcome, good_when, bad_when)
    if results is None:
        results = score(ruleset, frame)
        warnings += results.warnings
    return measure(ruleset, results.scores, churned, warnings)


def outcomes(ruleset: "Ruleset", accounts: pl.DataFrame, outcome: str,
             good_when: Iterable[str] | None = None, bad_when: Iterable[str] | None = None
             ) -> tuple[pl.Series, list[str]]:
    """:func:`read_outcomes` of the field ``outcome`` read by :func:`outcome_rule`, with a
    warning when ``ruleset`` reads that field itself."""
    churned, warnings = read_outcomes(accounts, outcome_rule(outcome, good_when, bad_when))
    if outcome in ruleset.fields():
        warnings.append(f"the ruleset reads the outcome field '{outcome}' itself, so its score "
                        "already knows the answer")
    return churned, warnings


def measure(ruleset: "Ruleset", scores: pl.DataFrame, churned: pl.Series,
            warnings: list[str] | None = None) -> Backtest:
    """The figures of a backtest from ``Results.scores`` and each account's outcome
    (:func:`read_outcomes`), row by row."""
    table = scores.with_columns(churned.alias("__churned"))
    bad = pl.col("__churned")
    labelled = table.filter(bad.is_not_null())
    summary = labelled.select(
        pl.len().alias("labelled"), bad.sum().alias("churned"),
        pl.col("score").is_not_null().sum().alias("scored"),
        auc_expr(pl.col("score"), bad).alias("auc"),
        *(auc_expr(pl.col(f"{i.id}.points"), bad).alias(i.id) for i in ruleset.indicators),
        *((pl.col(f"{i.id}.points").is_not_null() & outcome).sum().alias(f"{i.id}.{name}")
          for i in ruleset.indicators for name, outcome in (("churned", bad),
                                                            ("retained", bad.not_()))),
    ).row(0, named=True)
    base_rate = summary["churned"] / summary["labelled"]
    return Backtest(ruleset.name, churned.name, table.height, summary["labelled"],
                    summary["scored"], summary["churned"], base_rate, summary["auc"],
                    _tiers(ruleset, labelled, base_rate),
                    _indicators(ruleset, table, summary), list(warnings or []))


def _tiers(ruleset: "Ruleset", labelled: pl.DataFrame, base_rate: float) -> list[TierFigures]:
    counts = {tier: (count, churned) for tier, count, churned in labelled.group_by("tier").agg(
        pl.len(), pl.col("__churned").sum()).iter_rows()}
    names = [t.name for t in ruleset.tiers] + ([UNSCORED] if None in counts else [])
    rows = []
    for name in names:
        count, churned = counts.get(None if name == UNSCORED else name, (0, 0))
        rate = churned / count if count else None
        rows.append(TierFigures(name, count, churned, rate,
                                None if rate is None else rate / base_rate))
    return rows


def _indicators(ruleset: "Ruleset", table: pl.DataFrame, summary: dict[str, Any]
                ) -> list[IndicatorFigures]:
    scored = pl.col("score").is_not_null()
    stats = table.select(
        *((pl.col(f"{i.id}.value").is_not_null() & pl.col(f"{i.id}.points").is_not_null())
          .mean().alias(f"{i.id}.coverage") for i in ruleset.indicators),
        *(pl.col(f"{i.id}.contribution").fill_null(0.0).filter(scored).mean()
          .alias(f"{i.id}.contribution") for i in ruleset.indicators),
    ).row(0, named=True)
    return [IndicatorFigures(i.id, summary[i.id], stats[f"{i.id}.coverage"],
                             stats[f"{i.id}.contribution"],
                             flag(summary[i.id], summary[f"{i.id}.churned"],
                                  summary[f"{i.id}.retained"]))
            for i in ruleset.indicators]


# -- text ---------------------------------------------------------------------------------------

FLAG_WORDS = {"no_separation": "does not separate churned from retained accounts",
              "wrong_direction": "points the wrong way: more points go with more churn",
              "no_data": "no labelled account has points for it",
              "only_churned": "only churned labelled accounts have points for it",
              "only_retained": "only retained labelled accounts have points for it"}


def percent(value: float | None) -> str:
    """``26.5 %``, or ``-`` for no value."""
    return "-" if value is None else f"{value * 100:.1f} %"


def number(value: float | None, digits: int = 3) -> str:
    """``value`` with ``digits`` decimals, or ``-``."""
    return "-" if value is None else f"{value:.{digits}f}"


def table(header: tuple[str, ...], rows: list[tuple[str, ...]], left: tuple[int, ...] = (0,)
          ) -> list[str]:
    """Aligned text columns: those numbered in ``left`` to the left, the others to the right."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(header)]

    def line(cells: tuple[str, ...]) -> str:
        return "  " + "  ".join(c.ljust(w) if i in left else c.rjust(w)
                                for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    return [line(header), *(line(r) for r in rows)]


def tier_rows(result: Backtest) -> list[tuple[str, ...]]:
    return [(t.tier, str(t.accounts), str(t.churned), percent(t.rate), number(t.lift, 2))
            for t in result.tiers]


def render_text(result: Backtest) -> str:
    """The ``--format table`` report of ``healthcore backtest``."""
    out = [f"{result.ruleset}: {result.accounts} accounts, {result.labelled} with a known "
           f"outcome in '{result.outcome}', {result.churned} churned (base rate "
           f"{percent(result.base_rate)})",
           f"AUC of the score: {number(result.auc)} on {result.scored} scored accounts "
           "(1.0: perfect, 0.5: no better than chance)", ""]
    out += table(("tier", "accounts", "churned", "churn rate", "lift"), tier_rows(result))
    out.append("")
    out += table(("indicator", "AUC", "coverage", "contribution", "flag"),
                 [(i.id, number(i.auc), percent(i.coverage), number(i.contribution, 1),
                   i.flag or "") for i in result.indicators], left=(0, 4))
    flagged = [i for i in result.indicators if i.flag]
    if flagged:
        out.append("")
        out += [f"{i.id}: {FLAG_WORDS[i.flag]} (AUC {number(i.auc)})" for i in flagged]
    return "\n".join(out)
