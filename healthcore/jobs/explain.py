"""Score accounts and explain one of them: what ``healthcore explain`` does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from healthcore.analysis.explain import explain, rows_text
from healthcore.engine import score

if TYPE_CHECKING:
    from healthcore.ruleset.model import Ruleset


@dataclass
class Explained:
    """One account's explanation, and the warnings of the run that scored it."""

    explanation: dict[str, Any]
    """What :func:`healthcore.analysis.explain.explain` returns."""
    warnings: list[str]


def explain_account(ruleset: "Ruleset", accounts: Any, account_id: Any, *,
                    row: int | None = None) -> Explained:
    """Score the whole batch ``accounts`` (percentile tiers depend on it) with ``ruleset``
    and explain the account ``account_id``: on its row ``row`` (counted from 0) when the id
    is on several, else on the first, with a warning saying so."""
    results = score(ruleset, accounts, explain=True)
    explained = explain(ruleset, results, account_id, row=row)
    warnings = list(results.warnings)
    rows = explained["rows"]
    if len(rows) > 1 and row is None:
        warnings.append(f"account id '{account_id}' is on {len(rows)} rows of the input "
                        f"({rows_text(rows)}, counted from 0): each row is scored on its own; "
                        f"row {rows[0]} is explained (give row to explain another); check the "
                        "export")
    return Explained(explained, warnings)
