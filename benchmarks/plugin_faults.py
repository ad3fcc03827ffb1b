"""What healthcore does with each kind of faulty metric, and what trying plugin metrics costs.

For each fault in the catalogue below, a plugin metric with that fault scores three accounts
beside a sound indicator, then again in strict mode. A fault is *contained* when the faulty
indicator has no value for the accounts concerned, their errors name the metric, a warning counts
them and strict mode stops with :class:`healthcore.MetricError`; it is *silent* when the
indicator gets a number for an account the fault concerns; a *crash* is any other exception.
Then the time of the check that tries a plugin metric on the batch's first rows (see ``fault``
in healthcore/engine/probe.py), and of a run with and without it, for a small and a large batch (the
whole runs vary from run to run by more than the check costs on a busy machine).

    python benchmarks/plugin_faults.py [--rows N]

It runs against whichever healthcore is importable, so the same script measures two versions.
"""

from __future__ import annotations

import healthcore
import argparse
import sys
import tempfile
import textwrap
import time
from pathlib import Path

PLUGIN = "hc_bench_faulty"
SOURCE = '''
import polars as pl
from healthcore import Computed, Metric, hookimpl

SCHEMA = {"type": "object", "properties": {"x": {"type": "string", "default": "x"}}}


def above_8_raises(values):
    if (values > 8).any():
        raise ValueError("no index above 8")
    return values


VECTORIZED = {
    "raises": lambda i, p: 1 / 0,
    "returns_none": lambda i, p: None,
    "returns_a_python_number": lambda i, p: 5.0,
    "bad_computed_parts": lambda i, p: Computed(i["x"], "yes"),
    "wrong_length": lambda i, p: i["x"].head(2),
    "text_column": lambda i, p: pl.lit("high"),
    "list_column": lambda i, p: pl.concat_list([i["x"], i["x"]]),
    "nan": lambda i, p: pl.when(i["x"] > 4).then(float("nan")).otherwise(i["x"]),
    "infinity": lambda i, p: i["x"] / 0.0,
    "reads_a_missing_column": lambda i, p: pl.col("nobody_has_it") * 2,
    "aggregate_sum": lambda i, p: i["x"].sum(),
    "aggregate_first": lambda i, p: i["x"].first(),
    "constant": lambda i, p: pl.lit(3.0),
    "boolean_column": lambda i, p: i["x"] > 4,
    "text_of_digits": lambda i, p: i["x"].cast(pl.Int64).cast(pl.String),
    "python_udf_raises_on_one_account": lambda i, p: i["x"].map_batches(
        above_8_raises, return_dtype=pl.Float64),
    "computed_invalid_aggregate": lambda i, p: Computed(i["x"], i["x"].sum() > 10),
    "computed_invalid_numbers": lambda i, p: Computed(i["x"], i["x"] * 1.0),
}


def one_raises(values, params):
    if values["x"] == 2:
        raise LookupError("no data")
    return values["x"]


PER_ACCOUNT = {
    "per_account_raises": one_raises,
    "per_account_text": lambda v, p: "high",
    "per_account_text_of_digits": lambda v, p: "12",
    "per_account_bool": lambda v, p: True,
    "per_account_nan": lambda v, p: float("nan"),
    "per_account_huge_int": lambda v, p: 10 ** 400,
    "per_account_bad_computed": lambda v, p: Computed(v["x"], "yes"),
}

SOUND = {"sound_vectorized": lambda i, p: i["x"] * 2}
SOUND_PER_ACCOUNT = {  # as docs/plugins.md documents it
    "per_account_computed": lambda v, p: Computed(v["x"] * 10, v["x"] > 8, "x is above 8"),
}


@hookimpl
def healthcore_register_metrics(register):
    for name, compute in {**VECTORIZED, **SOUND}.items():
        register(Metric(name, name, compute, SCHEMA, {"x": "number"}))
    for name, compute in {**PER_ACCOUNT, **SOUND_PER_ACCOUNT}.items():
        register(Metric(name, name, compute, SCHEMA, {"x": "number"}, per_account=True))
'''

RULESET = """\
healthcore: 1
name: faults
indicators:
  - {id: good, metric: field, params: {field: x}, normalize: {linear: {worst: 0, best: 10}},
     weight: 1}
  - {id: bad, metric: METRIC, normalize: {linear: {worst: 0, best: 10}}, weight: 1}
tiers:
  - {name: any, min: 0}
"""
ACCOUNTS = [{"account_id": "a", "x": 5}, {"account_id": "b", "x": 2},
            {"account_id": "c", "x": 10}]
# the accounts each fault concerns (the others must keep their value)
CONCERNED = {"nan": {"a", "c"}, "per_account_raises": {"b"}}


def classify(registry, metric: str) -> str:
    """contained, silent or crash (with what)."""
    from healthcore import MetricError, loads_ruleset

    ruleset = loads_ruleset(RULESET.replace("METRIC", metric), "faults.yaml", registry=registry)
    concerned = CONCERNED.get(metric, {"a", "b", "c"})
    try:
        results = healthcore.score(ruleset, ACCOUNTS, explain=True)
        records = results.to_records()
    except Exception as exc:  # noqa: BLE001 - what is measured
        return f"crash ({type(exc).__name__})"
    for record in records:
        if record["account_id"] in concerned and record["indicators"]["bad"]["value"] is not None:
            return "silent"
    named = all(any(f"'{metric}'" in error for error in record["errors"])
                for record in records if record["account_id"] in concerned)
    warned = any(f"'{metric}'" in warning for warning in results.warnings)
    try:
        healthcore.score(ruleset, ACCOUNTS, strict=True)
        stops = False
    except MetricError:
        stops = True
    except Exception as exc:  # noqa: BLE001
        return f"crash in strict mode ({type(exc).__name__})"
    missing = [what for what, ok in (("errors", named), ("warning", warned),
                                     ("strict stop", stops)) if not ok]
    return "contained" if not missing else f"contained, without {', '.join(missing)}"


def per_account_computed(registry) -> str:
    """Whether a per-account metric may return ``Computed``: its values and problem kept."""
    from healthcore import loads_ruleset

    ruleset = loads_ruleset(RULESET.replace("METRIC", "per_account_computed"), "computed.yaml",
                            registry=registry)
    records = healthcore.score(ruleset, ACCOUNTS, explain=True).to_records()
    values = [record["indicators"]["bad"]["value"] for record in records]
    kept = values == [50.0, 20.0, None] and records[2]["errors"] == ["x is above 8"]
    return "accepted" if kept else f"refused ({records[0]['errors'][0][:80]}...)"


def timed(function, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def median_time(function, repeat: int = 200) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return sorted(times)[repeat // 2]


def probe_cost(registry, rows: int) -> None:
    """A run with the sound plugin metric, and the same run without trying it first."""
    import polars as pl

    from healthcore import loads_ruleset
    from healthcore.engine import probe
    from healthcore.engine.segments import BySegment
    from healthcore.plugin.metric import Computed

    ruleset = loads_ruleset(RULESET.replace("METRIC", "sound_vectorized"), "sound.yaml",
                            registry=registry)
    probed = getattr(probe, "probed", None)
    for size in (1, rows):
        frame = pl.DataFrame({"account_id": [str(i) for i in range(size)],
                              "x": [float(i % 11) for i in range(size)]})
        repeat = 50 if size < 1000 else 5
        with_probe = timed(lambda: healthcore.score(ruleset, frame), repeat)
        if probed is None:
            print(f"  {size:>9,} accounts: {with_probe * 1e3:8.2f} ms (this version tries no "
                  "metric first)")
            continue
        alone = median_time(lambda: probe.fault(
            Computed(pl.col("x") * 2), probe.rows(ruleset, frame, BySegment(ruleset))))
        print(f"  {size:>9,} accounts: the check alone {alone * 1e3:.2f} ms (median of 200)")
        probe.probed = lambda indicator: False
        try:
            without = timed(lambda: healthcore.score(ruleset, frame), repeat)
        finally:
            probe.probed = probed
        print(f"  {size:>9,} accounts: {with_probe * 1e3:8.2f} ms with the check, "
              f"{without * 1e3:8.2f} ms without: {(with_probe - without) * 1e3:+.2f} ms "
              f"({with_probe / without:.2f}x)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000,
                        help="accounts of the large batch timed (default 1,000,000)")
    args = parser.parse_args()
    import healthcore
    from healthcore.plugin.registry import load_registry

    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / f"{PLUGIN}.py").write_text(textwrap.dedent(SOURCE), encoding="utf-8")
        sys.path.insert(0, folder)
        registry = load_registry([PLUGIN], entry_point_plugins=False)
        module = sys.modules[PLUGIN]
        faults = [*module.VECTORIZED, *module.PER_ACCOUNT]
        print(f"healthcore from {Path(healthcore.__file__).parent}")
        outcomes = {metric: classify(registry, metric) for metric in faults}
        width = max(map(len, faults))
        for metric, outcome in outcomes.items():
            print(f"  {metric:<{width}}  {outcome}")
        contained = sum(outcome == "contained" for outcome in outcomes.values())
        print(f"fully contained: {contained} of {len(faults)} kinds of fault")
        print(f"a per-account metric returning Computed: {per_account_computed(registry)}")
        print("cost of trying a plugin metric on the batch's first rows:")
        probe_cost(registry, args.rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
