"""The saas-b2b ruleset written by hand as lazy polars queries: the yardstick of the benchmark.

Everything of ``rulesets/saas-b2b.yaml`` is hard-coded here (formulas, normalizers, weights,
actions, tiers, reason texts) with healthcore's semantics: a null or non-finite indicator drops
out and the other weights are scaled up, division by zero is null, negative counts are invalid,
a CSAT with more positive answers than answers is invalid, ``champion_left`` text
``yes/true/y/t/1`` is true, and a null condition is not true. It assumes what
``bench_scoring.py`` generates: numeric columns with finite values (or null) and
``champion_left`` as text; it has none of healthcore's generality (NaN, text in number columns,
missing columns, other rulesets).

- :func:`scores`: account_id, score and tier only, the figure healthcore is measured against.
- :func:`full_results`: every column of healthcore's ``Results.frame``, reasons and errors
  included, built without ``pl.concat_list`` or ``list.eval`` (see :func:`_ranked_reasons`
  and :func:`_split`), which are what make healthcore's explanation columns slow.
- Run as a script (it imports polars only), it scores a Parquet file into a Parquet file shaped
  like ``healthcore evaluate RULESET IN.parquet -o OUT.parquet``, or, with ``--scores-only``,
  into a CSV or Parquet file (by OUT's extension) of account_id, score and tier, like
  ``healthcore evaluate RULESET IN.parquet --columns account_id,score,tier -o OUT``::

      python benchmarks/handwritten.py IN.parquet OUT.parquet
      python benchmarks/handwritten.py --scores-only IN.parquet OUT.csv
"""

from __future__ import annotations

import sys

import polars as pl

LATE_DAYS, RENEWAL_WINDOW, LOW_USAGE = 30.0, 90.0, 0.5
TOP_REASONS = 3
TRUE_TEXT = ["true", "yes", "y", "t", "1"]
FALSE_TEXT = ["false", "no", "n", "f", "0"]
COUNT_FIELDS = ("nps_promoters", "nps_passives", "nps_detractors", "csat_positive", "csat_total")

# id: (label, weight), in the ruleset's order
INDICATORS = {
    "seat_usage": ("Seat usage", 20.0),
    "usage_trend": ("Usage trend", 20.0),
    "feature_adoption": ("Feature adoption", 15.0),
    "login_frequency": ("Logins per user", 10.0),
    "nps": ("NPS", 15.0),
    "csat": ("CSAT", 10.0),
    "support_load": ("Open tickets per 10 seats", 10.0),
}
# id: (points, reason as healthcore words it), in the ruleset's order
ACTIONS = {
    "late_invoice": (-15.0, "Invoice more than 30 days overdue (-15 points)"),
    "champion_left": (-10.0, "Our champion at the account has left (-10 points)"),
    "renewal_at_risk": (-10.0, "Renewal within 90 days with low usage (-10 points)"),
    "referral": (5.0, None),
    "expansion_request": (5.0, None),
}
NEGATIVE = [(a, p, t) for a, (p, t) in ACTIONS.items() if p < 0]  # they are reasons
CANDIDATES = len(INDICATORS) + len(NEGATIVE)  # for the reasons: indicators, then actions
SLOTS = TOP_REASONS + len(NEGATIVE)  # the longest list of reasons
TIERS = (("healthy", 70.0, "green"), ("at_risk", 40.0, "yellow"), ("unhealthy", 0.0, "red"))
NO_SCORE = "no indicator has a value for this account, so it has no score"
_SEP = "\x1f"  # joins list items in a string before splitting it (never in the texts)


def _num(name: str) -> pl.Expr:
    return pl.col(name).cast(pl.Float64)


def _count(name: str) -> pl.Expr:
    value = _num(name)
    return pl.when(value >= 0).then(value)


def _ratio(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    return pl.when(denominator != 0).then(numerator / denominator)


def _linear(raw: pl.Expr, worst: float, best: float) -> pl.Expr:
    return ((raw - worst) * (100.0 / (best - worst))).clip(0.0, 100.0) + 0.0  # no -0.0


def _raw_values() -> dict[str, pl.Expr]:
    seats, active, before = _num("seats"), _num("active_users_30d"), _num("active_users_prev_30d")
    promoters, passives, detractors = (_count(f) for f in COUNT_FIELDS[:3])
    responses = promoters + passives + detractors
    positive, total = _count("csat_positive"), _count("csat_total")
    return {
        "seat_usage": _ratio(active, seats),
        "usage_trend": _ratio(active - before, before) * 100.0,
        "feature_adoption": _ratio(_num("features_used"), _num("features_available")),
        "login_frequency": _num("logins_per_user_30d"),
        "nps": pl.when(responses > 0).then(100.0 * (promoters - detractors) / responses),
        "csat": pl.when((total > 0) & (positive <= total)).then(100.0 * positive / total),
        "support_load": _ratio(_num("open_tickets"), seats) * 10.0,
    }


def _points(raw: dict[str, pl.Expr]) -> dict[str, pl.Expr]:
    usage = raw["seat_usage"]
    return {
        "seat_usage": (pl.when(usage >= 0.8).then(100.0).when(usage >= 0.5).then(60.0)
                       .when(usage.is_not_null()).then(20.0)),
        "usage_trend": _linear(raw["usage_trend"], -50.0, 20.0),
        "feature_adoption": _linear(raw["feature_adoption"], 0.0, 0.8),
        "login_frequency": _linear(raw["login_frequency"], 0.0, 20.0),
        "nps": _linear(raw["nps"], -100.0, 100.0),
        "csat": _linear(raw["csat"], 50.0, 95.0),
        "support_load": _linear(raw["support_load"], 5.0, 0.0),
    }


def _fired(seat_usage: pl.Expr) -> dict[str, pl.Expr]:
    """Whether each action fires (null conditions are not true)."""
    conditions = {
        "late_invoice": _num("days_invoice_overdue") > LATE_DAYS,
        "champion_left": pl.col("champion_text").is_in(TRUE_TEXT),
        "renewal_at_risk": (_num("days_to_renewal") <= RENEWAL_WINDOW) & (seat_usage < LOW_USAGE),
        "referral": _num("referrals_12m") >= 1.0,
        "expansion_request": _num("seats_requested") > 0.0,
    }
    return {ident: cond.fill_null(False) for ident, cond in conditions.items()}


def _staged(accounts: pl.LazyFrame) -> pl.LazyFrame:
    """Adds raw_<id>, pts_<id>, act_<id>, champion_text (trimmed, lower case), den and score."""
    raw = {ident: pl.col(f"raw_{ident}") for ident in INDICATORS}
    points = {ident: pl.col(f"pts_{ident}") for ident in INDICATORS}
    den = pl.sum_horizontal(pl.when(points[i].is_not_null()).then(w).otherwise(0.0)
                            for i, (_, w) in INDICATORS.items())
    num = pl.sum_horizontal((points[i] * w).fill_null(0.0) for i, (_, w) in INDICATORS.items())
    adjust = pl.sum_horizontal(pl.when(pl.col(f"act_{a}")).then(p).otherwise(0.0)
                               for a, (p, _) in ACTIONS.items())
    return (accounts
            .with_columns([e.alias(f"raw_{i}") for i, e in _raw_values().items()]
                          + [pl.col("champion_left").str.strip_chars().str.to_lowercase()
                             .alias("champion_text")])
            .with_columns([e.alias(f"pts_{i}") for i, e in _points(raw).items()]
                          + [e.alias(f"act_{a}") for a, e in _fired(raw["seat_usage"]).items()])
            .with_columns(den.alias("den"))
            .with_columns(pl.when(pl.col("den") > 0)
                          .then((num / pl.col("den") + adjust).clip(0.0, 100.0)).alias("score")))


def _tier(score: pl.Expr, which: int) -> pl.Expr:
    chain = pl.when(score >= TIERS[0][1]).then(pl.lit(TIERS[0][which]))
    for tier in TIERS[1:]:
        chain = chain.when(score >= tier[1]).then(pl.lit(tier[which]))
    return chain.otherwise(None)


def scores(accounts: pl.LazyFrame) -> pl.LazyFrame:
    """account_id, score and tier of every account."""
    return _staged(accounts).select("account_id", "score",
                                    _tier(pl.col("score"), 0).alias("tier"))


def _score_columns() -> list[pl.Expr]:
    score, den = pl.col("score"), pl.col("den")
    columns: list[pl.Expr] = [
        pl.col("account_id"),
        pl.when(score.is_not_null()).then(pl.lit("ok")).otherwise(pl.lit("error")).alias("status"),
        score, _tier(score, 0).alias("tier"), _tier(score, 2).alias("color")]
    for ident, (_, weight) in INDICATORS.items():
        points = pl.col(f"pts_{ident}")
        columns += [pl.col(f"raw_{ident}").alias(f"{ident}.value"),
                    points.alias(f"{ident}.points"),
                    pl.lit(weight).alias(f"{ident}.weight"),
                    (pl.when(points.is_not_null()).then(weight / den) * points)
                    .alias(f"{ident}.contribution")]
    return columns


def score_results(accounts: pl.LazyFrame) -> pl.LazyFrame:
    """The same columns as healthcore's ``Results.scores``."""
    return _staged(accounts).select(_score_columns())


def full_results(accounts: pl.LazyFrame) -> pl.LazyFrame:
    """The same columns as healthcore's ``Results.frame`` (flat)."""
    columns = _score_columns() + [_actions(), _reasons(), _errors()]
    return _ranked_reasons(_staged(accounts)).select(columns)


def _split(items: list[pl.Expr], present: pl.Expr) -> pl.Expr:
    """The non-null ``items`` as a list where ``present``, else an empty list."""
    joined = pl.concat_str(items, separator=_SEP, ignore_nulls=True)
    return (pl.when(present).then(joined).str.split(_SEP)
            .fill_null(pl.lit([], pl.List(pl.String))))


def _actions() -> pl.Expr:
    fired = [pl.col(f"act_{a}") for a in ACTIONS]
    return _split([pl.when(f).then(pl.lit(a)) for f, a in zip(fired, ACTIONS)],
                  pl.any_horizontal(fired)).alias("actions")


def _errors() -> pl.Expr:
    """Messages worded and ordered as healthcore's for the problems the data can have.

    Each message is built from a value that is null unless there is a problem (concat_str
    gives null then), so the rare messages cost little to format.
    """
    def message(before: str, value: pl.Expr, after: str) -> pl.Expr:
        return pl.concat_str(pl.lit(before), value.cast(pl.String), pl.lit(after))

    messages = [message(f"field '{f}': ", pl.when(pl.col(f) < 0).then(pl.col(f)),
                        " is not a valid count (a number, 0 or more)") for f in COUNT_FIELDS]
    positive, total = _count("csat_positive"), _count("csat_total")
    wrong = positive > total
    messages.append(pl.concat_str(
        pl.lit("csat: positive ("), pl.when(wrong).then(positive).cast(pl.String),
        pl.lit(") is more than total ("), total.cast(pl.String), pl.lit(")")))
    text = pl.col("champion_text")
    unknown = (text.str.len_bytes() > 0) & text.is_in(TRUE_TEXT + FALSE_TEXT).not_()
    messages.append(message("field 'champion_left': '",
                            pl.when(unknown).then(pl.col("champion_left").str.slice(0, 60)),
                            "' is not true/false (use true, false, yes, no, 1 or 0)"))
    messages.append(pl.when(pl.col("den") == 0).then(pl.lit(NO_SCORE)))
    return _split(messages, pl.any_horizontal(m.is_not_null() for m in messages)).alias("errors")


def _ranked_reasons(staged: pl.LazyFrame) -> pl.LazyFrame:
    """Adds, for each reason candidate (indicators, then negative actions), its cost
    (``cost_<k>``), whether it is chosen (``chosen_<k>``) and its place (``place_<k>``); then,
    for each place in the list of reasons, the candidate there (``slot_<n>``) and its cost.

    healthcore sorts a list of structs per account; here each candidate's place is counted with
    element-wise comparisons: a stable sort by cost, descending, keeps the ruleset's order on
    ties (indicators before actions). The TOP_REASONS costliest indicators are chosen (with a
    cost above 0.05), and every negative action that fired.
    """
    den = pl.col("den")
    costs = [pl.when(pl.col(f"pts_{i}").is_not_null()).then(w / den)
             * (100.0 - pl.col(f"pts_{i}")) for i, (_, w) in INDICATORS.items()]
    costs += [pl.when(pl.col(f"act_{a}")).then(-p) for a, p, _ in NEGATIVE]
    cost = [pl.col(f"cost_{k}") for k in range(CANDIDATES)]
    count = len(INDICATORS)
    chosen = [(cost[k] > 0.05) & (_ahead(cost, k, range(count)) < TOP_REASONS)
              for k in range(count)]
    chosen += [cost[k].is_not_null() for k in range(count, CANDIDATES)]
    picked = [pl.col(f"chosen_{k}") for k in range(CANDIDATES)]
    placed = [pl.col(f"chosen_{k}") & (pl.col(f"place_{k}") == slot) for slot in range(SLOTS)
              for k in range(CANDIDATES)]
    return (staged
            .with_columns(c.alias(f"cost_{k}") for k, c in enumerate(costs))
            .with_columns(c.fill_null(False).alias(f"chosen_{k}") for k, c in enumerate(chosen))
            .with_columns(_ahead(cost, k, range(CANDIDATES), picked).alias(f"place_{k}")
                          for k in range(CANDIDATES))
            .with_columns(
                [pl.coalesce(pl.when(placed[slot * CANDIDATES + k]).then(pl.lit(k, pl.UInt8))
                             for k in range(CANDIDATES)).alias(f"slot_{slot}")
                 for slot in range(SLOTS)]
                + [pl.coalesce(pl.when(placed[slot * CANDIDATES + k]).then(cost[k])
                               for k in range(CANDIDATES)).alias(f"slot_cost_{slot}")
                   for slot in range(SLOTS)]))


def _ahead(cost: list[pl.Expr], k: int, others: range,
           chosen: list[pl.Expr] | None = None) -> pl.Expr:
    """How many of ``others`` come before candidate ``k`` in a stable sort by cost, descending."""
    ahead = []
    for j in others:
        if j == k:
            continue
        test = (cost[j] >= cost[k]) if j < k else (cost[j] > cost[k])
        ahead.append(test if chosen is None else test & chosen[j])
    return pl.sum_horizontal(ahead)


def _reasons() -> pl.Expr:
    """The chosen candidates' texts, slot by slot, worded as healthcore words them."""
    labels = [f"{label} cost " for label, _ in INDICATORS.values()] + [t for _, _, t in NEGATIVE]
    texts = []
    for slot in range(SLOTS):
        chosen = pl.col(f"slot_{slot}")
        label = chosen.replace_strict(list(range(CANDIDATES)), labels, return_dtype=pl.String)
        cost = pl.col(f"slot_cost_{slot}").round(1).cast(pl.String)
        texts.append(pl.when(chosen < len(INDICATORS))
                     .then(pl.concat_str(label, cost, pl.lit(" points"))).otherwise(label))
    return _split(texts, pl.col("score").is_not_null() & pl.col("slot_0").is_not_null()
                  ).alias("reasons")


def nested(flat: pl.LazyFrame) -> pl.LazyFrame:
    """The shape healthcore writes to Parquet: one ``indicators`` struct column."""
    parts = ("value", "points", "weight", "contribution")
    indicators = pl.struct(
        pl.struct(pl.col(f"{i}.{p}").alias(p) for p in parts).alias(i) for i in INDICATORS)
    return flat.select("account_id", "status", "score", "tier", "color",
                       indicators.alias("indicators"), "actions", "reasons", "errors")


USAGE = "usage: python benchmarks/handwritten.py [--scores-only] IN.parquet OUT"


def write_scores(source: str, target: str) -> None:
    """account_id, score and tier of the accounts of Parquet ``source``, streamed into
    ``target``: CSV if its name ends with ``.csv``, else Parquet."""
    query = scores(pl.scan_parquet(source))
    if target.endswith(".csv"):
        query.sink_csv(target)
    else:
        query.sink_parquet(target)


def write_full(source: str, target: str) -> None:
    """Every column of healthcore's results for Parquet ``source``, nested as healthcore
    writes Parquet, streamed into Parquet ``target``."""
    nested(full_results(pl.scan_parquet(source))).sink_parquet(target)


def main(argv: list[str]) -> int:
    scores_only = argv[:1] == ["--scores-only"]
    paths = argv[1:] if scores_only else argv
    if len(paths) != 2:
        print(USAGE, file=sys.stderr)
        return 2
    (write_scores if scores_only else write_full)(*paths)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
