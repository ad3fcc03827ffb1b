"""Alerts: which of a ruleset's ``alerts:`` hold for each account of a run, grouped in episodes.

An alert holds for an account in a run or not. An episode starts in the first run where it holds
(the alert is *raised* then, and only then) and goes on while it holds in the following runs. When
it stops holding the episode ends; if it holds again within the alert's ``cooldown_days`` of the
episode's last run, the same episode resumes (no new alert): alerts do not flap.

``tier_worsened`` holds while the tier is worse than the tier the account had before the episode
(its *baseline*), so a slide over several runs is one episode. The other kinds hold while their
condition does: ``score_drop`` (the score is at least ``points`` below the highest score
recorded in the ``within_days`` days before the run), ``indicator`` (points, or value, below or
above a threshold) and ``stays_in_tier`` (in one of the tiers in this run and the ``runs - 1``
runs before it).

:func:`evaluate` is pure (polars in, polars out); the history store gathers its
:class:`Context` inside the transaction that records the run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

import polars as pl

from healthcore.history.dates import FIRST_DAY, days_before
from healthcore.history.outbox import alert_id

if TYPE_CHECKING:
    from healthcore.ruleset import AlertRule, Ruleset

SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}
"""The alerts' severities, most severe first."""
STATE_COLUMNS = {"alert": pl.String, "account_id": pl.String, "since": pl.String,
                 "raised": pl.Boolean, "severity": pl.String, "baseline": pl.String,
                 "message": pl.String}
"""The columns of an alert state: one row per alert holding for an account in a run."""


@dataclass
class Context:
    """What the history knew before the run of ``day``."""

    day: str
    previous_as_of: str | None = None
    previous: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(
        schema={"account_id": pl.String, "tier": pl.String}))
    """The accounts of the previous run: ``account_id``, ``tier``."""
    last_states: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema={
        "alert": pl.String, "account_id": pl.String, "as_of": pl.String, "since": pl.String,
        "baseline": pl.String}))
    """Per alert and account, its latest state before the run (``as_of`` of that run)."""
    peaks: dict[int, pl.DataFrame] = field(default_factory=dict)
    """Per ``within_days``: the highest score of each account in that window
    (``account_id``, ``peak``)."""
    streaks: dict[int, pl.DataFrame] = field(default_factory=dict)
    """Per ``runs``: each account's tiers in the ``runs - 1`` runs before this one
    (``account_id``, ``tier``, one row per run), and only when that many runs exist."""


def needs_peaks(ruleset: "Ruleset") -> set[int]:
    """The score windows (days) the ruleset's alerts read."""
    return {rule.within_days for rule in ruleset.alerts
            if rule.kind == "score_drop" and rule.within_days}


def needs_streaks(ruleset: "Ruleset") -> set[int]:
    """The run counts the ruleset's ``stays_in_tier`` alerts read."""
    return {rule.runs for rule in ruleset.alerts if rule.kind == "stays_in_tier" and rule.runs}


def longest_cooldown(ruleset: "Ruleset") -> int:
    return max((rule.cooldown_days for rule in ruleset.alerts), default=0)


def evaluate(ruleset: "Ruleset", current: pl.DataFrame, context: Context) -> pl.DataFrame:
    """The alert states of this run (:data:`STATE_COLUMNS`): ``current`` holds the accounts
    alerts apply to (``account_id`` as text, ``score``, ``tier`` and the indicators'
    ``.points`` and ``.value`` columns), ``context`` what came before."""
    ranks = {tier.name: index for index, tier in enumerate(ruleset.tiers)}
    current = _with_context(ruleset, current, context)
    frames = [_states(rule, current, context, ranks) for rule in ruleset.alerts]
    return pl.concat(frames) if frames else pl.DataFrame(schema=STATE_COLUMNS)


def _states(rule: "AlertRule", current: pl.DataFrame, context: Context,
            ranks: dict[str, int]) -> pl.DataFrame:
    cutoff = days_before(context.day, rule.cooldown_days) or FIRST_DAY
    last = (context.last_states.filter(pl.col("alert") == rule.id)
            .select("account_id", pl.col("as_of").alias("last_as_of"),
                    pl.col("since").alias("last_since"), pl.col("baseline").alias("last_baseline")))
    frame = current.join(last, on="account_id", how="left", maintain_order="left")
    previous_run = (pl.col("last_as_of") == context.previous_as_of
                    if context.previous_as_of is not None else pl.lit(False))
    resumes = pl.col("last_as_of").is_not_null() & ((pl.col("last_as_of") >= cutoff)
                                                     | previous_run)
    frame = frame.with_columns(resumes.fill_null(False).alias("resumes"))
    active, baseline, message = _CONDITIONS[rule.kind](rule, ranks)
    frame = frame.with_columns(active.fill_null(False).alias("active"),
                               baseline.cast(pl.String).alias("baseline"),
                               message.alias("message"))
    return frame.filter(pl.col("active")).select(
        pl.lit(rule.id).alias("alert"), "account_id",
        pl.when(pl.col("resumes")).then(pl.col("last_since")).otherwise(pl.lit(context.day))
        .alias("since"),
        pl.col("resumes").not_().alias("raised"), pl.lit(rule.severity).alias("severity"),
        "baseline", "message")


Condition = Callable[["AlertRule", dict[str, int]], tuple[pl.Expr, pl.Expr, pl.Expr]]
"""An alert kind's condition: (whether it holds, the baseline kept with it, its message)."""


def _rank(column: pl.Expr, ranks: dict[str, int]) -> pl.Expr:
    return column.replace_strict(ranks, default=None, return_dtype=pl.Int64)


def _tier_worsened(rule: "AlertRule", ranks: dict[str, int]) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    baseline = (pl.when(pl.col("resumes")).then(pl.col("last_baseline"))
                .otherwise(pl.col("previous_tier")))
    active = _rank(pl.col("tier"), ranks) > _rank(baseline, ranks)
    message = pl.format("tier fell from {} to {}", baseline, pl.col("tier"))
    return active, baseline, message


def _score_drop(rule: "AlertRule", ranks: dict[str, int]) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    peak = pl.col(f"peak_{rule.within_days}")
    fall = peak - pl.col("score")
    active = fall >= rule.points
    message = pl.format(f"score fell {{}} points in {rule.within_days} days ({{}} -> {{}})",
                        fall.round(1), peak.round(1), pl.col("score").round(1))
    return active, peak.round(1), message


def _indicator(rule: "AlertRule", ranks: dict[str, int]) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    watched = pl.col(f"{rule.indicator}.{rule.of}")
    if rule.below is not None:
        active, side, threshold = watched < rule.below, "below", rule.below
    else:
        active, side, threshold = watched > rule.above, "above", rule.above
    message = pl.format(f"{rule.indicator} {rule.of} {{}} {side} {threshold:g}",
                        watched.round(2))
    return active, pl.lit(None, pl.String), message


def _stays_in_tier(rule: "AlertRule", ranks: dict[str, int]) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    in_tier = pl.col("tier").is_in(list(rule.tiers))
    active = in_tier & (pl.col(f"streak_{rule.runs}") == (rule.runs or 0) - 1)
    message = pl.format(f"{{}} for {rule.runs} runs in a row", pl.col("tier"))
    return active, pl.lit(None, pl.String), message


_CONDITIONS: dict[str, Condition] = {"tier_worsened": _tier_worsened, "score_drop": _score_drop,
                                     "indicator": _indicator, "stays_in_tier": _stays_in_tier}


def _with_context(ruleset: "Ruleset", current: pl.DataFrame,
                         context: Context) -> pl.DataFrame:
    """``current`` with the columns the conditions read from the context: the previous tier,
    the peaks and the streaks."""
    frame = current.join(context.previous.select("account_id",
                                                 pl.col("tier").alias("previous_tier")),
                         on="account_id", how="left", maintain_order="left")
    for days, peaks in context.peaks.items():
        frame = frame.join(peaks.select("account_id", pl.col("peak").alias(f"peak_{days}")),
                           on="account_id", how="left", maintain_order="left")
    for rule in ruleset.alerts:
        if rule.kind != "stays_in_tier" or rule.runs is None:
            continue
        name = f"streak_{rule.runs}"
        if name in frame.columns:
            continue
        history = context.streaks.get(rule.runs)
        counted = (history.filter(pl.col("tier").is_in(list(rule.tiers)))
                   .group_by("account_id").len(name="count")
                   if history is not None else pl.DataFrame(schema={"account_id": pl.String,
                                                                    "count": pl.UInt32}))
        frame = frame.join(counted.select("account_id", pl.col("count").cast(pl.Int64)
                                          .alias(name)),
                           on="account_id", how="left", maintain_order="left")
    return frame


def to_records(states: pl.DataFrame, ruleset: "Ruleset", day: str,
               current: pl.DataFrame) -> list[dict[str, Any]]:
    """Raised alerts as plain dicts for delivery: id (stable, see
    :func:`~healthcore.history.outbox.alert_id`), alert, label, severity, account_id, score,
    tier, since, message, ruleset, as_of."""
    labels = {rule.id: rule.label for rule in ruleset.alerts}
    raised = states.filter(pl.col("raised")).join(
        current.select("account_id", "score", "tier"), on="account_id", how="left")
    return [{"id": alert_id(ruleset.name, row["alert"], row["account_id"], row["since"]),
             "alert": row["alert"], "label": labels.get(row["alert"], row["alert"]),
             "severity": row["severity"], "account_id": row["account_id"],
             "score": row["score"], "tier": row["tier"], "since": row["since"],
             "message": row["message"], "ruleset": ruleset.name, "as_of": day}
            for row in raised.iter_rows(named=True)]
