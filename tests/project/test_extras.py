"""Without an optional dependency, the feature that needs it says which extra to install: the
command exits with code 2 and writes nothing, the Python API raises MissingExtraError."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Iterable

import pytest

from healthcore.errors import HealthcoreError
from healthcore.extras import EXTRAS, MissingExtraError, require
from helpers import REPO, SAAS, SAAS_ACCOUNTS

TELCO = str(REPO / "rulesets" / "telco.yaml")
TELCO_ACCOUNTS = str(REPO / "rulesets" / "telco.accounts.csv")


def without(modules: Iterable[str], tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """``healthcore ARGS`` run in a new interpreter in which none of ``modules`` can be imported
    (for each, a package of that name that raises ImportError comes first on the path)."""
    shadow = tmp_path / "shadow"
    for module in modules:
        (shadow / module).mkdir(parents=True)
        (shadow / module / "__init__.py").write_text(
            f"raise ImportError('{module} is not installed')\n")
    env = {"PYTHONPATH": str(shadow), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    return subprocess.run(
        [sys.executable, "-c", "from healthcore.cli.main import main; main()", *args],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_report_without_plotly_names_the_report_extra(tmp_path: Path):
    done = without(["plotly"], tmp_path, "report", SAAS, SAAS_ACCOUNTS, "-o", "report.html")
    assert done.returncode == 2, done.stderr
    assert "the HTML report needs plotly: pip install 'healthcore[report]'" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "report.html").exists()


def test_calibrate_without_scikit_learn_names_the_analysis_extra(tmp_path: Path):
    done = without(["sklearn"], tmp_path, "calibrate", TELCO, TELCO_ACCOUNTS,
                   "--outcome", "Churn", "-o", "new.yaml")
    assert done.returncode == 2, done.stderr
    assert "calibrate needs scikit-learn: pip install 'healthcore[analysis]'" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "new.yaml").exists()


def test_a_postgresql_history_without_psycopg_names_the_postgres_extra(tmp_path: Path):
    url = "postgresql://scorer:s3cret@127.0.0.1:1/health"
    done = without(["psycopg"], tmp_path, "history", "A1", "--history", url)
    assert done.returncode == 2, done.stderr
    assert ("the PostgreSQL database postgresql://scorer:***@127.0.0.1:1/health needs psycopg: "
            "pip install 'healthcore[postgres]'") in done.stderr
    assert "s3cret" not in done.stderr
    assert "Traceback" not in done.stderr


def test_scoring_and_a_sqlite_history_need_no_extra(tmp_path: Path):
    done = without(EXTRAS, tmp_path, "evaluate", SAAS, SAAS_ACCOUNTS,
                   "--history", str(tmp_path / "history.db"), "-f", "json")
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)) == 38
    assert (tmp_path / "history.db").exists()


def test_the_python_api_raises_a_healthcore_error_naming_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)  # import sklearn raises ImportError
    with pytest.raises(MissingExtraError) as caught:
        require("sklearn", "calibrate")
    assert isinstance(caught.value, HealthcoreError)
    assert caught.value.extra.extra == "analysis"
    assert str(caught.value) == "calibrate needs scikit-learn: pip install 'healthcore[analysis]'"


def test_an_installed_extra_is_imported():
    assert require("plotly", "the HTML report").__name__ == "plotly"
