"""The progress of a long ``evaluate`` run, shown on standard error."""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console


class Phases:
    """The progress of a long ``evaluate`` run on standard error: reading, scoring, writing.

    Shown only when ``console`` (standard error by default) is a terminal, and only once the
    run has lasted ``delay`` seconds, so that short runs and pipes never see it; it disappears
    when the run ends. rich is imported only when the bar is shown.
    """

    STEPS = ("reading", "scoring", "writing")

    def __init__(self, console: "Console | None" = None, *, enabled: bool = True,
                 delay: float = 1.0):
        self.console = console
        self.enabled = enabled and (console.is_terminal if console is not None
                                    else _stderr_is_terminal())
        self.delay = delay
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._progress = None
        self._task = None
        self._step = 0
        self._text = ""
        self._closed = False

    def __enter__(self) -> "Phases":
        if self.enabled:
            if self.delay <= 0:
                self._show()
            else:
                self._timer = threading.Timer(self.delay, self._show)
                self._timer.daemon = True
                self._timer.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def phase(self, name: str, text: str | None = None) -> None:
        """Enter the phase ``name`` (one of :attr:`STEPS`), described by ``text``."""
        with self._lock:
            self._step = self.STEPS.index(name)
            self._text = text or name
            self._update()

    def detail(self, text: str) -> None:
        """Describe the current phase anew (rows written so far, say)."""
        with self._lock:
            self._text = text
            self._update()

    def close(self) -> None:
        """Stop showing the progress (for good)."""
        with self._lock:
            self._closed = True
            if self._timer is not None:
                self._timer.cancel()
            if self._progress is not None:
                self._progress.stop()
                self._progress = None

    def _update(self) -> None:
        if self._progress is not None:
            self._progress.update(self._task, description=self._text, completed=self._step,
                                  refresh=True)

    def _show(self) -> None:
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn,
                                   TextColumn, TimeElapsedColumn)

        with self._lock:
            if self._closed:
                return
            console = self.console or Console(stderr=True)
            if not console.is_terminal:
                return
            self._progress = Progress(SpinnerColumn(), TextColumn("{task.description}"),
                                      BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                      console=console, transient=True)
            self._task = self._progress.add_task(self._text, total=len(self.STEPS),
                                                 completed=self._step)
            self._progress.start()


def _stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False
