"""A command run on a handful of accounts imports what it needs only: the heavy libraries of
other commands (databases, charts, machine learning, the terminal tables of the text output)
stay out of a fresh process, which starts that much faster."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import REPO, SAAS, SAAS_ACCOUNTS

HEAVY = ("sqlalchemy", "psycopg", "plotly", "sklearn", "numpy", "pandas", "pyarrow")
"""Libraries no scoring of a file needs."""
OTHER_PARTS = ("healthcore.history", "healthcore.report", "healthcore.analysis.calibrate",
               "healthcore.analysis.backtest", "healthcore.cli.commands.report",
               "healthcore.cli.commands.calibrate")
"""Parts of healthcore that scoring a file and explaining an account do not use."""

RUN_AND_LIST_MODULES = """\
import atexit, json, runpy, sys
atexit.register(lambda: sys.__stderr__.write("MODULES " + json.dumps(sorted(sys.modules)) + "\\n"))
sys.argv = ["healthcore", *sys.argv[1:]]
runpy.run_module("healthcore.cli.main", run_name="__main__")
"""


def modules_imported(*args: str, cache: Path | None = None) -> tuple[set[str], str]:
    """The modules a fresh ``healthcore ARGS`` process imported, and what it printed; with
    ``cache``, that directory keeps what healthcore caches between runs."""
    environment = dict(os.environ)
    if cache is not None:
        environment["HEALTHCORE_CACHE_DIR"] = str(cache)
    done = subprocess.run([sys.executable, "-c", RUN_AND_LIST_MODULES, *args], cwd=REPO,
                          capture_output=True, text=True, env=environment)
    assert done.returncode == 0, done.stderr
    [listing] = [line for line in done.stderr.splitlines() if line.startswith("MODULES ")]
    return set(json.loads(listing.removeprefix("MODULES "))), done.stdout


def imported_packages(modules: set[str], names: tuple[str, ...]) -> set[str]:
    return {name for name in names
            if any(module == name or module.startswith(name + ".") for module in modules)}


def test_evaluate_as_json_imports_no_heavy_library_and_no_terminal_table() -> None:
    modules, output = modules_imported("evaluate", SAAS, SAAS_ACCOUNTS, "-f", "json")
    assert json.loads(output)[0]["account_id"] == "ACC-1001"
    assert imported_packages(modules, (*HEAVY, "rich", *OTHER_PARTS)) == set()


def test_explain_imports_no_heavy_library() -> None:
    modules, output = modules_imported("explain", SAAS, SAAS_ACCOUNTS, "--account", "ACC-1001")
    assert "ACC-1001" in output
    assert imported_packages(modules, (*HEAVY, *OTHER_PARTS)) == set()


@pytest.mark.parametrize("command", ["evaluate", "explain"])
def test_a_command_imports_no_other_command(command: str) -> None:
    args = ["--account", "ACC-1001"] if command == "explain" else ["-f", "json"]
    modules, _ = modules_imported(command, SAAS, SAAS_ACCOUNTS, *args)
    commands = {module for module in modules if module.startswith("healthcore.cli.commands.")}
    assert commands == {"healthcore.cli.commands.common", f"healthcore.cli.commands.{command}"}


def test_an_unchanged_ruleset_is_not_validated_again(tmp_path: Path) -> None:
    args = ("evaluate", SAAS, SAAS_ACCOUNTS, "-f", "json")
    first, first_output = modules_imported(*args, cache=tmp_path)
    again, output = modules_imported(*args, cache=tmp_path)
    assert "jsonschema" in first and "jsonschema" not in again
    assert output == first_output
