"""What changing a ruleset does to a population of accounts: ``healthcore diff``.

:func:`compare` scores the same accounts with an old and a new ruleset and returns an
:class:`Impact`: the tier transitions (old tier x new tier, matched by name; an account that
cannot be scored is ``unscored``), the distribution of the score shifts (new - old, for the
accounts scored by both), and the biggest movers. Everything is computed with polars over the
whole batch; the two results are joined on the account id, in input order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

from healthcore.errors import HealthcoreError
from healthcore.engine import score

if TYPE_CHECKING:
    from healthcore.ruleset import Ruleset

UNSCORED = "unscored"


@dataclass
class Impact:
    """The comparison of two scorings of the same accounts.

    ``old_tiers`` and ``new_tiers`` are the rows and columns of ``transitions`` (each ruleset's
    tiers in order, then ``unscored`` if any account is); ``removed_tiers`` and ``new_only_tiers``
    are the tiers that only the old, or only the new, ruleset has. ``transitions[old][new]`` is a
    number of accounts. ``shift`` holds ``count``, ``mean``, ``median``, ``min``, ``max`` (None
    without any account scored by both), ``band_width`` and ``histogram`` (a list of
    ``{"from", "to", "count"}``; the band ``0`` to ``0`` holds the unchanged scores, each other
    band its end farthest from 0). ``movers`` are the accounts whose score moved most (an
    account scored by one ruleset only comes after them, with ``shift`` None; an account whose
    score did not change, or that neither ruleset scores, is not a mover), ``frame`` every
    account with ``old_score``, ``old_tier``, ``new_score``, ``new_tier``, ``shift``.
    """

    accounts: int
    changed_tier: int
    old_tiers: list[str]
    new_tiers: list[str]
    removed_tiers: list[str]
    new_only_tiers: list[str]
    transitions: dict[str, dict[str, int]]
    shift: dict[str, Any]
    movers: list[dict[str, Any]]
    frame: pl.DataFrame

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``healthcore diff --format json``."""
        return {"accounts": self.accounts, "changed_tier": self.changed_tier,
                "old_tiers": self.old_tiers, "new_tiers": self.new_tiers,
                "removed_tiers": self.removed_tiers, "new_only_tiers": self.new_only_tiers,
                "transitions": self.transitions, "shift": self.shift, "movers": self.movers}


def compare(old: "Ruleset", new: "Ruleset", accounts: "pl.DataFrame | Any", *,
            top: int = 10) -> Impact:
    """Score ``accounts`` with ``old`` and with ``new`` and compare the results."""
    before = score(old, accounts).scores
    after = score(new, accounts).scores
    return compare_scores(before, after, [t.name for t in old.tiers],
                          [t.name for t in new.tiers], top=top)


def compare_scores(before: pl.DataFrame, after: pl.DataFrame, old_names: list[str],
                   new_names: list[str], *, top: int = 10) -> Impact:
    """:func:`compare` from two ``Results.scores`` frames of the same accounts."""
    left = before.select(pl.int_range(pl.len()).alias("_row"), pl.col("account_id").cast(pl.String),
                         pl.col("score").alias("old_score"), pl.col("tier").alias("old_tier"))
    right = after.select(pl.int_range(pl.len()).alias("_row"), pl.col("account_id").cast(pl.String),
                         pl.col("score").alias("new_score"), pl.col("tier").alias("new_tier"))
    frame = left.join(right, on=["_row", "account_id"], how="left", maintain_order="left")
    if frame.height != after.height or frame["new_score"].is_null().sum() > \
            after["score"].is_null().sum():
        raise HealthcoreError("the two rulesets do not give the same account ids for these "
                              "accounts: do they name the same account_id field?")
    frame = frame.with_columns(
        pl.col("old_tier").fill_null(UNSCORED), pl.col("new_tier").fill_null(UNSCORED),
        (pl.col("new_score") - pl.col("old_score")).alias("shift")).drop("_row")

    counts = frame.group_by("old_tier", "new_tier").len()
    seen_old = set(frame["old_tier"].to_list())
    seen_new = set(frame["new_tier"].to_list())
    old_tiers = old_names + ([UNSCORED] if UNSCORED in seen_old else [])
    new_tiers = new_names + ([UNSCORED] if UNSCORED in seen_new else [])
    transitions = {o: {n: 0 for n in new_tiers} for o in old_tiers}
    for o, n, count in counts.iter_rows():
        transitions[o][n] = count
    changed = frame.filter(pl.col("old_tier") != pl.col("new_tier")).height

    shifts = frame["shift"].drop_nulls()
    shift = _shift_stats(shifts)
    moved = (pl.col("shift").round(9) != 0).fill_null(
        pl.col("old_score").is_null() != pl.col("new_score").is_null())
    movers = (frame.filter(moved).with_columns(pl.col("shift").abs().alias("_abs"))
              .sort("_abs", descending=True, nulls_last=True, maintain_order=True)
              .head(max(top, 0)).drop("_abs"))
    return Impact(frame.height, changed, old_tiers, new_tiers,
                  [t for t in old_names if t not in new_names],
                  [t for t in new_names if t not in old_names],
                  transitions, shift, movers.to_dicts(), frame)


def _shift_stats(shifts: pl.Series) -> dict[str, Any]:
    if shifts.len() == 0:
        return {"count": 0, "mean": None, "median": None, "min": None, "max": None,
                "band_width": 5, "histogram": []}
    rounded = shifts.round(9)
    largest = float(rounded.abs().max())
    width = 5 if largest <= 25 else 10
    # band k: 0 for no change, else ceil(|shift| / width) with the sign of the shift
    bands = (pl.DataFrame({"s": rounded})
             .select((pl.col("s").sign() * (pl.col("s").abs() / width).ceil()).cast(pl.Int64)
                     .alias("band"))
             .group_by("band").len().sort("band"))
    histogram = []
    for band, count in bands.iter_rows():
        if band == 0:
            low = high = 0
        elif band > 0:
            low, high = (band - 1) * width, band * width
        else:
            low, high = band * width, (band + 1) * width
        histogram.append({"from": low, "to": high, "count": count})
    return {"count": shifts.len(), "mean": _clean(shifts.mean()),
            "median": _clean(shifts.median()), "min": _clean(shifts.min()),
            "max": _clean(shifts.max()), "band_width": width, "histogram": histogram}


def _clean(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return 0.0 if abs(value) < 1e-12 else value if math.isfinite(value) else None


def render_text(impact: Impact, old_name: str, new_name: str) -> str:
    """The ``--format table`` report."""
    out = [f"{impact.accounts} accounts: {impact.changed_tier} change tier "
           f"(from {old_name} to {new_name})", ""]
    if impact.removed_tiers:
        out.append(f"Tiers removed: {', '.join(impact.removed_tiers)}")
    if impact.new_only_tiers:
        out.append(f"Tiers added: {', '.join(impact.new_only_tiers)}")
    if impact.removed_tiers or impact.new_only_tiers:
        out.append("")
    corner = "old \\ new"
    labels = [t + (" (new)" if t in impact.new_only_tiers else "") for t in impact.new_tiers]
    rows = [t + (" (removed)" if t in impact.removed_tiers else "") for t in impact.old_tiers]
    first = max(len(corner), *(len(r) for r in rows))
    widths = [max(len(label), 5) for label in labels]
    out.append("Tier transitions (accounts):")
    out.append("  " + corner.ljust(first) + "".join(f"  {l:>{w}}" for l, w in
                                                    zip(labels, widths)))
    for tier, row in zip(impact.old_tiers, rows):
        cells = impact.transitions[tier]
        out.append("  " + row.ljust(first) + "".join(f"  {cells[n]:>{w}}" for n, w in
                                                     zip(impact.new_tiers, widths)))
    shift = impact.shift
    out.append("")
    if not shift["count"]:
        out.append("Score shift: no account is scored by both rulesets")
    else:
        out.append(f"Score shift (new - old, {shift['count']} accounts scored by both): "
                   f"mean {_signed(shift['mean'])}, median {_signed(shift['median'])}, "
                   f"min {_signed(shift['min'])}, max {_signed(shift['max'])}")
        most = max(band["count"] for band in shift["histogram"])
        texts = [("0" if b["from"] == b["to"] == 0 else
                  f"{_band_end(b['from'])} to {_band_end(b['to'])}") for b in shift["histogram"]]
        width = max(len(t) for t in texts)
        for text, band in zip(texts, shift["histogram"]):
            bar = "#" * max(1, round(band["count"] / most * 40))
            out.append(f"  {text:>{width}}  {band['count']:>5}  {bar}")
    if impact.movers:
        out.append("")
        out.append(f"Biggest movers (top {len(impact.movers)}):")
        header = ("account", "old score", "old tier", "new score", "new tier", "shift")
        rows_text = [(str(m["account_id"]), _num(m["old_score"]), m["old_tier"],
                      _num(m["new_score"]), m["new_tier"],
                      "-" if m["shift"] is None else _signed(m["shift"]))
                     for m in impact.movers]
        widths = [max(len(h), *(len(r[i]) for r in rows_text)) for i, h in enumerate(header)]
        out.append("  " + "  ".join(h.ljust(w) if i in (0, 2, 4) else h.rjust(w)
                                    for i, (h, w) in enumerate(zip(header, widths))))
        for row in rows_text:
            out.append("  " + "  ".join(c.ljust(w) if i in (0, 2, 4) else c.rjust(w)
                                        for i, (c, w) in enumerate(zip(row, widths))))
    return "\n".join(out)


def _signed(value: float) -> str:
    text = f"{value:+.2f}"
    return "0.00" if text in ("+0.00", "-0.00") else text


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _band_end(value: int) -> str:
    return f"{value:+d}" if value else "0"
