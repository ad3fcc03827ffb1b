"""A wheel built from the repository works outside it: schemas ship inside the package; the
optional dependencies are extras, not requirements of the core."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from healthcore.extras import EXTRAS
from helpers import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from the repository."""
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "-q",
                    "-w", str(dist)], check=True, timeout=600)
    return next(dist.glob("healthcore-*.whl"))


def requirements(wheel: Path) -> dict[str | None, set[str]]:
    """The distributions the wheel requires, by extra (None: the core install)."""
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read(next(n for n in archive.namelist()
                                     if n.endswith(".dist-info/METADATA"))).decode()
    needed: dict[str | None, set[str]] = {}
    for requirement in Parser().parsestr(metadata).get_all("Requires-Dist"):
        name = re.match(r"[A-Za-z0-9._-]+", requirement).group(0).lower()
        extra = re.search(r"extra == '([^']+)'", requirement)
        needed.setdefault(extra and extra.group(1), set()).add(name)
    return needed


def test_the_core_install_needs_no_optional_dependency(wheel: Path):
    needed = requirements(wheel)
    optional = {extra.package for extra in EXTRAS.values()}
    assert needed[None] & optional == set()
    assert {"polars", "click", "sqlalchemy", "pluggy"} <= needed[None]
    for extra in EXTRAS.values():
        assert needed[extra.extra] == {extra.package}
    assert needed["all"] == optional
    assert optional <= needed["test"]


def test_each_extra_named_in_messages_is_declared():
    declared = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    extras = declared["project"]["optional-dependencies"]
    for extra in EXTRAS.values():
        assert [re.match(r"[A-Za-z0-9._-]+", r).group(0) for r in extras[extra.extra]] == [
            extra.package]
    assert extras["all"] == [f"healthcore[{','.join(e.extra for e in EXTRAS.values())}]"]
    assert "healthcore[all]" in extras["test"]


def test_wheel_carries_the_schemas_and_works_outside_the_repository(wheel: Path,
                                                                    tmp_path: Path):
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        assert "healthcore/schemas/ruleset.schema.json" in names
        assert any(n.endswith("entry_points.txt") for n in names)
        entry_points = archive.read(next(n for n in names if n.endswith("entry_points.txt")))
        assert b"healthcore = healthcore.cli.main:main" in entry_points
        site = tmp_path / "site"
        archive.extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "r.yaml").write_text((REPO / "rulesets" / "saas-b2b.yaml").read_text())
    (elsewhere / "a.csv").write_text((REPO / "rulesets" / "saas-b2b.accounts.csv").read_text())
    script = (
        "import healthcore, json, sys\n"
        "from healthcore.ruleset.schema import schema_path\n"
        "from healthcore.io.readers import read_accounts\n"
        "results = healthcore.score(healthcore.load_ruleset('r.yaml'), read_accounts('a.csv'))\n"
        "print(json.dumps({'module': healthcore.__file__, 'schema': str(schema_path("
        "'ruleset.schema.json')), 'rows': len(results)}))\n")
    env = {**os.environ, "PYTHONPATH": str(site), "HEALTHCORE_DISABLE_PLUGINS": "1"}
    done = subprocess.run([sys.executable, "-c", script], cwd=elsewhere, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["module"].startswith(str(site))
    assert report["schema"].startswith(str(site))
    assert report["rows"] == 38
