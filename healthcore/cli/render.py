"""Terminal rendering of results with rich: a table with tier colors and a summary line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from healthcore.engine.results import Results

_RICH_COLORS = {"orange": "dark_orange", "purple": "purple", "gray": "grey50", "grey": "grey50"}

_ESCAPED = {code: f"\\x{code:02x}" for code in (*range(0x20), *range(0x7f, 0xa0))}


def printable(text: str) -> str:
    """``text`` with each control character (C0, DEL and C1: ESC, BEL, CR, newline...) written
    as an escape such as ``\\x1b``, so that no id, value or label can clear the screen, move
    the cursor or retitle the terminal it is shown on."""
    return text.translate(_ESCAPED)


def text_cell(value: str | None, style: str = "") -> "Text":
    """A table cell showing ``value`` as it is: control characters escaped, rich markup not
    interpreted."""
    from rich.text import Text

    return Text(printable(value or ""), style=style)


def rich_color(color: str | None) -> str:
    """The rich style for a ruleset tier color."""
    if not color:
        return ""
    return _RICH_COLORS.get(color, color)


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


def render_catalogue(catalogue: dict[str, Any]) -> str:
    """The plugins, metrics (with their parameters) and functions of
    :func:`healthcore.authoring.reference.plugin_catalogue`, as text."""
    lines = ["Plugins:"]
    for plugin in catalogue["plugins"]:
        version = f" {plugin['version']}" if plugin["version"] else ""
        lines.append(f"  {plugin['name']}{version} ({plugin['source']})")
    lines.append("\nMetrics:")
    for metric in catalogue["metrics"]:
        lines.append(f"  {metric['name']}: {metric['summary']}  [{metric['plugin']}]")
        spec = metric["parameters"]
        required = set(spec.get("required", []))
        for name, prop in spec.get("properties", {}).items():
            details = [prop.get("type", "any")]
            if name in metric["inputs"]:
                details.append(f"{metric['inputs'][name]} field"
                               if metric["inputs"][name] != "expression" else "expression")
            if name in required:
                details.append("required")
            if "default" in prop:
                details.append(f"default {prop['default']!r}")
            lines.append(f"      {name} ({', '.join(details)}): {prop.get('description', '')}")
    lines.append("\nFunctions in expressions:")
    for function in catalogue["functions"]:
        lines.append(f"  {function['name']}: {function['summary']}  [{function['plugin']}]")
    return "\n".join(lines)
