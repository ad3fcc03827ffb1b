"""Errors that healthcore reports to its users, and the helpers that word them.

Every error a ruleset author can cause is a :class:`Diagnostic` with a location (file, line,
column and the path inside the document); :class:`RulesetError` carries all the diagnostics of a
file at once so that one run shows every mistake.
"""

from __future__ import annotations

from dataclasses import dataclass
import difflib
from typing import Iterable, Sequence

DocPath = tuple[str | int, ...]


def format_path(path: DocPath) -> str:
    """Render a document path the way a ruleset author reads it: ``indicators[2].weight``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(document)"


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in a ruleset, with where it is and what it is.

    ``severity`` is ``"error"`` (the ruleset cannot be used) or ``"warning"`` (advice from
    :func:`healthcore.authoring.advice.advise`: the ruleset works, but probably not as its author meant).
    A warning prints as ``file:line:column: path: warning: message``; an error without a word.
    """

    message: str
    file: str = "<ruleset>"
    line: int | None = None
    column: int | None = None
    path: DocPath = ()
    code: str = "invalid"
    severity: str = "error"

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        label = "" if self.severity == "error" else f"{self.severity}: "
        return f"{where}: {format_path(self.path)}: {label}{self.message}"


class HealthcoreError(Exception):
    """Base class of the errors healthcore raises on purpose."""


class RulesetError(HealthcoreError):
    """A ruleset cannot be used; ``diagnostics`` lists every problem found in it."""

    def __init__(self, diagnostics: Sequence[Diagnostic]):
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))


class InputError(HealthcoreError):
    """An accounts file (or table) cannot be read at all."""


class PluginError(HealthcoreError):
    """A plugin could not be loaded or registered something invalid."""


class MetricError(HealthcoreError):
    """A metric failed while scoring in strict mode: it raised, or did not give one finite
    number (or null) per account. The message names the metric, its plugin and the indicator."""


class OutputError(HealthcoreError):
    """An output file cannot be written: its directory does not exist, it is a directory, the
    disk is full... The message names the file and the reason."""


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A ' (did you mean ...?)' hint for a misspelt name, or ''."""
    choices = list(choices)
    by_lower = {choice.lower(): choice for choice in choices}
    close = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.6)
    return f" (did you mean '{by_lower[close[0]]}'?)" if close else ""


def shortened(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters and ``...``, if longer, to be quoted in a message."""
    return text if len(text) <= limit else f"{text[:limit]}..."
