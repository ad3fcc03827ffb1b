"""The charts of the report, as plotly figures: each tier in its ruleset color, so that red,
yellow and green read at a glance."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from healthcore.engine.results import Results

PALETTE = {"green": "#2e7d32", "yellow": "#f2b705", "orange": "#ef6c00", "red": "#c62828",
           "blue": "#1565c0", "cyan": "#00838f", "magenta": "#ad1457", "purple": "#6a1b9a",
           "gray": "#757575", "grey": "#757575", "white": "#d9d9d9", "black": "#212121"}
"""Ruleset color names as readable shades (a white tier is drawn light gray); ``#rrggbb``
colors are used as they are."""
UNSCORED_COLOR = "#9e9e9e"
BIN_WIDTH = 5
"""The width of a bar of the score histogram, in points."""


def plain(text: Any) -> str:
    """``text`` as a chart shows it, letter for letter: plotly renders a subset of HTML in
    every text of a chart (labels, hover text, legend names, tick labels), so ``<``, ``>``
    and ``&`` are escaped; a ruleset's or an export's text is data, never a link or markup."""
    return html.escape(str(text), quote=False)


def css_color(color: str | None) -> str:
    """The CSS color of a ruleset tier color (gray when the tier has none)."""
    if not color:
        return PALETTE["gray"]
    return PALETTE.get(color, color)


def text_color(color: str | None) -> str:
    """Black or white, whichever reads better on :func:`css_color` of ``color``."""
    shade = css_color(color).lstrip("#")
    red, green, blue = (int(shade[i:i + 2], 16) for i in (0, 2, 4))
    return "#000000" if 0.299 * red + 0.587 * green + 0.114 * blue > 150 else "#ffffff"


def _layout(figure: "go.Figure", height: int, **extra: Any) -> "go.Figure":
    figure.update_layout(template="plotly_white", height=height,
                         margin={"l": 10, "r": 10, "t": 30, "b": 10},
                         font={"family": "system-ui, sans-serif", "size": 13},
                         legend={"orientation": "h", "y": -0.15, "traceorder": "normal"},
                         **extra)
    return figure


def _counts_axis(largest: int, **extra: Any) -> dict[str, Any]:
    """An axis of numbers of accounts: whole numbers only."""
    return {"rangemode": "tozero", **({"dtick": 1} if largest <= 8 else {}), **extra}


def tier_distribution(tiers: list[tuple[str, str, int]]) -> "go.Figure":
    """One bar per tier (``name``, CSS color, accounts), best tier first, with its share."""
    import plotly.graph_objects as go

    total = sum(count for _, _, count in tiers) or 1
    figure = go.Figure(go.Bar(
        x=[count for _, _, count in tiers], y=[plain(name) for name, _, _ in tiers], orientation="h",
        marker_color=[color for _, color, _ in tiers],
        text=[f"{count:,} ({100 * count / total:.0f} %)" for _, _, count in tiers],
        textposition="auto", hovertemplate="%{y}: %{x} accounts<extra></extra>"))
    return _layout(figure, 340, showlegend=False,
                   xaxis=_counts_axis(max(count for _, _, count in tiers), title="accounts"),
                   yaxis={"autorange": "reversed"})


def score_histogram(results: "Results", colors: dict[str, str]) -> "go.Figure":
    """The scored accounts in bands of :data:`BIN_WIDTH` points (100 in the last band),
    stacked by tier."""
    import plotly.graph_objects as go

    bands = (results.scores.filter(pl.col("score").is_not_null())
             .select((pl.col("score") // BIN_WIDTH).clip(0, 100 // BIN_WIDTH - 1)
                     .cast(pl.Int64).alias("band"), "tier")
             .group_by("band", "tier").len())
    figure = go.Figure()
    for tier in results.ruleset.tiers:
        rows = bands.filter(pl.col("tier") == tier.name).sort("band")
        starts = [band * BIN_WIDTH for band in rows["band"].to_list()]
        figure.add_trace(go.Bar(
            x=[start + BIN_WIDTH / 2 for start in starts], y=rows["len"].to_list(),
            width=BIN_WIDTH, name=plain(tier.name), marker_color=colors[tier.name],
            marker_line={"color": "#ffffff", "width": 1},
            customdata=[[start, start + BIN_WIDTH] for start in starts],
            hovertemplate=f"{plain(tier.name)}: %{{y}} accounts scoring %{{customdata[0]}} to "
                          "%{customdata[1]}<extra></extra>"))
    return _layout(figure, 340, barmode="stack", bargap=0,
                   xaxis={"title": "score", "range": [0, 100], "dtick": 10},
                   yaxis=_counts_axis(bands["len"].max() or 0, title="accounts"))


def contributions(results: "Results", colors: dict[str, str]) -> "go.Figure":
    """Per indicator, the mean points it brings to the score of the accounts of each tier (a
    missing indicator brings 0, so the bars of a tier add up to its mean score before
    actions)."""
    import plotly.graph_objects as go

    ruleset = results.ruleset
    indicators = list(ruleset.indicators)
    means = (results.scores.filter(pl.col("tier").is_not_null()).group_by("tier")
             .agg(pl.col(f"{ind.id}.contribution").fill_null(0.0).mean().alias(ind.id)
                  for ind in indicators))
    by_tier = {row["tier"]: row for row in means.iter_rows(named=True)}
    figure = go.Figure()
    for tier in ruleset.tiers:
        row = by_tier.get(tier.name)
        if row is None:
            continue
        figure.add_trace(go.Bar(
            y=[plain(ind.label) for ind in indicators], x=[row[ind.id] for ind in indicators],
            orientation="h", name=plain(tier.name), marker_color=colors[tier.name],
            hovertemplate=f"{plain(tier.name)}: %{{y}} brings %{{x:.1f}} points<extra></extra>"))
    return _layout(figure, 120 + 18 * len(indicators) * max(1, len(by_tier)),
                   barmode="group", xaxis_title="mean points of the score",
                   yaxis={"autorange": "reversed"})


def backtest_tiers(tiers: list[dict[str, Any]], base_rate: float | None,
                   colors: dict[str, str]) -> "go.Figure":
    """The outcome rate of each tier (``tier``, ``rate``, ``lift``, ``accounts``), with the
    base rate as a dashed line."""
    import plotly.graph_objects as go

    figure = go.Figure(go.Bar(
        x=[plain(row["tier"]) for row in tiers], y=[row["rate"] for row in tiers],
        marker_color=[colors.get(row["tier"], UNSCORED_COLOR) for row in tiers],
        text=[_lift(row) for row in tiers], textposition="outside",
        customdata=[[row["accounts"], row.get("churned")] for row in tiers],
        hovertemplate="%{x}: %{customdata[1]} of %{customdata[0]} accounts (%{y:.1%})"
                      "<extra></extra>"))
    if base_rate is not None:
        figure.add_hline(y=base_rate, line_dash="dash", line_color="#424242",
                         annotation_text=f"all accounts: {base_rate:.1%}",
                         annotation_position="top left")
    return _layout(figure, 340, showlegend=False, yaxis={"tickformat": ".0%",
                                                         "title": "outcome rate"})


def _lift(row: dict[str, Any]) -> str:
    rate = "" if row.get("rate") is None else f"{row['rate']:.1%}"
    return rate + ("" if row.get("lift") is None else f" (lift {row['lift']:.2f}x)")


def trends(mix: pl.DataFrame, colors: dict[str, str]) -> "go.Figure":
    """The accounts of each tier per recorded run (stacked bars, ``mix`` as
    ``HistoryStore.tier_mix`` returns it) and the mean score of each run (a line)."""
    import plotly.graph_objects as go

    runs = sorted(set(mix["as_of"].to_list()))
    figure = go.Figure()
    tiers = [name for name in colors if name in set(mix["tier"].drop_nulls().to_list())]
    tiers += sorted(set(mix["tier"].drop_nulls().to_list()) - set(tiers))
    groups = [(tier, pl.col("tier") == tier) for tier in tiers]
    if mix["tier"].null_count():
        groups.append(("unscored", pl.col("tier").is_null()))
    for name, test in groups:
        counts = dict(mix.filter(test).select("as_of", "accounts").iter_rows())
        figure.add_trace(go.Bar(x=[plain(run) for run in runs],
                                y=[counts.get(run, 0) for run in runs], name=plain(name),
                                marker_color=colors.get(name, UNSCORED_COLOR),
                                hovertemplate=f"%{{x}}: %{{y}} {plain(name)}<extra></extra>"))
    mean = (mix.filter(pl.col("mean_score").is_not_null()).group_by("as_of")
            .agg(((pl.col("mean_score") * pl.col("accounts")).sum() / pl.col("accounts").sum())
                 .alias("mean")).sort("as_of"))
    figure.add_trace(go.Scatter(x=[plain(run) for run in mean["as_of"].to_list()],
                                y=mean["mean"].to_list(),
                                name="mean score", yaxis="y2", mode="lines+markers",
                                line={"color": "#212121", "width": 3},
                                hovertemplate="%{x}: mean score %{y:.1f}<extra></extra>"))
    return _layout(figure, 360, barmode="stack", xaxis={"type": "category", "title": "run"},
                   yaxis=_counts_axis(mix.group_by("as_of").agg(pl.col("accounts").sum())
                                      ["accounts"].max(), title="accounts"),
                   yaxis2={"title": "mean score", "overlaying": "y", "side": "right",
                           "range": [0, 100], "tickmode": "linear", "dtick": 25,
                           "showgrid": False})
