"""Shared fixtures: a registry of the built-in plugins only, and score
histories on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import tempfile
import textwrap
import uuid
from pathlib import Path

import pytest

from healthcore.plugin.registry import Registry, load_registry

# the record of valid rulesets goes into a directory of the test run's own (the commands the
# tests start inherit it), never into the user's cache
os.environ["HEALTHCORE_CACHE_DIR"] = tempfile.mkdtemp(prefix="healthcore-test-cache-")


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


POSTGRES_ENV = "HEALTHCORE_TEST_POSTGRES_URL"


@pytest.fixture
def sqlite_history(tmp_path: Path) -> str:
    return str(tmp_path / "history.db")


@pytest.fixture
def postgres_history():
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.fail(f"{POSTGRES_ENV} is not set: these tests need a PostgreSQL server "
                    "(scripts/test starts one)")
    import sqlalchemy

    schema = f"hc_history_{uuid.uuid4().hex[:10]}"
    engine = sqlalchemy.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1),
                                      poolclass=sqlalchemy.pool.NullPool)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in url else "?"
    yield f"{url}{separator}options=-csearch_path%3D{schema}"
    with engine.begin() as connection:
        connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def target(request) -> str:
    """A score history on SQLite, then on PostgreSQL (its own schema, dropped after)."""
    return request.getfixturevalue(f"{request.param}_history")
