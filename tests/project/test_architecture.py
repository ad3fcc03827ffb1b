"""The architecture is what `.importlinter` says: a wrong-way import or a cycle fails the suite.

Each package imports only the packages below it (docs/architecture.md draws the layers); the
built-in plugins use only the plugin contract; no two modules of a package import each other.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO



def lint_imports(root: Path) -> subprocess.CompletedProcess:
    """``lint-imports`` on the ``healthcore`` package found in ``root``, with ``root``'s contracts."""
    script = ("import sys; from importlinter.cli import lint_imports; "
              "sys.exit(lint_imports(config_filename='.importlinter', no_cache=True, "
              "no_logo=True))")
    return subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True,
                          text=True, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
                          timeout=300)


def test_every_import_follows_the_layers_and_no_package_has_a_cycle():
    run = lint_imports(REPO)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "BROKEN" not in run.stdout
    assert "Contracts: 4 kept, 0 broken." in run.stdout


@pytest.fixture(scope="module")
def copy_of_the_package(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("layers")
    shutil.copytree(REPO / "healthcore", root / "healthcore",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / ".importlinter", root / ".importlinter")
    return root


@pytest.mark.parametrize("module, wrong_way, broken", [
    ("engine/results.py", "healthcore.cli.main", "healthcore.engine is not allowed to import "
                                                 "healthcore.cli"),
    ("ruleset/model.py", "healthcore.engine.scoring", "healthcore.ruleset is not allowed to "
                                                      "import healthcore.engine"),
    ("builtin/metrics.py", "healthcore.engine.results", "healthcore.builtin is not allowed to "
                                                        "import healthcore.engine"),
    ("engine/inputs.py", "healthcore.builtin.metrics", "healthcore.engine is not allowed to "
                                                       "import healthcore.builtin"),
])
def test_a_wrong_way_import_fails_the_check_naming_it(copy_of_the_package, module, wrong_way,
                                                      broken):
    target = copy_of_the_package / "healthcore" / module
    original = target.read_text(encoding="utf-8")
    target.write_text(original + f"\nimport {wrong_way}  # noqa\n", encoding="utf-8")
    try:
        run = lint_imports(copy_of_the_package)
    finally:
        target.write_text(original, encoding="utf-8")
    assert run.returncode == 1
    assert broken in run.stdout
