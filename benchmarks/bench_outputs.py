"""Benchmark: ``healthcore evaluate`` as a whole process, Parquet in, against hand-written scripts.

Each command runs in a fresh process; its time is the best of R runs and its peak memory the
highest resident set (``ru_maxrss``, read for that child alone with ``os.wait4``) of those runs.
On N synthetic accounts (``bench_scoring.make_accounts``) written to Parquet, it measures:

1. ``healthcore evaluate R IN.parquet --columns account_id,score,tier -o OUT.csv`` against
   ``python benchmarks/handwritten.py --scores-only IN.parquet OUT.csv``: target <= 1.3x;
2. ``healthcore evaluate R IN.parquet -o OUT.parquet`` (the full output) against (a) the
   hand-written score-only script to Parquet: target <= 2.5x, and (b) the hand-written script
   writing the same columns (``python benchmarks/handwritten.py IN.parquet OUT.parquet``):
   target <= 1.3x;
3. the peak memory of 2. per million accounts: target <= 500 MB;
4. 2. with ``--history H.db`` (SQLite, a new file for each run), a first run
   (``--as-of 2026-01-01``) and a second one (``--as-of 2026-01-02``), against 2. without
   history: target <= 5x each;
5. for the record, the full output to JSON, JSONL and CSV, and the start-up (healthcore's and
   the hand-written script's full Parquet output of ten accounts).

With ``--baseline SRC`` (an older healthcore source tree, such as a git worktree of an earlier
commit) every healthcore command also runs with ``PYTHONPATH=SRC``, alternating with the current
one, and the table shows old and new side by side; the current one is this file's source tree.
A command the old version does not know (``--columns``) shows n/a.

The exit status is 1, with ``DISAGREEMENT:`` lines on standard error, unless: old and new write
the same CSV, JSON and JSONL bytes and the same Parquet content (schema included), with and
without history; the ``--columns`` CSV is the corresponding columns of the full CSV; and the
hand-written outputs have healthcore's values. A missed target is reported, not an error.

Run (needs numpy: ``pip install -e '.[bench]'``)::

    python benchmarks/bench_outputs.py                               # 1,000,000 accounts
    python benchmarks/bench_outputs.py --rows 10000 --repeat 1 --baseline ../old-healthcore
"""

from __future__ import annotations

import argparse
import filecmp
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import polars as pl

BENCHMARKS = Path(__file__).resolve().parent
REPO = BENCHMARKS.parent
RULESET = REPO / "rulesets" / "saas-b2b.yaml"
HANDWRITTEN = BENCHMARKS / "handwritten.py"
CHOSEN = "account_id,score,tier"
FIRST_DAY, NEXT_DAY = "2026-01-01", "2026-01-02"
RECORDED_FORMATS = ("json", "jsonl", "csv")
MILLION = 1_000_000
TARGET_COLUMNS_CSV = 1.3
TARGET_FULL_VS_SCORES = 2.5
TARGET_FULL_VS_SAME = 1.3
TARGET_MB_PER_MILLION = 500.0
TARGET_HISTORY = 5.0
OK_CODES = (0, 1)  # 1: some accounts have no score (they are in the output, status error)
CRASH = "Traceback (most recent call last)"  # Python exits with 1 on an uncaught exception too

# a case: (input, output stem) -> the argument lists of the commands run one after the other
Case = Callable[[Path, Path], list[list[str]]]


# ----------------------------------------------------------------------------- child processes

@dataclass(frozen=True)
class Run:
    """One child process: its wall time, its own peak resident memory and how it ended."""

    seconds: float
    peak_mb: float
    code: int
    stderr: str


@dataclass(frozen=True)
class Measure:
    """The best time and the highest peak memory of the runs of one command."""

    seconds: float
    peak_mb: float


@dataclass(frozen=True)
class Program:
    """A way to run the commands of a case: healthcore of one source tree, or the
    hand-written script."""

    name: str
    prefix: tuple[str, ...]
    source: Path | None = None

    def environment(self) -> dict[str, str]:
        """This process's environment with the program's source first on the path; bytecode
        may be cached, as on an ordinary installation."""
        environment = {k: v for k, v in os.environ.items()
                       if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")}
        if self.source is not None:
            environment["PYTHONPATH"] = str(self.source)
        return environment


class Unsupported(Exception):
    """The program does not know an option of the command."""


def healthcore_program(name: str, source: Path) -> Program:
    return Program(name, (sys.executable, "-m", "healthcore.cli.main", "evaluate", str(RULESET)),
                   source)


HAND_WRITTEN = Program("hand-written", (sys.executable, str(HANDWRITTEN)))


def run_child(command: list[str], environment: dict[str, str], directory: Path) -> Run:
    """Runs ``command`` in a fresh process in ``directory`` and reads that child's own resource
    usage. (Python puts the working directory first on the path of ``python -m``: a source tree
    there would hide the program's own.)"""
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        child = subprocess.Popen(command, cwd=directory, env=environment, stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        text = errors.read().decode(errors="replace")
    return Run(seconds, usage.ru_maxrss * 1024 / 1e6, child.returncode, text)  # KiB on Linux


def attempt(program: Program, case: Case, source: Path, stem: Path) -> list[Run]:
    """One run of each command of ``case`` (a history file of a previous run is removed)."""
    stem.with_suffix(".db").unlink(missing_ok=True)
    runs = []
    for arguments in case(source, stem):
        command = [*program.prefix, *arguments]
        run = run_child(command, program.environment(), stem.parent)
        if run.code == 2 and "No such option" in run.stderr:
            raise Unsupported(run.stderr.strip())
        if run.code not in OK_CODES or CRASH in run.stderr:
            sys.exit(f"command failed ({run.code}): {' '.join(command)}\n{run.stderr[-2000:]}")
        runs.append(run)
    return runs


def measure(programs: list[Program], case: Case, key: str, small: Path, accounts: Path,
            workdir: Path, repeat: int) -> dict[str, list[Measure] | None]:
    """Each program's measures of ``case`` (one per command; None if it does not know an
    option): an untimed run on ``small`` (it fills the bytecode cache), then ``repeat`` runs
    on ``accounts``, the programs taking turns."""
    samples: dict[str, list[list[Run]]] = {}
    for program in programs:
        try:
            attempt(program, case, small, workdir / f"warm-{program.name}-{key}")
            samples[program.name] = []
        except Unsupported:
            pass
    for _ in range(repeat):
        for program in programs:
            if program.name in samples:
                samples[program.name].append(
                    attempt(program, case, accounts, output_stem(workdir, program, key)))
    return {program.name: summarised(samples[program.name]) if program.name in samples else None
            for program in programs}


def summarised(attempts: list[list[Run]]) -> list[Measure]:
    """For each command of the attempts: its best time and its highest peak memory."""
    return [Measure(min(runs[i].seconds for runs in attempts),
                    max(runs[i].peak_mb for runs in attempts))
            for i in range(len(attempts[0]))]


def output_stem(workdir: Path, program: Program, key: str) -> Path:
    return workdir / f"{program.name}-{key}"


# ----------------------------------------------------------------------------- the cases

def columns_csv(source: Path, stem: Path) -> list[list[str]]:
    return [[str(source), "--columns", CHOSEN, "-o", f"{stem}.csv"]]


def full_output(extension: str) -> Case:
    return lambda source, stem: [[str(source), "-o", f"{stem}.{extension}"]]


def with_history(source: Path, stem: Path) -> list[list[str]]:
    history = str(stem.with_suffix(".db"))
    return [[str(source), "--history", history, "--as-of", day, "-o", f"{stem}.parquet"]
            for day in (FIRST_DAY, NEXT_DAY)]


def hand_scores(extension: str) -> Case:
    return lambda source, stem: [["--scores-only", str(source), f"{stem}.{extension}"]]


def hand_full(source: Path, stem: Path) -> list[list[str]]:
    return [[str(source), f"{stem}.parquet"]]


# ----------------------------------------------------------------------------- agreement

def agreement(versions: list[Program], workdir: Path, supported: set[str]) -> list[str]:
    """What disagrees among the outputs of the last runs (empty when everything agrees)."""
    import bench_scoring  # numpy and healthcore: only once every child has been measured

    new = versions[-1]
    problems = []
    if len(versions) == 2:
        old = versions[0]
        for extension in RECORDED_FORMATS:
            left, right = (f"{output_stem(workdir, v, extension)}.{extension}" for v in versions)
            if not filecmp.cmp(left, right, shallow=False):
                problems.append(f"{extension.upper()} output: old and new differ")
        for key, what in (("parquet", "Parquet output"), ("history", "Parquet output with history")):
            problems += parquet_differences(what, f"{output_stem(workdir, old, key)}.parquet",
                                            f"{output_stem(workdir, new, key)}.parquet")
    for version in versions:
        if version.name in supported:
            problems += chosen_differences(version, workdir)
    full_csv = f"{output_stem(workdir, new, 'csv')}.csv"
    expected = pl.read_csv(full_csv).select(CHOSEN.split(","))
    problems += bench_scoring.differences(
        "hand-written scores CSV", expected,
        pl.read_csv(f"{output_stem(workdir, HAND_WRITTEN, 'scores-csv')}.csv"))
    full = pl.read_parquet(f"{output_stem(workdir, new, 'parquet')}.parquet")
    problems += bench_scoring.differences(
        "hand-written scores Parquet", full.select(CHOSEN.split(",")),
        pl.read_parquet(f"{output_stem(workdir, HAND_WRITTEN, 'scores-parquet')}.parquet"))
    hand = pl.read_parquet(f"{output_stem(workdir, HAND_WRITTEN, 'full-parquet')}.parquet")
    if hand.schema != full.schema:
        problems.append(f"hand-written Parquet: schema {hand.schema}, healthcore {full.schema}")
    else:
        problems += bench_scoring.differences("hand-written Parquet",
                                              bench_scoring._flatten(full),
                                              bench_scoring._flatten(hand))
    return problems


def parquet_differences(what: str, old: str, new: str) -> list[str]:
    left, right = pl.read_parquet(old), pl.read_parquet(new)
    if left.schema != right.schema:
        return [f"{what}: old schema {left.schema}, new schema {right.schema}"]
    return [] if left.equals(right) else [f"{what}: old and new content differ"]


def chosen_differences(version: Program, workdir: Path) -> list[str]:
    """The --columns CSV against the same columns of the full CSV, as text."""
    chosen = pl.read_csv(f"{output_stem(workdir, version, 'columns-csv')}.csv",
                         infer_schema=False)
    full = pl.read_csv(f"{output_stem(workdir, version, 'csv')}.csv", infer_schema=False)
    if chosen.columns != CHOSEN.split(","):
        return [f"{version.name} --columns CSV: columns {chosen.columns}, expected {CHOSEN}"]
    if not full.select(chosen.columns).equals(chosen):
        return [f"{version.name} --columns CSV: not the same as those columns of the full CSV"]
    return []


# ----------------------------------------------------------------------------- report

@dataclass(frozen=True)
class Row:
    """One line of a table: a label and its cells."""

    label: str
    cells: tuple[str, ...]


def print_table(title: str, header: tuple[str, ...], rows: list[Row]) -> None:
    lines = [Row("", header), *rows]
    widths = [max(len(line.label) for line in lines)]
    widths += [max(len(line.cells[i]) for line in lines) for i in range(len(header))]
    print(f"\n{title}\n" + "=" * len(title))
    for line in lines:
        cells = [line.label.ljust(widths[0])]
        cells += [cell.rjust(widths[i + 1]) if i < len(header) - 1 else cell
                  for i, cell in enumerate(line.cells)]
        print("  ".join(cells).rstrip())


def shown(measure_: Measure | None) -> str:
    return "n/a" if measure_ is None else f"{measure_.seconds:.3f} s {measure_.peak_mb:,.0f} MB"


def ratio(new: float | None, old: float | None) -> str:
    return "n/a" if new is None or old is None else f"{new / old:.2f}x"


def verdict(value: float | None, limit: float, unit: str) -> str:
    """'met', or 'MISSED by' how much ``value`` is over ``limit``."""
    if value is None:
        return "n/a"
    if value <= limit:
        return "met"
    return f"MISSED by {value - limit:,.2f}{unit} ({(value / limit - 1) * 100:.0f}% over)"


def seconds_of(results: dict[str, list[Measure] | None], name: str, index: int = 0
               ) -> float | None:
    found = results.get(name)
    return None if found is None else found[index].seconds


def describe(source: Path) -> str:
    """The source tree and, if it is a git checkout, its commit."""
    done = subprocess.run(["git", "-C", str(source), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True)
    return f"{source} (commit {done.stdout.strip()})" if done.returncode == 0 else str(source)


def write_accounts(rows: int, seed: int, target: Path, first_ten: Path) -> None:
    """Writes ``bench_scoring.make_accounts(rows, seed)`` to Parquet ``target``, and its first
    ten accounts to ``first_ten``, in a child process: this one stays small, since Linux counts
    its memory in the peak of every child it starts."""
    script = ("import sys, bench_scoring\n"
              "accounts = bench_scoring.make_accounts(int(sys.argv[1]), int(sys.argv[2]))\n"
              "accounts.write_parquet(sys.argv[3])\n"
              "accounts.head(10).write_parquet(sys.argv[4])\n")
    subprocess.run([sys.executable, "-c", script, str(rows), str(seed), str(target),
                    str(first_ten)], cwd=BENCHMARKS, check=True)


def step(message: str) -> None:
    print(message, flush=True)


# ----------------------------------------------------------------------------- main

HEALTHCORE_CASES: dict[str, tuple[str, Case]] = {
    "columns-csv": (f"evaluate --columns {CHOSEN} -o CSV", columns_csv),
    "parquet": ("evaluate -o Parquet (full output)", full_output("parquet")),
    "history": ("evaluate -o Parquet --history (SQLite)", with_history),
    **{extension: (f"evaluate -o {extension.upper()} (full output)", full_output(extension))
       for extension in RECORDED_FORMATS},
    "start-up": ("start-up: evaluate -o Parquet, ten accounts", full_output("parquet")),
}
HAND_WRITTEN_CASES: dict[str, tuple[str, Case]] = {
    "scores-csv": ("hand-written, score-only -> CSV", hand_scores("csv")),
    "scores-parquet": ("hand-written, score-only -> Parquet", hand_scores("parquet")),
    "full-parquet": ("hand-written, same columns -> Parquet", hand_full),
    "hand-start-up": ("start-up: hand-written, same columns, ten accounts", hand_full),
}
ON_TEN_ACCOUNTS = {"start-up", "hand-start-up"}  # the fixed cost of a process, for reference


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=MILLION,
                        help="synthetic accounts (default: 1,000,000)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each command, the best time is kept (default: 3)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the synthetic data")
    parser.add_argument("--baseline", type=Path, default=None, metavar="SRC",
                        help="an older healthcore source tree to compare with")
    args = parser.parse_args(argv)
    if args.rows < 10 or args.repeat < 1:
        parser.error("--rows must be at least 10 and --repeat at least 1")
    if args.baseline is not None and not (args.baseline / "healthcore" / "cli").is_dir():
        parser.error(f"--baseline {args.baseline}: no healthcore source tree there")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    versions = [healthcore_program("new", REPO)]
    if args.baseline is not None:
        versions.insert(0, healthcore_program("old", args.baseline.resolve()))
    step(f"polars {pl.__version__}, Python {sys.version.split()[0]}, {os.cpu_count()} cores; "
         f"ruleset {RULESET.relative_to(REPO)}")
    for version in versions:
        step(f"{version.name}: {describe(version.source or REPO)}")
    with tempfile.TemporaryDirectory(prefix="healthcore-bench-outputs-") as tmp:
        workdir = Path(tmp)
        start = time.perf_counter()
        source, small = workdir / "accounts.parquet", workdir / "ten-accounts.parquet"
        write_accounts(args.rows, args.seed, source, small)
        step(f"generated {args.rows:,} accounts in {time.perf_counter() - start:.2f} s")
        floor = run_child([sys.executable, "-c", "pass"], {}, workdir).peak_mb
        step(f"a child's peak memory counts this process's own, {floor:,.0f} MB, at its start "
             f"(Linux): no figure below is lower")
        results: dict[str, dict[str, list[Measure] | None]] = {}
        for key, (label, case) in {**HEALTHCORE_CASES, **HAND_WRITTEN_CASES}.items():
            programs = versions if key in HEALTHCORE_CASES else [HAND_WRITTEN]
            step(f"{label}, best of {args.repeat} ...")
            data = small if key in ON_TEN_ACCOUNTS else source
            results[key] = measure(programs, case, key, small, data, workdir, args.repeat)
        supported = {name for name, found in results["columns-csv"].items() if found}
        step("comparing the outputs ...")
        failures = agreement(versions, workdir, supported)
    report(args, versions, results, failures)
    for failure in failures:
        print(f"DISAGREEMENT: {failure}", file=sys.stderr)
    return 1 if failures else 0


def report(args: argparse.Namespace, versions: list[Program],
           results: dict[str, dict[str, list[Measure] | None]], failures: list[str]) -> None:
    names = [v.name for v in versions]
    header = (*names, "new/old") if len(names) == 2 else tuple(names)
    rows = []
    for key, (label, _) in HEALTHCORE_CASES.items():
        parts = ("first run", "second run") if key == "history" else ("",)
        for index, part in enumerate(parts):
            found = [results[key][name] for name in names]
            cells = [shown(None if f is None else f[index]) for f in found]
            if len(names) == 2:
                cells.append(ratio(seconds_of(results[key], "new", index),
                                   seconds_of(results[key], "old", index)))
            rows.append(Row(f"{label}{', ' + part if part else ''}", tuple(cells)))
    for key, (label, _) in HAND_WRITTEN_CASES.items():
        cells = [""] * (len(header) - 1)
        rows.append(Row(label, (*cells[:len(names) - 1], shown(results[key][HAND_WRITTEN.name][0]),
                                *cells[len(names) - 1:])))
    print_table(f"Times (best of {args.repeat}) and peak memory (highest of the runs), "
                f"{args.rows:,} accounts, each command a fresh process", header, rows)

    hand = {key: results[key][HAND_WRITTEN.name][0].seconds for key in HAND_WRITTEN_CASES}
    per_million = MILLION / args.rows

    def figures(name: str) -> list[float | None]:
        evaluate = seconds_of(results["parquet"], name)
        found = results["parquet"][name]
        memory = None if found is None else found[0].peak_mb * per_million
        columns = seconds_of(results["columns-csv"], name)
        first = seconds_of(results["history"], name, 0)
        second = seconds_of(results["history"], name, 1)
        return [None if columns is None else columns / hand["scores-csv"],
                None if evaluate is None else evaluate / hand["scores-parquet"],
                None if evaluate is None else evaluate / hand["full-parquet"],
                memory,
                None if first is None or evaluate is None else first / evaluate,
                None if second is None or evaluate is None else second / evaluate]

    targets = [("1. --columns CSV / hand-written score-only CSV", TARGET_COLUMNS_CSV, "x"),
               ("2a. full Parquet / hand-written score-only Parquet", TARGET_FULL_VS_SCORES, "x"),
               ("2b. full Parquet / hand-written same columns", TARGET_FULL_VS_SAME, "x"),
               ("3. peak memory of 2., MB per million accounts", TARGET_MB_PER_MILLION, " MB"),
               ("4a. --history first run / 2.", TARGET_HISTORY, "x"),
               ("4b. --history second run / 2.", TARGET_HISTORY, "x")]
    measured = {name: figures(name) for name in names}
    rows = []
    for index, (label, limit, unit) in enumerate(targets):
        values = [measured[name][index] for name in names]
        cells = [("n/a" if v is None else f"{v:,.0f}{unit}" if unit == " MB" else f"{v:.2f}x")
                 for v in values]
        target = f"<= {limit:g}{unit}"
        rows.append(Row(label, (*cells, target, verdict(values[-1], limit, unit))))
    rows.append(Row("outputs agree (old = new, --columns, hand-written)",
                    (*[""] * len(names), "agree",
                     "met" if not failures else f"MISSED: {len(failures)} DISAGREEMENTS")))
    print_table(f"Summary: targets, saas-b2b, {args.rows:,} accounts, Parquet in",
                (*names, "target", "verdict (new)"), rows)
    if args.rows != MILLION:
        print(f"(the targets are defined at {MILLION:,} accounts)")


if __name__ == "__main__":
    sys.exit(main())
