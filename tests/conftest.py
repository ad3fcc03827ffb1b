"""Shared fixtures: the repository paths and a registry of the built-in plugins only."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from healthcore.plugins import Registry, load_registry

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def builtin_registry() -> Registry:
    """The built-in metrics and functions, independent of what else is installed."""
    return load_registry(entry_point_plugins=False)


@pytest.fixture
def write(tmp_path: Path):
    """Write a dedented text file under tmp_path and return its path."""
    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path
    return _write
