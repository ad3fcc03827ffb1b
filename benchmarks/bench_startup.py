"""Start-up of the command line on a handful of accounts: where a fresh process's time goes.

    python benchmarks/bench_startup.py               # best of 10 fresh processes per command
    python benchmarks/bench_startup.py --repeat 20 --top 25

Times (best of N fresh processes, after one untimed run) of ``healthcore evaluate`` (JSON and
the text table) and ``healthcore explain`` on the first ten accounts of
``rulesets/saas-b2b.accounts.csv``, with ``python -c "import polars"`` and ``python -c pass`` for
reference, against the target; then the modules that take the longest to import (``python -X
importtime``, cumulative) and the functions that take the longest (``cProfile``, cumulative) in
one run of ``healthcore evaluate ... -f json``. Python may cache bytecode, as on an ordinary
installation; healthcore's record of the rulesets found valid is kept in a temporary directory,
filled by the untimed run (and emptied before each run of the "not yet recorded" line). The
exit status is 0 whether the target is met or not: benchmarks report.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RULESET = REPO / "rulesets" / "saas-b2b.yaml"
ACCOUNTS = REPO / "rulesets" / "saas-b2b.accounts.csv"
TARGET = 0.3
"""Seconds: a fresh ``evaluate`` or ``explain`` of a handful of accounts."""
CLI = [sys.executable, "-m", "healthcore.cli.main"]
CACHE_ENV = "HEALTHCORE_CACHE_DIR"
IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def environment(cache: Path | None = None) -> dict[str, str]:
    """The environment of the measured processes: bytecode may be cached; ``cache`` is where
    healthcore keeps the rulesets found valid (by default the user's cache directory)."""
    variables = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    if cache is not None:
        variables[CACHE_ENV] = str(cache)
    return variables


def run(command: list[str], cache: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    done = subprocess.run(command, cwd=REPO, capture_output=True, env=environment(cache))
    if done.returncode not in (0, 1):
        sys.exit(f"command failed ({done.returncode}): {' '.join(command)}\n"
                 f"{done.stderr.decode(errors='replace')[-2000:]}")
    return done


def best_time(command: list[str], repeat: int, workdir: Path, *, recorded: bool = True
              ) -> float:
    """The best wall time of ``repeat`` fresh processes, after one untimed run; unless
    ``recorded``, each process starts with an empty cache, so that it validates the ruleset."""
    cache = workdir / "cache"
    run(command, cache)
    best = float("inf")
    for _ in range(repeat):
        if not recorded:
            shutil.rmtree(cache, ignore_errors=True)
        start = time.perf_counter()
        run(command, cache)
        best = min(best, time.perf_counter() - start)
    return best


def ten_accounts(workdir: Path) -> tuple[Path, str]:
    """A CSV file of the first ten example accounts, and the id of the first."""
    with ACCOUNTS.open(newline="", encoding="utf-8") as stream:
        rows = list(csv.reader(stream))[:11]
    path = workdir / "ten.csv"
    with path.open("w", newline="", encoding="utf-8") as stream:
        csv.writer(stream).writerows(rows)
    return path, rows[1][0]


def slowest_imports(command: list[str], top: int, workdir: Path
                    ) -> list[tuple[float, float, str]]:
    """The ``top`` modules with the longest cumulative import time in one run of ``command``:
    (cumulative ms, own ms, module)."""
    run(command, workdir / "cache")
    done = run([sys.executable, "-X", "importtime", *command[1:]], workdir / "cache")
    found = []
    for line in done.stderr.decode(errors="replace").splitlines():
        match = IMPORT_LINE.match(line)
        if match:
            found.append((int(match[2]) / 1000, int(match[1]) / 1000, match[4]))
    return sorted(found, reverse=True)[:top]


def slowest_functions(command: list[str], top: int, workdir: Path) -> str:
    """The functions by cumulative time in a cProfile of one run of ``command``: the first
    ``top`` but the import machinery and module bodies (the imports are listed above)."""
    profile = workdir / "run.prof"
    run([sys.executable, "-m", "cProfile", "-o", str(profile), *command[1:]], workdir / "cache")
    text = io.StringIO()
    pstats.Stats(str(profile), stream=text).strip_dirs().sort_stats("cumulative").print_stats(top * 4)
    lines = text.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
    machinery = ("<frozen ", "{built-in method builtins.", "(<module>)")
    kept = [line[:150] for line in lines[start + 1:]
            if line.strip() and not any(part in line for part in machinery)][:top]
    return "\n".join([lines[start], *kept])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=10, help="fresh processes per command")
    parser.add_argument("--top", type=int, default=20, help="modules and functions listed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        accounts, account = ten_accounts(workdir)
        evaluate_json = [*CLI, "evaluate", str(RULESET), str(accounts), "-f", "json"]
        # (label, command, whether the target applies, whether the ruleset is recorded valid)
        commands = [
            ("healthcore evaluate R ten.csv -f json", evaluate_json, True, True),
            ("  the same, the ruleset not yet recorded valid", evaluate_json, False, False),
            ("healthcore evaluate R ten.csv (text)",
             [*CLI, "evaluate", str(RULESET), str(accounts)], True, True),
            (f"healthcore explain R ten.csv --account {account}",
             [*CLI, "explain", str(RULESET), str(accounts), "--account", account], True, True),
            ('python -c "import polars"', [sys.executable, "-c", "import polars"], False, True),
            ("python -c pass", [sys.executable, "-c", "pass"], False, True),
        ]
        print(f"fresh processes, best of {args.repeat} (target <= {TARGET} s)\n")
        print(f"| {'command':<52} | time | target |\n|{'-' * 54}|------|--------|")
        for label, command, targeted, recorded in commands:
            seconds = best_time(command, args.repeat, workdir, recorded=recorded)
            verdict = ("met" if seconds <= TARGET else f"missed by {seconds - TARGET:.3f} s"
                       ) if targeted else ""
            print(f"| {label:<52} | {seconds:.3f} s | {verdict} |", flush=True)
        print("\nslowest imports (cumulative ms, own ms), healthcore evaluate ... -f json:")
        for cumulative, own, module in slowest_imports(evaluate_json, args.top, workdir):
            print(f"  {cumulative:8.1f} {own:8.1f}  {module}")
        print("\nslowest functions (cProfile, cumulative), healthcore evaluate ... -f json:")
        print(slowest_functions(evaluate_json, args.top, workdir))


if __name__ == "__main__":
    main()
