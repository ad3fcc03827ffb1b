"""Learn a ruleset's weights from known outcomes and write the new ruleset: what
``healthcore calibrate`` does."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from healthcore.analysis.calibrate import Calibration, calibrate, check_output

if TYPE_CHECKING:
    from healthcore.ruleset.model import Ruleset


def calibrate_ruleset(ruleset: "Ruleset", accounts: Any, outcome: str, *,
                      output: str | Path | None = None, force: bool = False,
                      **options: Any) -> Calibration:
    """:func:`~healthcore.analysis.calibrate.calibrate` ``ruleset`` on ``accounts`` (with the
    keyword ``options`` it takes), and with ``output`` write the calibrated ruleset there,
    atomically. An ``output`` that exists (or is the ruleset itself) is refused, unless
    ``force``, before anything is learned."""
    if output is not None:
        check_output(output, ruleset.source, force=force)
    result = calibrate(ruleset, accounts, outcome, **options)
    if output is not None:
        result.write(output, force=force)
    return result
