"""Score accounts and write their HTML report: what ``healthcore report`` does."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from healthcore.engine import as_frame, score
from healthcore.report import DEFAULT_TOP, render_report, write_report

if TYPE_CHECKING:
    from healthcore.engine.results import Results
    from healthcore.ruleset.model import Ruleset


def report(ruleset: "Ruleset", accounts: Any, output: str | Path, *,
           outcome: str | None = None, history: str | None = None,
           top: int = DEFAULT_TOP) -> "Results":
    """Score ``accounts`` (explained) with ``ruleset`` and write the report of
    :func:`healthcore.report.render_report` (with ``outcome``: the backtest; with ``history``:
    the trends; ``top``: the accounts needing attention) to ``output``, atomically; return the
    results (their warnings, the accounts not scored)."""
    frame = as_frame(accounts)
    results = score(ruleset, frame, explain=True)
    write_report(render_report(results, frame, outcome=outcome, history=history, top=top),
                 output)
    return results
