"""The portfolio view: ``healthcore summary`` and the summary section of the report.

:func:`summarize` aggregates scored accounts overall, per segment and per tier: the number of
accounts, the tier mix, the mean score, and the business figures the ruleset's metrics provide.
Every rate is computed from **summed counts**, as the customer-success literature does for a
portfolio: the portfolio NPS is ``100 x (sum of promoters - sum of detractors) / sum of
responses``, not the mean of the accounts' NPS. Likewise CSAT (positive / answers), the churn
rate (lost / at start), the renewal rate (renewed / eligible) and NRR (kept and expanded MRR /
starting MRR); MRR and ARR are the totals of the ``mrr`` and ``arr`` indicators.

An account counts towards a figure where its indicator has a value (an account whose NPS data is
unreadable or who has no response adds nothing). A figure that the ruleset cannot provide (no
indicator with that metric) is None, never 0. When several indicators use the same metric with
different fields (two surveys, say), their counts are added; identical ones count once.

"MRR at risk" is the MRR of the accounts in the **at-risk tiers**: the tiers colored red, or the
lowest tier when no tier is red. Accounts that could not be scored have no tier and are not in it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

import polars as pl

from healthcore.errors import InputError
from healthcore.ruleset import DEFAULT_SEGMENT

if TYPE_CHECKING:
    from healthcore.engine.results import Results
    from healthcore.ruleset import Indicator, Ruleset

UNSCORED = "unscored"
OVERALL = "all"


def _percent(part: float, whole: float) -> float | None:
    return 100.0 * part / whole if whole > 0 else None


@dataclass(frozen=True)
class Figure:
    """A portfolio figure: the metric whose indicators provide it, the per-account parts that
    are summed, and the figure computed from the sums."""

    name: str
    label: str
    metric: str
    parts: tuple[str, ...]
    value: Callable[[dict[str, float]], float | None]
    unit: str
    """``score`` (NPS, -100..100), ``percent`` or ``money``."""


FIGURES = (
    Figure("nps", "NPS", "nps", ("promoters", "passives", "detractors"),
           lambda s: _percent(s["promoters"] - s["detractors"],
                              s["promoters"] + s["passives"] + s["detractors"]), "score"),
    Figure("csat", "CSAT", "csat", ("positive", "total"),
           lambda s: _percent(s["positive"], s["total"]), "percent"),
    Figure("churn_rate", "churn", "churn_rate", ("lost", "at_start"),
           lambda s: _percent(s["lost"], s["at_start"]), "percent"),
    Figure("renewal_rate", "renewal", "renewal_rate", ("renewed", "eligible"),
           lambda s: _percent(s["renewed"], s["eligible"]), "percent"),
    Figure("mrr", "MRR", "mrr", ("mrr",), lambda s: s["mrr"], "money"),
    Figure("arr", "ARR", "arr", ("arr",), lambda s: s["arr"], "money"),
    Figure("nrr", "NRR", "nrr", ("start_mrr", "expansion", "contraction", "churned"),
           lambda s: _percent(s["start_mrr"] - s["contraction"] - s["churned"] + s["expansion"],
                              s["start_mrr"]), "percent"),
)
"""The figures, in the order of the table and the JSON."""

MRR_AT_RISK = "mrr_at_risk"


@dataclass(frozen=True)
class Group:
    """The aggregates of one group of accounts (all of them, a segment or a tier).

    ``figures`` holds every name of :data:`FIGURES` and ``mrr_at_risk`` (None where the ruleset
    cannot provide it, or no account of the group has a value); ``counts`` holds, for each
    figure the ruleset provides, the summed parts and the number of ``accounts`` that
    contributed (None for the others).
    """

    name: str
    label: str
    accounts: int
    scored: int
    mean_score: float | None
    tier_mix: dict[str, int]
    at_risk_accounts: int
    figures: dict[str, float | None]
    counts: dict[str, dict[str, float] | None]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "accounts": self.accounts,
                "scored": self.scored, "mean_score": self.mean_score,
                "tier_mix": self.tier_mix, "at_risk_accounts": self.at_risk_accounts,
                **self.figures, "counts": self.counts}


@dataclass(frozen=True)
class Summary:
    """What :func:`summarize` returns: ``overall``, then one group per segment (when the
    ruleset has segments) and one per tier (then ``unscored`` if any account is)."""

    ruleset: str
    tiers: tuple[str, ...]
    at_risk_tiers: tuple[str, ...]
    provided: tuple[str, ...]
    """The names of the figures the ruleset provides, in :data:`FIGURES` order."""
    overall: Group
    segments: tuple[Group, ...]
    by_tier: tuple[Group, ...]

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``healthcore summary --format json``."""
        return {"ruleset": self.ruleset, "at_risk_tiers": list(self.at_risk_tiers),
                "figures": list(self.provided), "overall": self.overall.to_dict(),
                "segments": [g.to_dict() for g in self.segments],
                "tiers": [g.to_dict() for g in self.by_tier]}

    def table(self) -> tuple[list[str], list[list[str]]]:
        """The header and the rows of the summary table (overall, segments, tiers), as text:
        the text output and the report show the same figures."""
        header = ["group", "accounts", "mean score", *self.tiers]
        figures = [f for f in FIGURES if f.name in self.provided]
        header += [f.label for f in figures]
        money = "mrr" in self.provided
        if money:
            header.append("MRR at risk")
        rows = []
        for group in (self.overall, *self.segments, *self.by_tier):
            row = [group.label, f"{group.accounts:,}", _format(group.mean_score, "mean")]
            row += [_mix(group.tier_mix.get(tier, 0), group.accounts) for tier in self.tiers]
            row += [_format(group.figures[f.name], f.unit) for f in figures]
            if money:
                row.append(_format(group.figures[MRR_AT_RISK], "money"))
            rows.append(row)
        return header, rows


def _mix(count: int, total: int) -> str:
    return f"{count:,} ({100.0 * count / total:.0f} %)" if total else "0"


def _format(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "money":
        return f"{value:,.0f}"
    if unit == "score":
        return f"{value:+.1f}"
    return f"{value:.1f} %" if unit == "percent" else f"{value:.1f}"


def at_risk_tiers(ruleset: "Ruleset") -> tuple[str, ...]:
    """The tiers whose accounts are at risk: those colored red, else the lowest tier."""
    red = tuple(t.name for t in ruleset.tiers if t.color == "red")
    return red or (ruleset.tiers[-1].name,)


def summarize(results: "Results", accounts: "pl.DataFrame | Any") -> Summary:
    """The portfolio summary of ``results``, the scoring of ``accounts`` (the same table, in the
    same order: the counts behind NPS, CSAT and the rates are read from it)."""
    from healthcore.engine import as_frame

    frame = as_frame(accounts)
    if frame.height != len(results):
        raise InputError(f"the accounts ({frame.height}) are not the ones scored "
                         f"({len(results)} results): give the table that was scored")
    ruleset = results.ruleset
    at_risk = at_risk_tiers(ruleset)
    parts, provided = _account_parts(ruleset, results.scores, frame)
    table = results.scores.select(
        "score", "tier", *(["segment"] if ruleset.segments else [])
    ).hstack(parts).with_columns(pl.col("tier").is_in(at_risk).fill_null(False).alias("_risk"))
    tier_names = tuple(t.name for t in ruleset.tiers)
    unscored = table["tier"].null_count() > 0
    mix = tier_names + ((UNSCORED,) if unscored else ())
    aggregates = _aggregates(tier_names, unscored, provided)

    def group(name: str, label: str, row: dict[str, Any]) -> Group:
        return _group(name, label, row, mix, provided)

    overall = group(OVERALL, "all accounts", table.select(aggregates).row(0, named=True))
    segments: list[Group] = []
    if ruleset.segments:
        rows = _rows_by(table, "segment", aggregates)
        labels = [(s.id, s.label) for s in ruleset.segments]
        if DEFAULT_SEGMENT in rows:
            labels.append((DEFAULT_SEGMENT, "other accounts (default)"))
        segments = [group(ident, f"segment {label}", rows.get(ident, {})) for ident, label in
                    labels]
    tier_rows = _rows_by(table.with_columns(pl.col("tier").fill_null(UNSCORED).alias("_key")),
                         "_key", aggregates)
    by_tier = [group(t.name, f"tier {t.name}" + (f" ({t.label})" if t.label != t.name else ""),
                     tier_rows.get(t.name, {})) for t in ruleset.tiers]
    if unscored:
        by_tier.append(group(UNSCORED, "not scored", tier_rows[UNSCORED]))
    return Summary(ruleset.name, tier_names, at_risk, provided, overall, tuple(segments),
                   tuple(by_tier))


def _rows_by(table: pl.DataFrame, key: str, aggregates: list[pl.Expr]) -> dict[str, dict]:
    return {row[key]: row for row in table.group_by(key).agg(aggregates).iter_rows(named=True)}


def _aggregates(tiers: tuple[str, ...], unscored: bool, provided: tuple[str, ...]
                ) -> list[pl.Expr]:
    exprs = [pl.len().alias("_accounts"), pl.col("score").count().alias("_scored"),
             pl.col("score").mean().alias("_mean"), pl.col("_risk").sum().alias("_at_risk")]
    exprs += [(pl.col("tier") == tier).sum().alias(f"_tier.{tier}") for tier in tiers]
    if unscored:
        exprs.append(pl.col("tier").is_null().sum().alias(f"_tier.{UNSCORED}"))
    for figure in FIGURES:
        if figure.name in provided:
            exprs += [pl.col(f"{figure.name}.{part}").sum() for part in figure.parts]
            exprs.append(pl.col(f"{figure.name}.{figure.parts[0]}").count()
                         .alias(f"{figure.name}._accounts"))
    if "mrr" in provided:
        exprs.append(pl.col("mrr.mrr").filter(pl.col("_risk")).sum().alias(MRR_AT_RISK))
    return exprs


def _group(name: str, label: str, row: dict[str, Any], mix: tuple[str, ...],
           provided: tuple[str, ...]) -> Group:
    """A :class:`Group` from one row of :func:`_aggregates` (empty: a group without
    accounts)."""
    figures: dict[str, float | None] = {}
    counts: dict[str, dict[str, float] | None] = {}
    for figure in FIGURES:
        contributing = row.get(f"{figure.name}._accounts") or 0
        if figure.name not in provided:
            figures[figure.name], counts[figure.name] = None, None
            continue
        sums = {part: _whole(row.get(f"{figure.name}.{part}") or 0.0) for part in figure.parts}
        figures[figure.name] = _finite(figure.value(sums)) if contributing else None
        counts[figure.name] = {**sums, "accounts": contributing}
    figures[MRR_AT_RISK] = (_finite(row.get(MRR_AT_RISK) or 0.0) if "mrr" in provided
                            else None)
    return Group(name, label, row.get("_accounts", 0), row.get("_scored", 0),
                 row.get("_mean"), {tier: row.get(f"_tier.{tier}", 0) for tier in mix},
                 row.get("_at_risk", 0), figures, counts)


def _whole(value: float) -> float | int:
    """A count as an int when it is whole (sums of counts), else as it is (amounts)."""
    return int(value) if float(value).is_integer() else float(value)


def _finite(value: float | None) -> float | None:
    return value if value is None or math.isfinite(value) else None


# ----------------------------------------------------------------------------- account parts

_GENERIC = ("numerator", "denominator")
"""The generic names under which quotient metrics (churn_rate, renewal_rate) take their two
count fields."""


def _account_parts(ruleset: "Ruleset", scores: pl.DataFrame, accounts: pl.DataFrame
                   ) -> tuple[pl.DataFrame, tuple[str, ...]]:
    """One column per summed part (``nps.promoters``...), one row per account: the account's
    part where its indicator has a value, else null; and the figures provided."""
    from healthcore.engine.inputs import missing_field, prepare

    def column(field: str, kind: str) -> pl.Expr:
        if field in accounts.schema:
            return prepare(field, kind, accounts.schema[field])[0]
        return missing_field(field, kind)[0]

    columns: list[pl.Expr] = []
    provided = []
    for figure in FIGURES:
        sources = _distinct([ind for ind in ruleset.indicators
                             if ind.metric.name == figure.metric])
        if not sources:
            continue
        provided.append(figure.name)
        per_indicator = [(pl.col(_value(ind)).is_not_null(), _parts(figure, ind, column))
                         for ind in sources]
        present = pl.any_horizontal([valid for valid, _ in per_indicator])
        for part in figure.parts:
            total = pl.sum_horizontal([pl.when(valid).then(parts[part])
                                       for valid, parts in per_indicator])
            columns.append(pl.when(present).then(total).cast(pl.Float64)
                           .alias(f"{figure.name}.{part}"))
    source = accounts.hstack(scores.select(pl.col(f"{ind.id}.value").alias(_value(ind))
                                           for ind in ruleset.indicators))
    return source.select(columns) if columns else pl.DataFrame(), tuple(provided)


def _value(indicator: "Indicator") -> str:
    """The name under which an indicator's value sits next to the account fields."""
    return f"__hc_value.{indicator.id}"


def _distinct(indicators: list["Indicator"]) -> list["Indicator"]:
    """The indicators reading different inputs (one reading the same as another counts once)."""
    seen, kept = set(), []
    for indicator in indicators:
        key = repr(sorted(indicator.params.items()))
        if key not in seen:
            seen.add(key)
            kept.append(indicator)
    return kept


def _parts(figure: Figure, indicator: "Indicator",
           column: Callable[[str, str], pl.Expr]) -> dict[str, pl.Expr]:
    """Each part of ``figure`` for one account, read as the indicator's metric reads it."""
    from healthcore.builtin.metrics import NPS_PASSIVES_FROM, NPS_PROMOTERS_FROM, list_count

    if figure.metric in ("mrr", "arr"):
        return {figure.parts[0]: pl.col(_value(indicator))}
    fields = {item.param: item.field for item in indicator.inputs if item.field is not None}
    if "responses" in fields:
        answers = column(fields["responses"], "numbers")
        if figure.name == "csat":
            return {"positive": list_count(answers, pl.element() >= indicator.params["threshold"]),
                    "total": answers.list.len()}
        cutoffs = indicator.params.get("cutoffs") or {}
        promoters = list_count(answers, pl.element() >= cutoffs.get("promoters",
                                                                    NPS_PROMOTERS_FROM))
        detractors = list_count(answers, pl.element() < cutoffs.get("passives",
                                                                    NPS_PASSIVES_FROM))
        return {"promoters": promoters, "detractors": detractors,
                "passives": answers.list.len() - promoters - detractors}
    if _GENERIC[0] in fields:
        fields = dict(zip(figure.parts, (fields[name] for name in _GENERIC)))
    return {part: column(fields[part], "count") for part in figure.parts}


def render_text(summary: Summary) -> str:
    """The ``--format table`` output: the summary table, then what "at risk" means."""
    header, rows = summary.table()
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    lines = [f"{summary.ruleset}: {summary.overall.accounts:,} accounts", ""]
    for row in (header, *rows):
        lines.append("  ".join(cell.ljust(width) if i == 0 else cell.rjust(width)
                               for i, (cell, width) in enumerate(zip(row, widths))).rstrip())
    lines += ["", f"At risk: the accounts in the tier{'s' if len(summary.at_risk_tiers) > 1 else ''}"
              f" {', '.join(summary.at_risk_tiers)}."
              + (" MRR at risk is their MRR." if "mrr" in summary.provided else ""),
              "Rates are computed from the counts summed over the accounts (a portfolio NPS "
              "is not the mean of the accounts' NPS); - : no data."]
    return "\n".join(lines)
