"""The reports of ``backtest``, ``calibrate``, ``diff`` and ``summary`` as text."""

from __future__ import annotations

from typing import TYPE_CHECKING

from healthcore.analysis.backtest import FLAG_WORDS
from healthcore.cli.render import columns
from healthcore.cli.render.numbers import fixed, percent, shift, trimmed

if TYPE_CHECKING:
    from healthcore.analysis.backtest import Backtest
    from healthcore.analysis.calibrate import Calibration
    from healthcore.analysis.diff import Impact
    from healthcore.analysis.summary import Summary

NOTE_WORDS = {"wrong_direction": "given the others, more points went with more churn",
              "no_effect": "no effect on churn"}
"""What the notes of a calibrated weight mean."""

_TIER_HEADER = ("tier", "accounts", "churned", "churn rate", "lift")


def _tier_rows(result: "Backtest") -> list[tuple[str, ...]]:
    return [(t.tier, str(t.accounts), str(t.churned), percent(t.rate), fixed(t.lift, 2))
            for t in result.tiers]


def render_backtest(result: "Backtest") -> str:
    """The text report of ``healthcore backtest``."""
    out = [f"{result.ruleset}: {result.accounts} accounts, {result.labelled} with a known "
           f"outcome in '{result.outcome}', {result.churned} churned (base rate "
           f"{percent(result.base_rate)})",
           f"AUC of the score: {fixed(result.auc)} on {result.scored} scored accounts "
           "(1.0: perfect, 0.5: no better than chance)", ""]
    out += columns(_TIER_HEADER, _tier_rows(result))
    out.append("")
    out += columns(("indicator", "AUC", "coverage", "contribution", "flag"),
                   [(i.id, fixed(i.auc), percent(i.coverage), fixed(i.contribution, 1),
                     i.flag or "") for i in result.indicators], left=(0, 4))
    flagged = [i for i in result.indicators if i.flag]
    if flagged:
        out.append("")
        out += [f"{i.id}: {FLAG_WORDS[i.flag]} (AUC {fixed(i.auc)})" for i in flagged]
    return "\n".join(out)


def render_calibration(result: "Calibration") -> str:
    """The text report of ``healthcore calibrate``."""
    before, after = result.before, result.after
    out = [f"{result.source}: learned from {result.train['accounts']} accounts, compared on "
           f"{after.labelled} held-out accounts ({percent(result.test_share)}, seed {result.seed})",
           ""]
    out += columns((result.weights[0].kind, "old weight", "new weight", "note"),
                   [(w.id, trimmed(w.old, 6), trimmed(w.new, 6),
                     NOTE_WORDS.get(w.note or "", "")) for w in result.weights], left=(0, 3))
    if result.thresholds is not None:
        out.append("")
        out += columns(("tier", "old threshold", "new threshold"),
                       [(t.tier, trimmed(t.old, 6), trimmed(t.new, 6))
                        for t in result.thresholds])
    out += ["", "Held-out backtest:"]
    out += columns(("", "old ruleset", "new ruleset"),
                   [("AUC", fixed(before.auc), fixed(after.auc)),
                    ("base rate", percent(before.base_rate), percent(after.base_rate))])
    for name, rows in (("old", _tier_rows(before)), ("new", _tier_rows(after))):
        out += ["", f"Tiers of the {name} ruleset on the held-out accounts:"]
        out += columns(_TIER_HEADER, rows)
    return "\n".join(out)


def render_diff(impact: "Impact", old_name: str, new_name: str) -> str:
    """The text report of ``healthcore diff``: the tier transitions, the score shift (with a
    histogram) and the biggest movers."""
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
    moves = impact.shift
    out.append("")
    if not moves["count"]:
        out.append("Score shift: no account is scored by both rulesets")
    else:
        out.append(f"Score shift (new - old, {moves['count']} accounts scored by both): "
                   f"mean {shift(moves['mean'])}, median {shift(moves['median'])}, "
                   f"min {shift(moves['min'])}, max {shift(moves['max'])}")
        most = max(band["count"] for band in moves["histogram"])
        texts = [("0" if b["from"] == b["to"] == 0 else
                  f"{_band_end(b['from'])} to {_band_end(b['to'])}") for b in moves["histogram"]]
        width = max(len(t) for t in texts)
        for text, band in zip(texts, moves["histogram"]):
            bar = "#" * max(1, round(band["count"] / most * 40))
            out.append(f"  {text:>{width}}  {band['count']:>5}  {bar}")
    if impact.movers:
        out.append("")
        out.append(f"Biggest movers (top {len(impact.movers)}):")
        out += columns(("account", "old score", "old tier", "new score", "new tier", "shift"),
                       [(str(m["account_id"]), fixed(m["old_score"], 2), m["old_tier"],
                         fixed(m["new_score"], 2), m["new_tier"],
                         "-" if m["shift"] is None else shift(m["shift"]))
                        for m in impact.movers], left=(0, 2, 4))
    return "\n".join(out)


def _band_end(value: int) -> str:
    return f"{value:+d}" if value else "0"


def render_summary(summary: "Summary") -> str:
    """The text output of ``healthcore summary``: the summary table, then what "at risk"
    means."""
    header, rows = summary.table()
    lines = [f"{summary.ruleset}: {summary.overall.accounts:,} accounts", ""]
    lines += columns(header, rows, indent="")
    plural = "s" if len(summary.at_risk_tiers) > 1 else ""
    lines += ["", f"At risk: the accounts in the tier{plural} {', '.join(summary.at_risk_tiers)}."
              + (" MRR at risk is their MRR." if "mrr" in summary.provided else ""),
              "Rates are computed from the counts summed over the accounts (a portfolio NPS "
              "is not the mean of the accounts' NPS); - : no data."]
    return "\n".join(lines)
