"""Peak memory of scoring (reasons included) against the size of the ruleset.

Each measurement runs in a fresh child process under a memory limit (``--limit-gb``), which
builds a ruleset of I indicators (each reading its own field) and A actions (each taking 1 to 5
points off), scores N synthetic accounts with ``explain=True`` and reports its peak resident
memory (``resource.getrusage``, ``ru_maxrss``): once the data is built, and at the end. The
ratio compares each ruleset with the 7-indicator, 7-action one at the same number of accounts.

    python benchmarks/bench_ruleset_size.py       # 7+7 and 200+200, 100 and 100,000 accounts
    python benchmarks/bench_ruleset_size.py --sizes 200x200 --rows 1000000 --limit-gb 8

A child that goes over the limit is reported as such (the figure is then "over the limit").
"""

from __future__ import annotations

import healthcore
import argparse
import json
import resource
import subprocess
import sys

_GB = 1024 ** 3


def ruleset_text(indicators: int, actions: int) -> str:
    """A ruleset of ``indicators`` linear indicators and ``actions`` negative actions."""
    lines = ["healthcore: 1", f"name: size-{indicators}x{actions}", "account_id: id",
             "indicators:"]
    for k in range(indicators):
        lines += [f"  - id: i{k}", f"    label: Indicator {k}", "    metric: field",
                  f"    params: {{field: f{k}}}", "    normalize: {linear: {worst: 0, best: 1}}",
                  f"    weight: {1 + k % 4}"]
    lines.append("actions:" if actions else "actions: []")
    for k in range(actions):
        lines += [f"  - id: a{k}", f"    when: f{k % indicators} < 0.0{1 + k % 3}",
                  f"    points: -{1 + k % 5}", f"    reason: Action {k} fired"]
    lines += ["tiers:", "  - {name: healthy, min: 70, color: green}",
              "  - {name: at_risk, min: 40, color: yellow}",
              "  - {name: critical, min: 0, color: red}"]
    return "\n".join(lines) + "\n"


def accounts(indicators: int, rows: int, seed: int = 7):
    """``rows`` accounts with a value in [0, 1) for each field (a few missing)."""
    import numpy as np
    import polars as pl

    generator = np.random.default_rng(seed)
    columns = {"id": [f"ACC-{n}" for n in range(rows)]}
    for k in range(indicators):
        values = generator.random(rows)
        values[generator.random(rows) < 0.02] = np.nan
        columns[f"f{k}"] = values
    return pl.DataFrame(columns).fill_nan(None)


def child(indicators: int, actions: int, rows: int) -> None:
    """Score once and print the peak memory (MB) after building the data and at the end."""
    from healthcore.ruleset.compiler import loads_ruleset

    ruleset = loads_ruleset(ruleset_text(indicators, actions))
    frame = accounts(indicators, rows)
    data_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results = healthcore.score(ruleset, frame, explain=True)
    assert results.frame.height == rows
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"data_mb": data_peak, "peak_mb": peak}))


def measure(indicators: int, actions: int, rows: int, limit_gb: float) -> dict | None:
    """The child's figures, or None when it went over the memory limit."""
    def limited() -> None:
        limit = int(limit_gb * _GB)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    done = subprocess.run([sys.executable, __file__, "--child", str(indicators), str(actions),
                           str(rows)], capture_output=True, text=True, preexec_fn=limited)
    if done.returncode != 0:
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="7x7,200x200",
                        help="rulesets as INDICATORSxACTIONS, comma-separated; the first is the "
                             "reference of the ratios")
    parser.add_argument("--rows", default="100,100000", help="numbers of accounts, comma-separated")
    parser.add_argument("--limit-gb", type=float, default=6.0,
                        help="the memory limit of each child (address space)")
    parser.add_argument("--child", nargs=3, type=int, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child(*options.child)
        return
    sizes = [tuple(int(part) for part in size.split("x")) for size in options.sizes.split(",")]
    reference_name = "x " + options.sizes.split(",")[0]
    print(f"{'ruleset':>10} {'accounts':>10} {'data MB':>9} {'peak MB':>9} {reference_name:>9}")
    for rows in (int(r) for r in options.rows.split(",")):
        reference = None
        for indicators, actions in sizes:
            figures = measure(indicators, actions, rows, options.limit_gb)
            name = f"{indicators}+{actions}"
            if figures is None:
                print(f"{name:>10} {rows:>10,} {'':>9} {'> ' + str(options.limit_gb) + ' GB':>9}")
                continue
            reference = reference or figures["peak_mb"]
            print(f"{name:>10} {rows:>10,} {figures['data_mb']:>9.0f} {figures['peak_mb']:>9.0f} "
                  f"{figures['peak_mb'] / reference:>9.1f}")


if __name__ == "__main__":
    main()
