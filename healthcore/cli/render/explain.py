"""One account's explanation (:func:`healthcore.analysis.explain.explain`) as a rich panel."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from healthcore.analysis.explain import number
from healthcore.cli.render import printable, rich_color, text_cell
from healthcore.cli.render.numbers import fixed

if TYPE_CHECKING:
    from rich.console import Console


def render_explanation(explained: dict[str, Any], console: "Console") -> None:
    """Print an explanation of :func:`healthcore.analysis.explain.explain` as a rich panel.
    Every text from the ruleset or the accounts is shown as written: rich markup is not
    interpreted and control characters are escaped."""
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    style = rich_color(explained["color"]) or "bold"
    head = Text()
    if explained["score"] is None:
        head.append("not scored", style="bold red")
    else:
        head.append(f"score {explained['score']:.1f}  ", style="bold")
        head.append(printable(explained["tier"] or ""), style=style)
        if explained["base"] is not None:
            head.append(f"   (indicators {explained['base']:.1f}")
            head.append(f", actions {explained['adjustment']:+g})" if explained["actions"]
                        else ")")
    if explained["segment"] is not None:
        head.append(f"\nsegment {printable(explained['segment'])}")
    rank = explained["population"]["percentile_rank"]
    head.append(f"\n{explained['population']['scored']} of "
                f"{explained['population']['accounts']} accounts scored"
                + (f"; {rank:.1f} % of them score lower" if rank is not None else ""),
                style="dim")

    table = Table(expand=True)
    for name, justify in (("indicator", "left"), ("value", "right"), ("points", "right"),
                          ("weight", "right"), ("contribution", "right"), ("cost", "right")):
        table.add_column(name, justify=justify, overflow="fold")

    def indicator_row(ind: dict[str, Any], indent: str = "") -> None:
        value = Text("missing", style="dim") if ind["value"] is None else number(ind["value"])
        table.add_row(text_cell(f"{indent}{ind['label']}"), value, _shown(ind["points"]),
                      f"{ind['weight']:g}", _shown(ind["contribution"], 2), _shown(ind["cost"]))

    by_id = {ind["id"]: ind for ind in explained["indicators"]}
    if explained["groups"]:
        for group in explained["groups"]:
            table.add_row(text_cell(f"{group['label']} ({group['combine']})", style="bold"), "",
                          Text(_shown(group["points"]), style="bold"), f"{group['weight']:g}",
                          Text(_shown(group["contribution"], 2), style="bold"),
                          _shown(group["cost"]), end_section=False)
            for member in group["indicators"]:
                indicator_row(by_id[member], "  ")
            table.add_section()
    else:
        for ind in explained["indicators"]:
            indicator_row(ind)

    parts: list[Any] = [head, table]
    if explained["actions"]:
        actions = Text("Actions that fired:", style="bold")
        for action in explained["actions"]:
            actions.append(f"\n  {action['points']:+g}  {printable(action['reason'])}",
                           style="" if action["points"] >= 0 else "red")
        parts.append(actions)
    tiers = Text("Tiers: ", style="bold")
    for index, tier in enumerate(explained["tiers"]):
        if index:
            tiers.append(", ")
        sign = ">= " if tier["kind"] == "min" else "percentile >= "
        text = f"{printable(tier['name'])} {sign}{tier['threshold']:g}"
        tier_style = rich_color(tier["color"])
        tiers.append(f"[{text}]" if tier["current"] else text,
                     style=f"bold {tier_style}" if tier["current"] else tier_style)
    parts.append(tiers)
    for heading, lines, heading_style in (("Why not higher:", explained["reasons"], "bold"),
                                          ("Errors:", explained["errors"], "bold red")):
        if lines:
            listing = Text(heading, style=heading_style)
            for line in lines:
                listing.append(f"\n  - {printable(line)}")
            parts.append(listing)
    row = f" (row {explained['row']})" if len(explained["rows"]) > 1 else ""
    console.print(Panel(Group(*parts), title=text_cell(
        f"{explained['ruleset']}: account {explained['account_id']}{row}"),
        title_align="left", border_style=style))


def _shown(value: float | None, digits: int = 1) -> str:
    return fixed(value, digits, missing="")
