"""A wheel built from the repository works outside it: schemas ship inside the package."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from helpers import REPO


def test_wheel_carries_the_schemas_and_works_outside_the_repository(tmp_path: Path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "-q",
                    "-w", str(dist)], check=True, timeout=600)
    wheel = next(dist.glob("healthcore-*.whl"))
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
        "results = healthcore.load_ruleset('r.yaml').score("
        "__import__('healthcore.io.readers', fromlist=['x']).read_accounts('a.csv'))\n"
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
