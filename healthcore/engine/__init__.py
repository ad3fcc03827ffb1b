"""The engine: scores a table of accounts with a compiled ruleset and returns :class:`Results`."""

from healthcore.engine.results import Results
from healthcore.engine.scoring import as_frame, score

__all__ = ["Results", "as_frame", "score"]
