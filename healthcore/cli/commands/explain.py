"""``healthcore explain``: one account's score, explained (a thin layer over
:func:`healthcore.analysis.explain.explain`)."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from healthcore.errors import HealthcoreError
from healthcore.cli.commands.common import (EXIT_CODES_HELP, EXIT_UNSCORED, fail, format_option, input_options, plugin_option,
                     registry_or_fail, ruleset_or_fail, warn)
from healthcore.engine import score


@click.command(name="explain", epilog=EXIT_CODES_HELP)
@click.argument("ruleset", type=click.Path(dir_okay=False))
@click.argument("accounts", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--account", "account_id", required=True, metavar="ID",
              help="The id of the account to explain (the value of the ruleset's account_id "
                   "field).")
@click.option("--row", type=click.IntRange(min=0), metavar="N",
              help="When the id is on several rows of ACCOUNTS, the one to explain (its "
                   "position in ACCOUNTS, from 0; default: the first).")
@format_option("text", "json", aliases=("panel", "table"))
@input_options
@plugin_option
def command(ruleset: str, accounts: str, account_id: str, row: int | None, fmt: str,
            input_format: str | None, delimiter: str | None, encoding: str | None,
            plugins: tuple[str, ...]) -> None:
    """Explain the score of one account of ACCOUNTS (CSV, TSV, JSON, JSONL or Parquet; '-' for
    standard input) scored with RULESET: each indicator's value, points, weight and
    contribution (by group), the segment, the actions that fired, the tiers' thresholds and
    the reasons. The whole batch is scored, since percentile tiers depend on it.

    \b
    Examples:
      healthcore explain rulesets/saas-b2b.yaml rulesets/saas-b2b.accounts.csv --account ACC-1006
      healthcore explain rulesets/saas-b2b.yaml accounts.parquet --account ACC-1006 -f json

    \b
    The reasons say what each costly indicator cost, with its value:
      Seat usage 0.31 (target 0.8) cost 14.2 points
    """
    from healthcore.analysis.explain import explain, rows_text
    from healthcore.io.readers import read_accounts

    compiled = ruleset_or_fail(ruleset, registry_or_fail(plugins))
    try:
        results = score(compiled, read_accounts(accounts, input_format, delimiter=delimiter,
                                                encoding=encoding), explain=True)
        explained = explain(compiled, results, account_id, row=row)
    except HealthcoreError as exc:
        fail(str(exc))
    for warning in results.warnings:
        warn(warning)
    rows = explained["rows"]
    if len(rows) > 1 and row is None:
        warn(f"account id '{account_id}' is on {len(rows)} rows of the input ({rows_text(rows)}, "
             f"counted from 0): each row is scored on its own; row {rows[0]} is explained "
             "(--row N explains another); check the export")
    if fmt == "json":
        click.echo(json.dumps(explained, indent=2, ensure_ascii=False))
    else:
        from rich.console import Console

        render_panel(explained, Console())
    if explained["status"] != "ok":
        warn(f"account '{account_id}' could not be scored (status: error): "
             + "; ".join(explained["errors"]))
        sys.exit(EXIT_UNSCORED)


def _num(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def render_panel(explained: dict[str, Any], console) -> None:
    """Print an explanation of :func:`healthcore.analysis.explain.explain` as a rich panel. Every text
    from the ruleset or the accounts is shown as written: rich markup is not interpreted and
    control characters are escaped."""
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    from healthcore.cli.render import printable, rich_color, text_cell
    from healthcore.analysis.explain import number

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
        table.add_row(text_cell(f"{indent}{ind['label']}"), value, _num(ind["points"]),
                      f"{ind['weight']:g}", _num(ind["contribution"], 2), _num(ind["cost"]))

    by_id = {ind["id"]: ind for ind in explained["indicators"]}
    if explained["groups"]:
        for group in explained["groups"]:
            table.add_row(text_cell(f"{group['label']} ({group['combine']})", style="bold"), "",
                          Text(_num(group["points"]), style="bold"), f"{group['weight']:g}",
                          Text(_num(group["contribution"], 2), style="bold"),
                          _num(group["cost"]), end_section=False)
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
