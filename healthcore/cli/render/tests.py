"""The cases of ``healthcore test``, one line each."""

from __future__ import annotations

from typing import TYPE_CHECKING

from healthcore.cli.render.numbers import fixed

if TYPE_CHECKING:
    from healthcore.authoring.cases import CaseResult


def case_line(result: "CaseResult") -> str:
    """``PASS  name  (score 72.50, healthy)``, or ``FAIL  name  (line 12): what differed``."""
    if result.passed:
        got = (f"score {fixed(result.score, 2, missing='none')}, {result.tier}"
               if result.status == "ok" else "not scored")
        return f"  PASS  {result.case.name}  ({got})"
    return (f"  FAIL  {result.case.name}  (line {result.case.line}): "
            f"{'; '.join(result.differences)}")
