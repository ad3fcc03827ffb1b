"""Properties of scoring that hold for every ruleset and every batch of accounts (hypothesis).

Rulesets are generated: 1 to 5 indicators, each reading its own field through the ``field``
metric, normalized by ``linear`` (either direction) or ``bands`` (with or without a last band
for everything else), with weights (some 0), missing policies, 0 to 3 actions on other fields,
and absolute or percentile tiers. Accounts are CSV-like text cells: numbers, blanks and junk.

That the batch (polars) and scalar (simpleeval) evaluations of expressions agree is the
differential property ``test_batch_and_scalar_evaluation_agree`` of tests/ruleset/test_expressions.py.
"""

from __future__ import annotations

import healthcore
import math
from dataclasses import dataclass, replace

import polars as pl
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from healthcore import loads_ruleset

SETTINGS = settings(max_examples=120, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
CELLS = ["", "0", "-3", "0.25", "1", "2.5", "7", "40", "100", "1e300", "-1e300", "n/a", "NaN",
         "inf"]
NUMBERS = [-3.0, 0.0, 0.25, 1.0, 2.5, 7.0, 40.0, 100.0]


@dataclass(frozen=True)
class Indicator:
    id: str
    normalize: str
    weight: float
    missing: str


@dataclass(frozen=True)
class Spec:
    indicators: tuple[Indicator, ...]
    actions: tuple[tuple[str, float, float], ...]  # (field, threshold, points)
    tiers: tuple[float, ...]  # thresholds from the best tier down; the last is 0
    percentile: bool

    def text(self) -> str:
        lines = ["healthcore: 1", "name: generated", "indicators:"]
        for ind in self.indicators:
            lines += [f"  - id: {ind.id}", "    metric: field", f"    params: {{field: f_{ind.id}}}",
                      f"    normalize: {ind.normalize}", f"    weight: {ind.weight}",
                      f"    missing: {ind.missing}"]
        if self.actions:
            lines.append("actions:")
            lines += [f"  - {{id: act{j}, when: '{field} > {threshold}', points: {points}}}"
                      for j, (field, threshold, points) in enumerate(self.actions)]
        kind = "percentile" if self.percentile else "min"
        lines.append("tiers:")
        lines += [f"  - {{name: t{k}, {kind}: {threshold}}}"
                  for k, threshold in enumerate(self.tiers)]
        return "\n".join(lines) + "\n"

    def fields(self) -> list[str]:
        return [f"f_{ind.id}" for ind in self.indicators] + sorted(
            {field for field, _, _ in self.actions})

    def compile(self, registry):
        return loads_ruleset(self.text(), "generated.yaml", registry=registry)


@st.composite
def normalizers(draw) -> str:
    if draw(st.booleans()):
        worst, best = draw(st.lists(st.sampled_from(NUMBERS), min_size=2, max_size=2,
                                    unique=True))
        return f"{{linear: {{worst: {worst}, best: {best}}}}}"
    mins = sorted(draw(st.lists(st.sampled_from(NUMBERS), min_size=1, max_size=3, unique=True)),
                  reverse=True)
    bands = [f"{{min: {m}, points: {draw(st.integers(0, 100))}}}" for m in mins]
    if draw(st.booleans()):
        bands.append(f"{{points: {draw(st.integers(0, 100))}}}")
    return f"{{bands: [{', '.join(bands)}]}}"


@st.composite
def specs(draw, *, missing: tuple[str, ...] = ("renormalize", "zero", "error"),
          actions: bool = True) -> Spec:
    count = draw(st.integers(1, 5))
    weights = draw(st.lists(st.sampled_from([0, 0.5, 1, 3, 10]), min_size=count,
                            max_size=count).filter(lambda w: sum(w) > 0))
    indicators = tuple(Indicator(f"i{k}", draw(normalizers()), float(weights[k]),
                                 draw(st.sampled_from(missing))) for k in range(count))
    chosen = tuple(draw(st.lists(st.tuples(st.sampled_from(["a0", "a1"]),
                                           st.sampled_from(NUMBERS),
                                           st.integers(-100, 100).map(float)),
                                 max_size=3 if actions else 0)))
    inner = sorted(draw(st.lists(st.integers(1, 99), max_size=3, unique=True)), reverse=True)
    return Spec(indicators, chosen, tuple(map(float, inner)) + (0.0,), draw(st.booleans()))


def accounts(spec: Spec, draw, rows: tuple[int, int] = (1, 12)) -> pl.DataFrame:
    """A batch of accounts for ``spec``: every field a text column, as CSV gives them."""
    height = draw(st.integers(*rows))
    columns = {"account_id": [f"acc{r}" for r in range(height)]}
    for field in spec.fields():
        columns[field] = draw(st.lists(st.sampled_from(CELLS), min_size=height,
                                       max_size=height))
    return pl.DataFrame(columns, schema={name: pl.String for name in columns})


def records(spec: Spec, frame: pl.DataFrame, registry) -> list[dict]:
    return healthcore.score(spec.compile(registry), frame, explain=True).frame.to_dicts()


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


@SETTINGS
@given(data=st.data(), spec=specs())
def test_scores_are_within_0_and_100_and_follow_the_formula(builtin_registry, spec, data):
    """score = clamp(sum(w * points) / sum(w) + fired action points, 0, 100) over the
    indicators with points (missing counts 0 with 'zero'); none when an 'error' indicator or
    every weighted indicator is missing. No NaN or infinity anywhere."""
    frame = accounts(spec, data.draw)
    for row in records(spec, frame, builtin_registry):
        for name, value in row.items():
            assert not (isinstance(value, float) and not math.isfinite(value)), (name, row)
        present = [(row[f"{i.id}.weight"], row[f"{i.id}.points"]) for i in spec.indicators
                   if row[f"{i.id}.points"] is not None]
        refused = any(row[f"{i.id}.points"] is None for i in spec.indicators
                      if i.missing == "error")
        total = sum(weight for weight, _ in present)
        if refused or total == 0:
            assert (row["score"], row["status"]) == (None, "error"), row
            continue
        fired = {f"act{j}": points for j, (_, _, points) in enumerate(spec.actions)}
        base = sum(weight * points for weight, points in present) / total
        expected = min(100.0, max(0.0, base + sum(fired[a] for a in row["actions"])))
        assert 0.0 <= row["score"] <= 100.0
        assert close(row["score"], expected), (row, expected)


@SETTINGS
@given(data=st.data(), spec=specs())
def test_raising_one_indicators_points_never_lowers_the_score(builtin_registry, spec, data):
    """Two accounts differing only in the field of one indicator with a positive weight: the
    one where that indicator has more points has a score at least as high (actions read other
    fields; clamping is monotone). Both must have points for it, or its policy be 'zero'
    (missing is 0 points): dropping out under 'renormalize' may raise or lower a score."""
    weighted = [i for i in spec.indicators if i.weight > 0]
    chosen = data.draw(st.sampled_from(weighted))
    frame = accounts(spec, data.draw, rows=(1, 1))
    other = data.draw(st.sampled_from(CELLS))
    frame = pl.concat([frame, frame.with_columns(pl.lit(other).alias(f"f_{chosen.id}"),
                                                 pl.lit("acc1").alias("account_id"))])
    first, second = records(spec, frame, builtin_registry)
    points = f"{chosen.id}.points"
    assume(first[points] is not None and second[points] is not None)
    low, high = sorted((first, second), key=lambda row: row[points])
    if low["score"] is None:  # refused for another indicator: so is the other account
        assert high["score"] is None
        return
    assert high["score"] is not None and high["score"] >= low["score"] - 1e-9, (low, high)


@SETTINGS
@given(data=st.data(), spec=specs(missing=("renormalize",)))
def test_renormalizing_equals_scoring_only_the_present_indicators(builtin_registry, spec,
                                                                   data):
    frame = accounts(spec, data.draw, rows=(1, 5))
    for row, account in zip(records(spec, frame, builtin_registry),
                            frame.iter_slices(n_rows=1)):
        present = tuple(i for i in spec.indicators if row[f"{i.id}.points"] is not None)
        if sum(i.weight for i in present) == 0:
            assert row["score"] is None
            continue
        [alone] = records(replace(spec, indicators=present), account, builtin_registry)
        assert close(alone["score"], row["score"]), (row, alone)
        assert [alone[f"{i.id}.points"] for i in present] == [row[f"{i.id}.points"]
                                                               for i in present]


@SETTINGS
@given(data=st.data(), spec=specs())
def test_every_input_row_comes_out_once_in_input_order(builtin_registry, spec, data):
    frame = accounts(spec, data.draw, rows=(0, 30))
    ids = data.draw(st.lists(st.sampled_from(["a", "b", "007", "", " x "]), min_size=frame.height,
                             max_size=frame.height))
    frame = frame.with_columns(pl.Series("account_id", ids, pl.String).replace("", None))
    results = healthcore.score(spec.compile(builtin_registry), frame, explain=True)
    assert len(results) == frame.height
    assert results.frame["account_id"].to_list() == frame["account_id"].to_list()
    assert len(results.to_records()) == frame.height


@SETTINGS
@given(data=st.data(), spec=specs())
def test_tiers_are_monotone_in_score(builtin_registry, spec, data):
    """A higher score never gets a worse tier, equal scores get the same tier, every scored
    account has a tier and an unscored one has none; for absolute and percentile tiers."""
    rows = records(spec, accounts(spec, data.draw, rows=(1, 25)), builtin_registry)
    rank = {f"t{k}": k for k in range(len(spec.tiers))}  # 0 is the best tier
    scored = [(row["score"], rank[row["tier"]]) for row in rows if row["score"] is not None]
    assert all(row["tier"] is None for row in rows if row["score"] is None)
    for score, tier in scored:
        for other_score, other_tier in scored:
            if score > other_score:
                assert tier <= other_tier, (scored, spec.tiers, spec.percentile)
            if score == other_score:
                assert tier == other_tier


def test_values_only_on_weight_0_indicators_give_no_score_and_no_nan(builtin_registry):
    """The example the first property found: the weights that count add up to 0."""
    spec = Spec((Indicator("i0", "{linear: {worst: 0, best: 10}}", 0.0, "renormalize"),
                 Indicator("i1", "{linear: {worst: 0, best: 10}}", 1.0, "renormalize")),
                (), (0.0,), False)
    frame = pl.DataFrame({"account_id": ["a"], "f_i0": ["5"], "f_i1": [""]})
    [row] = records(spec, frame, builtin_registry)
    assert (row["status"], row["score"]) == ("error", None)
    assert (row["i0.points"], row["i0.contribution"]) == (50.0, None)
