"""Fuzz target: the account readers, then scoring what they read.

Each input is one byte choosing the format, one byte choosing a repository ruleset (and, one
time in eight, that the explanation columns are computed too), then the rest:

- for CSV, TSV, JSON and JSONL, the bytes of an accounts file, read as ``healthcore evaluate``
  reads it;
- for Parquet, the recipe of a typed table (every field the ruleset reads, each of a type
  chosen among those Parquet files and databases hold: integers, floats with NaN and
  infinity, decimals, text, booleans, dates, durations, lists, structs, bytes, nulls), written
  as a Parquet file and read back. Parquet bytes are not mutated themselves: the Parquet
  library aborts the whole process on some corrupt files (an allocation of petabytes), which no
  Python code can catch; its other failures are caught and reported as unreadable files.

Whatever is read is scored, and the results must keep their promises (every account once, in
input order; scores in [0, 100] or none; no NaN or infinity: ``_harness.check_results``). Only
healthcore's own errors (``_harness.EXPECTED``) may be raised. Seeds: the repository's sample
accounts, in every format.

    python fuzz/fuzz_account_readers.py -max_total_time=60 [CORPUS_DIR]
"""

from __future__ import annotations

import healthcore
import datetime as dt
import io
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness  # noqa: E402  (instruments healthcore as it imports it)
import atheris  # noqa: E402
import polars as pl  # noqa: E402
from healthcore import Ruleset, load_ruleset  # noqa: E402
from healthcore.io.readers import FORMATS, read_accounts, read_bytes  # noqa: E402
from healthcore.plugin.registry import load_registry  # noqa: E402

REGISTRY = load_registry()  # built-ins and installed plugins (billing, for the samples)
SAMPLES = [(load_ruleset(ruleset, registry=REGISTRY), accounts)
           for ruleset, accounts in _harness.samples().items()]
RULESETS = [ruleset for ruleset, _ in SAMPLES]
TYPES = [pl.Int64, pl.UInt64, pl.Float64, pl.Float32, pl.Decimal(12, 3), pl.String, pl.Boolean,
         pl.Date, pl.Datetime("us"), pl.Duration("us"), pl.List(pl.Float64), pl.List(pl.String),
         pl.Struct({"a": pl.Int64}), pl.Binary, pl.Null, pl.Categorical]


def test_one_input(data: bytes) -> None:
    if len(data) < 2:
        return
    fmt = FORMATS[data[0] % len(FORMATS)]
    ruleset = RULESETS[data[1] % len(RULESETS)]
    explain = data[1] // len(RULESETS) % 8 == 0
    try:
        body = data[2:] if fmt != "parquet" else encode(typed_table(data[2:], ruleset), fmt)
        frame = read_bytes(body, fmt, "<fuzz>")
        results = healthcore.score(ruleset, frame, explain=explain)
    except _harness.EXPECTED:
        return
    _harness.check_results(results, frame, ruleset.account_id, explained=explain)


def typed_table(recipe: bytes, ruleset: Ruleset) -> pl.DataFrame:
    """A table of up to 8 accounts with the id and every field ``ruleset`` reads, each of a
    type and with values that ``recipe`` chooses."""
    provider = atheris.FuzzedDataProvider(recipe)
    rows = provider.ConsumeIntInRange(0, 8)
    columns = []
    for name in [ruleset.account_id, *sorted(ruleset.fields())]:
        dtype = provider.PickValueInList(TYPES)
        values = [None if provider.ConsumeIntInRange(0, 7) == 0 else value(provider, dtype)
                  for _ in range(rows)]
        columns.append(pl.Series(name, values, dtype=dtype, strict=False))
    return pl.DataFrame(columns)


def value(provider: atheris.FuzzedDataProvider, dtype: Any) -> Any:
    """One value of ``dtype``, special values included."""
    if dtype in (pl.Int64, pl.UInt64):
        return provider.ConsumeIntInRange(-2 ** 63 if dtype == pl.Int64 else 0, 2 ** 63 - 1)
    if dtype in (pl.Float64, pl.Float32, pl.Decimal(12, 3)):
        return provider.ConsumeFloat() if dtype != pl.Decimal(12, 3) else str(
            provider.ConsumeIntInRange(-10 ** 9, 10 ** 9) / 1000)
    if dtype in (pl.String, pl.Categorical):
        return provider.ConsumeUnicodeNoSurrogates(provider.ConsumeIntInRange(0, 12))
    if dtype == pl.Binary:
        return provider.ConsumeBytes(provider.ConsumeIntInRange(0, 12))
    if dtype == pl.Boolean:
        return provider.ConsumeBool()
    if dtype == pl.Date:
        return dt.date.fromordinal(provider.ConsumeIntInRange(1, 3_652_059))
    if dtype == pl.Datetime("us"):
        return dt.datetime(1970, 1, 1) + dt.timedelta(seconds=provider.ConsumeIntInRange(
            -10 ** 9, 10 ** 10))
    if dtype == pl.Duration("us"):
        return dt.timedelta(seconds=provider.ConsumeIntInRange(-10 ** 9, 10 ** 9))
    if dtype == pl.List(pl.Float64):
        return [provider.ConsumeFloat() for _ in range(provider.ConsumeIntInRange(0, 4))]
    if dtype == pl.List(pl.String):
        return [provider.ConsumeUnicodeNoSurrogates(4)
                for _ in range(provider.ConsumeIntInRange(0, 4))]
    if dtype == pl.Struct({"a": pl.Int64}):
        return {"a": provider.ConsumeIntInRange(-100, 100)}
    return None


def encode(frame: pl.DataFrame, fmt: str) -> bytes:
    """``frame`` as an accounts file in ``fmt`` (lists as '9;10' cells in CSV and TSV)."""
    out = io.BytesIO()
    if fmt in ("csv", "tsv"):
        frame.with_columns(pl.col(name).cast(pl.List(pl.String)).list.join(";")
                           for name, dtype in frame.schema.items()
                           if isinstance(dtype, pl.List)
                           ).write_csv(out, separator="," if fmt == "csv" else "\t")
    elif fmt == "json":
        frame.write_json(out)
    elif fmt == "jsonl":
        frame.write_ndjson(out)
    else:
        frame.write_parquet(out)
    return out.getvalue()


def seeds() -> list[bytes]:
    """Each sample's first 8 accounts in each text format, with its ruleset's and format's
    bytes; for Parquet, the sample's CSV bytes as a recipe."""
    found = []
    for number, (_, accounts) in enumerate(SAMPLES):
        frame = read_accounts(str(accounts)).head(8)
        for code, fmt in enumerate(FORMATS):
            found.append(bytes([code, number]) + encode(frame, "csv" if fmt == "parquet"
                                                        else fmt))
    return found


if __name__ == "__main__":
    _harness.run(test_one_input, seeds())
