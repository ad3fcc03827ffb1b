"""Who holds a SQLite history's writers' lock: a note beside the file, for the message of a
run that gives up waiting. (PostgreSQL keeps the same note in the session's
``application_name``.)"""

from __future__ import annotations

import datetime as _dt
import json
import os
from pathlib import Path


def note_path(database: Path) -> Path:
    """The hidden note beside the SQLite file ``database``."""
    return database.with_name(f".{database.name}.writer")


def announce(note: Path | None, what: str) -> None:
    """Say, in ``note``, that this process holds the lock to do ``what``."""
    if note is None:
        return
    started = _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S")
    try:
        note.write_text(json.dumps({"what": what, "pid": os.getpid(), "since": started}),
                        encoding="utf-8")
    except OSError:
        pass  # the note is a courtesy; the lock itself is the database's


def withdraw(note: Path | None) -> None:
    """Remove this process's note (not another process's)."""
    if note is None or _read(note).get("pid") != os.getpid():
        return
    try:
        note.unlink()
    except OSError:
        pass


def holder(note: Path | None) -> str | None:
    """What the live process holding the lock said it is doing, as in
    ``record the run of saas-b2b on 2024-02-03, process 4242, since 2024-02-03 02:00:05``."""
    found = _read(note) if note is not None else {}
    pid = found.get("pid")
    if not isinstance(pid, int) or not _alive(pid):
        return None
    return f"{found.get('what')}, process {pid}, since {found.get('since')}"


def is_timeout(error: BaseException) -> bool:
    """Whether a driver error says the lock could not be had in time."""
    original = getattr(error, "orig", None) or error
    return (getattr(original, "sqlstate", None) == "55P03"
            or "database is locked" in str(original))


def _read(note: Path) -> dict:
    try:
        found = json.loads(note.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
