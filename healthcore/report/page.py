"""The report as one HTML page: plotly.js inline (nothing is fetched when it opens), every text
that comes from the accounts or the ruleset escaped."""

from __future__ import annotations

from html import escape
from string import Template
from typing import TYPE_CHECKING, Any, Iterable

import polars as pl

from healthcore.report import charts

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from healthcore.engine.results import Results
    from healthcore.analysis.summary import Summary

_CONFIG = {"displaylogo": False, "responsive": True,
           "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"]}

_PAGE = Template("""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #212121;
       background: #f5f5f5; }
main { max-width: 1200px; margin: 0 auto; padding: 24px; }
h1 { margin: 0 0 4px; font-size: 26px; }
h2 { margin: 32px 0 8px; font-size: 20px; border-bottom: 2px solid #e0e0e0; padding-bottom: 4px; }
p.note { color: #616161; margin: 4px 0 12px; font-size: 14px; }
section.card, div.card { background: #fff; border-radius: 8px; padding: 16px;
       box-shadow: 0 1px 3px rgba(0,0,0,.12); margin-bottom: 16px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.kpi { background: #fff; border-radius: 8px; padding: 12px 16px; min-width: 120px;
       box-shadow: 0 1px 3px rgba(0,0,0,.12); border-top: 6px solid #bdbdbd; }
.kpi .value { font-size: 24px; font-weight: 700; }
.kpi .name { font-size: 13px; color: #616161; }
.pair { display: grid; grid-template-columns: 1fr 2fr; gap: 16px; }
@media (max-width: 800px) { .pair { grid-template-columns: 1fr; } }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #eeeeee; vertical-align: top; }
th { background: #fafafa; }
td.num, th.num { text-align: right; white-space: nowrap; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 13px;
         font-weight: 600; white-space: nowrap; }
ul.reasons { margin: 0; padding-left: 18px; }
.problem { color: #b71c1c; font-size: 13px; }
tr.flagged td { background: #fff3e0; }
</style>
<script>$plotly</script>
</head>
<body>
<main>
$body
</main>
</body>
</html>
""")


def render(results: "Results", summary: "Summary", *, backtest: dict[str, Any] | None = None,
           trends: pl.DataFrame | None = None, top: int = 20) -> str:
    """The whole report page: overview, accounts needing attention (the ``top`` lowest scores),
    indicator contributions, portfolio summary, and the backtest and trends when given."""
    from plotly.offline import get_plotlyjs

    ruleset = results.ruleset
    colors = {tier.name: charts.css_color(tier.color) for tier in ruleset.tiers}
    colors["unscored"] = charts.UNSCORED_COLOR
    counts = results.tier_counts()
    parts = [f"<h1>{escape(ruleset.name)}: customer health</h1>",
             f'<p class="note">{escape(ruleset.description.strip())}</p>'
             if ruleset.description else "",
             _kpis(summary, counts, colors),
             "<h2>Tiers and scores</h2>",
             '<div class="pair"><div class="card">'
             + _chart(charts.tier_distribution([(name, colors[name], count)
                                                for name, count in counts.items()]), "tiers")
             + '</div><div class="card">'
             + _chart(charts.score_histogram(results, colors), "histogram") + "</div></div>",
             _attention(results, colors, top),
             "<h2>What the indicators bring</h2>",
             '<p class="note">Mean points each indicator adds to the score of the accounts of '
             "each tier (an indicator without a value adds 0): where a tier gains or loses "
             "its points.</p>",
             '<div class="card">' + _chart(charts.contributions(results, colors),
                                           "contributions") + "</div>",
             _summary(summary, colors)]
    if backtest is not None:
        parts.append(_backtest(backtest, colors))
    if trends is not None:
        parts.append(_trends(trends, colors))
    return _PAGE.substitute(title=escape(f"{ruleset.name}: customer health report"),
                            plotly=get_plotlyjs(), body="\n".join(p for p in parts if p))


def _chart(figure: "go.Figure", name: str) -> str:
    import plotly.io as pio

    return pio.to_html(figure, full_html=False, include_plotlyjs=False, config=_CONFIG,
                       div_id=f"chart-{name}", default_height=f"{figure.layout.height}px")


def badge(name: str | None, colors: dict[str, str]) -> str:
    """A tier name on its tier color (``not scored`` on gray for None)."""
    shown = "not scored" if name is None else name
    background = colors.get(name or "unscored", charts.UNSCORED_COLOR)
    foreground = charts.text_color(background)
    return (f'<span class="badge" style="background:{background};color:{foreground}">'
            f"{escape(shown)}</span>")


def _table(header: list[str], rows: Iterable[list[str]], numeric: set[int] = frozenset(),
           row_class: Iterable[str] | None = None, table_id: str = "") -> str:
    """An HTML table; every cell, of the header too, must already be HTML."""
    head = "".join(f'<th{" class=num" if i in numeric else ""}>{cell}</th>'
                   for i, cell in enumerate(header))
    classes = iter(row_class) if row_class is not None else None
    body = []
    for row in rows:
        css = next(classes) if classes is not None else ""
        cells = "".join(f'<td{" class=num" if i in numeric else ""}>{cell}</td>'
                        for i, cell in enumerate(row))
        body.append(f'<tr{f" class={css}" if css else ""}>{cells}</tr>')
    ident = f' id="{table_id}"' if table_id else ""
    return f"<table{ident}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _kpis(summary: "Summary", counts: dict[str, int], colors: dict[str, str]) -> str:
    header, rows = summary.table()
    overall = dict(zip(header, rows[0]))
    cards = [("accounts", overall["accounts"], "#424242"),
             ("mean score", overall["mean score"], "#424242")]
    cards += [(name, f"{count:,}", colors[name]) for name, count in counts.items()]
    cards += [(name, overall[name], "#1565c0") for name in header[3 + len(summary.tiers):]]
    return '<div class="cards">' + "".join(
        f'<div class="kpi" style="border-top-color:{color}"><div class="value">'
        f'{escape(value)}</div><div class="name">{escape(name)}</div></div>'
        for name, value, color in cards) + "</div>"


def _attention(results: "Results", colors: dict[str, str], top: int) -> str:
    """The scored accounts, lowest score first, with their reasons and data problems; then
    those that could not be scored."""
    frame = results.frame.with_row_index("_row")
    scored = frame.filter(pl.col("score").is_not_null()).sort(["score", "_row"])
    shown = scored.head(top)
    segmented = bool(results.ruleset.segments)
    header = ["#", "account", "score", "tier", *(["segment"] if segmented else []),
              "why the score is not higher"]
    rows = []
    for rank, row in enumerate(shown.iter_rows(named=True), start=1):
        why = "".join(f"<li>{escape(reason)}</li>" for reason in row["reasons"])
        why = f'<ul class="reasons">{why}</ul>' if why else "no cost worth naming"
        if row["errors"]:
            why += "".join(f'<div class="problem">{escape(e)}</div>' for e in row["errors"])
        rows.append([str(rank), escape(_account(row["account_id"])), f"{row['score']:.1f}",
                     badge(row["tier"], colors),
                     *([escape(str(row["segment"]))] if segmented else []), why])
    parts = ["<h2>Accounts needing attention</h2>",
             f'<p class="note">The {len(shown)} lowest scores of {scored.height:,} scored '
             "accounts, lowest first, with what cost them most and the negative actions that "
             "fired.</p>",
             '<div class="card">' + _table(header, rows, {0, 2}, table_id="attention")
             + "</div>"]
    unscored = frame.filter(pl.col("score").is_null()).sort("_row")
    if unscored.height:
        listed = unscored.head(top)
        parts += [f"<h2>Accounts that could not be scored ({unscored.height:,})</h2>",
                  '<p class="note">Fix their data: each problem names the field.</p>',
                  '<div class="card">' + _table(
                      ["account", "problems"],
                      ([escape(_account(row["account_id"])),
                        "<br>".join(escape(e) for e in row["errors"])]
                       for row in listed.iter_rows(named=True)), table_id="unscored")
                  + (f'<p class="note">... and {unscored.height - listed.height:,} more.</p>'
                     if unscored.height > listed.height else "") + "</div>"]
    return "\n".join(parts)


def _account(value: Any) -> str:
    return "(no id)" if value is None else str(value)


def _summary(summary: "Summary", colors: dict[str, str]) -> str:
    header, rows = summary.table()
    tiers = set(summary.tiers)
    risk = ", ".join(summary.at_risk_tiers)
    return ("<h2>Portfolio</h2>"
            '<p class="note">Overall, per segment and per tier. NPS, CSAT, churn, renewal and '
            "NRR are computed from the counts summed over the accounts (a portfolio NPS is "
            "not the mean of the accounts' NPS); MRR and ARR are totals. At risk: the "
            f"accounts in the tier{'s' if len(summary.at_risk_tiers) > 1 else ''} "
            f"{escape(risk)}; MRR at risk is their MRR. - : no data.</p>"
            '<div class="card">' + _table(
                [badge(cell, colors) if cell in tiers else escape(cell) for cell in header],
                ([escape(cell) for cell in row] for row in rows),
                set(range(1, len(header))), table_id="summary") + "</div>")


def _backtest(result: dict[str, Any], colors: dict[str, str]) -> str:
    from healthcore.analysis.backtest import FLAG_WORDS

    auc = result.get("auc")
    headline = (f"ROC AUC of the score: <b>{auc:.3f}</b> (0.5: no better than chance; 1: "
                "every account with the outcome scores below every account without it)."
                if auc is not None else "ROC AUC of the score: not computable (one outcome "
                                        "only).")
    tiers = _table(["tier", "accounts", "with the outcome", "rate", "lift"],
                   ([badge(row["tier"], colors), f"{row['accounts']:,}",
                     f"{row['churned']:,}", _percent(row["rate"]), _times(row["lift"])]
                    for row in result["tiers"]), {1, 2, 3, 4}, table_id="backtest-tiers")
    indicators = _table(
        ["indicator", "AUC", "coverage", "mean contribution", "flag"],
        ([escape(row["id"]), _number(row["auc"]), _percent(row["coverage"]),
          _number(row["contribution"], 1), escape(FLAG_WORDS.get(row["flag"], ""))]
         for row in result["indicators"]), {1, 2, 3},
        row_class=("flagged" if row["flag"] else "" for row in result["indicators"]),
        table_id="backtest-indicators")
    warnings = "".join(f'<p class="problem">{escape(w)}</p>' for w in result.get("warnings", []))
    return ("<h2>Backtest against the outcome</h2>"
            f'<p class="note">Outcome field <b>{escape(str(result["outcome"]))}</b>: '
            f"{result['labelled']:,} of {result['accounts']:,} accounts labelled, "
            f"{result['churned']:,} with the outcome (base rate "
            f"{_percent(result['base_rate'])}). {headline}</p>{warnings}"
            '<div class="pair"><div class="card">' + tiers + '</div><div class="card">'
            + _chart(charts.backtest_tiers(result["tiers"], result["base_rate"], colors),
                     "backtest")
            + '</div></div><p class="note">Each indicator alone: the AUC of its points, its '
            "coverage (accounts where it has a value) and the mean points it adds to the "
            'score.</p><div class="card">' + indicators + "</div>")


def _trends(mix: pl.DataFrame, colors: dict[str, str]) -> str:
    runs = sorted(set(mix["as_of"].to_list()))
    return ("<h2>Trends</h2>"
            f'<p class="note">{len(runs)} recorded run{"s" if len(runs) != 1 else ""}, from '
            f"{escape(runs[0])} to {escape(runs[-1])}: accounts per tier and the mean score.</p>"
            '<div class="card">' + _chart(charts.trends(mix, colors), "trends") + "</div>")


def _times(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{share * 100:.1f} %"


def _number(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"
