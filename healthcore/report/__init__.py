"""The HTML report of ``healthcore report``: one self-contained file that a customer-success
team opens in a browser, with no network.

>>> from healthcore.report import render_report, write_report
>>> results = ruleset.score(accounts, explain=True)                    # doctest: +SKIP
>>> write_report(render_report(results, accounts, outcome="churned"), "report.html")  # doctest: +SKIP

:func:`render_report` gathers what the page shows (the portfolio summary, and the backtest or the
trends when asked) and :func:`healthcore.report.page.render` lays it out; the charts are
plotly figures (:mod:`healthcore.report.charts`) with plotly.js inline.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from healthcore.errors import InputError
from healthcore.extras import require

if TYPE_CHECKING:
    import polars as pl

    from healthcore.engine.results import Results

DEFAULT_TOP = 20
"""How many accounts the attention table lists by default."""


def render_report(results: "Results", accounts: "pl.DataFrame | Any", *,
                  outcome: str | None = None, history: str | None = None,
                  top: int = DEFAULT_TOP) -> str:
    """The report of ``results`` (the scoring of ``accounts``, the same table in the same
    order) as HTML text. With ``outcome`` (a field of the accounts: churned or not), the
    backtest of the ruleset against it; with ``history`` (a SQLite path or PostgreSQL URL of a
    score history), the tier mix and mean score of the ruleset's recorded runs. Needs plotly (the
    ``report`` extra): a :class:`~healthcore.extras.MissingExtraError` without it."""
    require("plotly", "the HTML report")
    from healthcore.engine import as_frame
    from healthcore.analysis.summary import summarize
    from healthcore.report.page import render

    frame = as_frame(accounts)
    summary = summarize(results, frame)
    backtest = None
    if outcome is not None:
        from healthcore.analysis.backtest import backtest as run_backtest

        backtest = run_backtest(results.ruleset, frame, outcome, results=results).to_dict()
    trends = tier_mix(history, results.ruleset.name) if history is not None else None
    return render(results, summary, backtest=backtest, trends=trends, top=top)


def tier_mix(history: str, ruleset_name: str) -> "pl.DataFrame":
    """The tier mix of every recorded run of ``ruleset_name`` in the history at ``history``
    (a run without accounts has none: it is left out); an :class:`InputError` when no run has
    accounts."""
    from healthcore.history import open as open_history
    from healthcore.io.database import safe_url

    with open_history(history, read_only=True) as store:
        mix = store.tier_mix(ruleset_name)
        runs = store.runs(ruleset_name) if mix.height == 0 else None
    if runs is not None and runs.height:
        from healthcore.engine.results import listed

        dates = listed(runs["as_of"].to_list())
        raise InputError(f"the history {safe_url(history)} has {runs.height} run"
                         f"{'s' if runs.height != 1 else ''} of the ruleset '{ruleset_name}' "
                         f"({dates}), none with accounts (empty accounts files were "
                         "recorded): delete them (HistoryStore.delete_run), and record runs with "
                         "evaluate(ruleset, accounts, history=DB)")
    if mix.height == 0:
        raise InputError(f"the history {safe_url(history)} has no run of the ruleset "
                         f"'{ruleset_name}': record runs with "
                         "evaluate(ruleset, accounts, history=DB)")
    return mix


def write_report(text: str, path: str | Path) -> None:
    """Write the report ``text`` to ``path`` atomically (the old file stays whole until the new
    one is complete)."""
    from healthcore.io.writers import atomic_path

    with atomic_path(path) as aside:
        aside.write_text(text, encoding="utf-8")
