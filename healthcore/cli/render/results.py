"""The scored accounts as a rich table with tier colors, and a summary line."""

from __future__ import annotations

from typing import TYPE_CHECKING

from healthcore.cli.render import printable, rich_color, text_cell

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from healthcore.engine.results import Results


def _change(row: dict) -> "Text":
    """The score's change since the previous run, and the tier it had if that changed."""
    from rich.text import Text

    if row["previous_score"] is None and row["previous_tier"] is None:
        return Text("new", style="dim")
    delta = row["score_delta"]
    text = Text("" if delta is None else f"{delta:+.1f}",
                style="red" if delta and delta < 0 else "green" if delta else "")
    if row["previous_tier"] != row["tier"] and row["previous_tier"] is not None:
        text.append(f"\nwas {printable(row['previous_tier'])}", style="dim")
    return text


def render_results(results: "Results", console: "Console", limit: int = 100) -> None:
    """Print the accounts worst first (unscored ones at the top), then the tier counts."""
    import polars as pl
    from rich.table import Table
    from rich.text import Text

    frame = results.frame.with_row_index("_row").sort(
        [pl.col("score").is_not_null(), pl.col("score"), pl.col("_row")], nulls_last=False)
    shown = frame if limit <= 0 else frame.head(limit)
    table = Table(title=text_cell(f"{results.ruleset.name}: {len(results)} accounts"),
                  title_justify="left")
    table.add_column("account", overflow="fold")
    table.add_column("score", justify="right")
    if results.trend:
        table.add_column("change", justify="right")
    table.add_column("tier")
    segmented = bool(results.ruleset.segments)
    if segmented:
        table.add_column("segment")
    table.add_column("why", overflow="fold", ratio=1)
    for row in shown.iter_rows(named=True):
        score = "" if row["score"] is None else f"{row['score']:.1f}"
        tier = text_cell(row["tier"] or "not scored", style=rich_color(row["color"]) or "bold")
        why = text_cell("; ".join(row["errors"]), style="bold")
        if row["status"] == "ok":
            if row["errors"]:
                why = Text("! ", style="bold") + why + Text("\n")
            why.append(printable("; ".join(row["reasons"][:3])))
        if row.get("override"):
            tier.append(" *", style="bold")
            why = text_cell(f"* override: {row['override']}", style="italic") + Text("\n") + why
        account = text_cell("(no id)" if row["account_id"] is None else str(row["account_id"]))
        change = [_change(row)] if results.trend else []
        table.add_row(account, score, *change, tier,
                      *([text_cell(row["segment"])] if segmented else []), why)
    console.print(table)
    if limit > 0 and frame.height > limit:
        console.print(f"... {frame.height - limit} more accounts (--limit 0 shows all; "
                      "-f csv -o FILE writes them all)")
    colors = {tier.name: rich_color(tier.color) for tier in results.ruleset.tiers}
    summary = Text(f"{len(results)} accounts: ")
    for index, (name, count) in enumerate(results.tier_counts().items()):
        if index:
            summary.append(", ")
        summary.append(f"{count} {printable(name)}", style=colors.get(name, "bold"))
    console.print(summary)
