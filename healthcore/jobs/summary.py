"""Score accounts and sum up the portfolio: what ``healthcore summary`` does."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from healthcore.analysis.summary import Summary, summarize
from healthcore.engine import as_frame, score

if TYPE_CHECKING:
    from healthcore.engine.results import Results
    from healthcore.ruleset.model import Ruleset


def summarize_accounts(ruleset: "Ruleset", accounts: Any) -> tuple["Results", Summary]:
    """The results of ``accounts`` scored with ``ruleset``, and their
    :func:`~healthcore.analysis.summary.summarize`."""
    frame = as_frame(accounts)
    results = score(ruleset, frame)
    return results, summarize(results, frame)
