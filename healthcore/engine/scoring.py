"""The columnar engine: one lazy polars query scores a whole table of accounts.

Stages: prepare the input fields (by kind, with problem messages) -> each indicator's raw value
(through its metric) -> points (normalizer) -> weighted base with the missing-data policies ->
actions -> clamped score -> tier -> explanation columns. Per-account metrics are the one exception
to the single query: the engine maps them over the prepared inputs before the query runs.
"""

from __future__ import annotations

import math
import dataclasses
import numbers
import reprlib
from dataclasses import dataclass
from typing import Any, Callable, Collection, Iterable, Mapping

import polars as pl

from healthcore.errors import InputError, MetricError
from healthcore.engine.reasons import (ActionReason, IndicatorCost, clean, clean_column, ranked_reasons,
                          text_list)
from healthcore.engine.inputs import missing_field, prepare, readable_as_text
from healthcore.plugin.metric import Computed
from healthcore.plugin.registry import BUILTIN_PLUGINS
from healthcore.engine.results import MetricFailure, Results
from healthcore.engine.segments import BySegment
from healthcore.ruleset.model import Indicator, Ruleset

_HIDDEN = "__hc_"
_RANKED = f"{_HIDDEN}ranked"


@dataclass
class _Query:
    """The scoring query: ``staged`` holds the intermediate columns of the scores, selected by
    ``core`` (what :meth:`Ruleset.score` computes at once); ``explanation`` adds those of the
    actions, reasons and errors (computed when the results are first read in full)."""

    staged: pl.LazyFrame
    core: list[pl.Expr]
    explanation: Callable[[], tuple[pl.LazyFrame, list[pl.Expr]]]
    """Builds (only when asked) the frame with the explanation's stages and its columns."""
    failures: list[MetricFailure] = dataclasses.field(default_factory=list)
    """The metrics that failed for whole accounts before the query runs: on the whole batch,
    or per account."""
    nonfinite: dict[str, tuple[str, pl.Expr]] = dataclasses.field(default_factory=dict)
    """Per vectorized indicator: its label, and a column saying where its metric gave NaN or
    infinity (a code of :data:`_NONFINITE`), counted in the same pass as the scores."""

    def names(self) -> list[str]:
        return [column.meta.output_name() for column in self.core]

    def scores(self) -> pl.DataFrame:
        return self.staged.select(self.core).collect()

    def everything(self) -> pl.DataFrame:
        explained, details = self.explanation()
        return explained.select(self.core + details).collect()

    def collect(self, explain: bool, total: int) -> tuple[pl.DataFrame, list[MetricFailure]]:
        """The scores (and the explanation's columns with ``explain``), and every metric's
        failures, in the order of their indicators, counted in the same pass."""
        checks = {f"{_HIDDEN}nonfinite_{ident}": code
                  for ident, (_, code) in self.nonfinite.items()}
        columns = self.core + [code.alias(name) for name, code in checks.items()]
        if explain:
            explained, details = self.explanation()
            computed = explained.select(columns + details).collect()
        else:
            computed = self.staged.select(columns).collect()
        failures = list(self.failures)
        for (ident, (label, _)), name in zip(self.nonfinite.items(), checks):
            codes = computed.drop_in_place(name)  # (a fresh frame: cheaper than drop())
            count = codes.len() - codes.null_count()
            if count:
                failures.append(MetricFailure(ident, label, count, total,
                                              f"gave {_NONFINITE[codes.drop_nulls()[0]]}"))
        return computed, failures


@dataclass
class _Plan:
    """What building the query collects: each field read as each kind (built once, inlined
    where used) and the problem messages of the explanation."""

    prepared: dict[tuple[str, str], pl.Expr]
    problems: list[pl.Expr]
    reported: dict[str, pl.Expr] = dataclasses.field(default_factory=dict)
    """Per field, where a problem with it is already reported."""
    strict: bool = False
    """Whether a metric's fault stops the run (:class:`MetricError`) instead of leaving its
    indicator out."""
    accounts: int = 0
    """How many accounts the batch has."""
    probe: pl.LazyFrame | None = None
    """A few rows of the batch to try the plugins' vectorized metrics on (see :func:`_probe`)."""
    failures: list[MetricFailure] = dataclasses.field(default_factory=list)
    """The metrics that failed for whole accounts while the query was built."""


def as_frame(accounts: Any) -> pl.DataFrame:
    """Accept a polars DataFrame/LazyFrame, or an iterable of mappings (one per account);
    anything else is an :class:`InputError` saying what was given."""
    if isinstance(accounts, pl.LazyFrame):
        try:
            return accounts.collect()
        except pl.exceptions.PolarsError as exc:
            reason = str(exc).strip().splitlines()[0]
            raise InputError(f"the accounts' query failed: {type(exc).__name__}: {reason}"
                             ) from None
    if isinstance(accounts, pl.DataFrame):
        return accounts
    expected = "accounts must be a table or a list of mappings (one per account)"
    if isinstance(accounts, Mapping):
        raise InputError(f"{expected}; for one account, give a list of one: [account]")
    if isinstance(accounts, (str, bytes)) or not isinstance(accounts, Iterable):
        raise InputError(f"{expected}, not {type(accounts).__name__}")
    rows = list(accounts)
    if not rows:
        return pl.DataFrame()
    for number, row in enumerate(rows, 1):
        if not isinstance(row, Mapping):
            raise InputError(f"{expected}: account {number} is {type(row).__name__}")
        named = [key for key in row if not isinstance(key, str)]
        if named:
            raise InputError(f"account {number}: the field name {named[0]!r} is not text")
    return pl.DataFrame(rows, infer_schema_length=None, strict=False)


def score(ruleset: Ruleset, accounts: Any, *, explain: bool = False,
          looked_back: pl.DataFrame | None = None, unranked: Collection[str] = (),
          strict: bool = False) -> Results:
    """Score every account of ``accounts`` with ``ruleset``; see :class:`~healthcore.Results`.

    With ``explain``, the explanation columns are computed in the same pass as the scores.
    With ``strict``, a metric's fault (it raises, or does not give one finite number or null
    per account) raises :class:`~healthcore.errors.MetricError` instead of leaving its
    indicator out.
    ``looked_back`` holds the values that ``previous(...)`` reads (``account_id`` and one
    column per reference, as :meth:`healthcore.history.HistoryStore.look_back` gives them);
    accounts whose id is in ``unranked`` are left out of percentile tiers (churned ones).
    """
    frame = as_frame(accounts)
    if ruleset.account_id not in frame.columns:
        if frame.height == 0 and not frame.columns:
            frame = pl.DataFrame({ruleset.account_id: []}, schema={ruleset.account_id: pl.String})
        else:
            from healthcore.errors import did_you_mean
            hint = did_you_mean(ruleset.account_id, frame.columns)
            raise InputError(f"the accounts have no field '{ruleset.account_id}', which the "
                             f"ruleset names as account_id{hint}; fields found: "
                             f"{', '.join(frame.columns[:20])}")
    id_type = frame.schema[ruleset.account_id]
    if not readable_as_text(id_type) or id_type == pl.Boolean:
        raise InputError(f"the accounts' '{ruleset.account_id}' (their ids) holds {id_type}: "
                         "an account id is text or a number")
    _reject_shadowed_parameters(ruleset, frame.columns)
    from healthcore.errors import did_you_mean

    warnings = [f"field '{name}' is not in the input{did_you_mean(name, frame.columns)}: the "
                "indicators and actions reading it have no value for any account"
                for name in ruleset.fields() if name not in frame.columns]
    frame, warned = _with_history(ruleset, frame, looked_back)
    warnings += warned
    frame = frame.with_columns((pl.col(ruleset.account_id).cast(pl.String).is_in(list(unranked))
                                .not_() if unranked else pl.lit(True)).alias(_RANKED))
    query = _query(ruleset, frame, {}, strict)
    try:
        computed, failures = query.collect(explain, frame.height)
    except MetricError:
        raise
    except Exception:  # polars' errors, and those of a metric's own Python code in the query
        failed = _failing_metrics(ruleset, frame)
        if not failed:
            raise
        query = _query(ruleset, frame, failed, strict)  # strict: stops at the first
        computed, failures = query.collect(explain, frame.height)
    order = [indicator.id for indicator in ruleset.indicators]
    failures.sort(key=lambda failure: order.index(failure.indicator))
    warnings += [str(failure) for failure in failures]
    warnings += _few_to_rank(ruleset, computed)
    if explain:
        return Results(ruleset, computed.select(query.names()), lambda: computed, warnings,
                       failures=failures)
    return Results(ruleset, computed, query.everything, warnings, failures=failures)


def _few_to_rank(ruleset: Ruleset, computed: pl.DataFrame) -> list[str]:
    """A warning when percentile tiers rank fewer distinct scores than there are tiers: the
    tiers then follow the rank alone (one account scoring 95 is in the lowest tier)."""
    if ruleset.tier_mode != "percentile" or computed.height == 0:
        return []
    scores = computed["score"].drop_nulls()
    distinct = scores.n_unique()
    if distinct >= len(ruleset.tiers):
        return []
    return [f"percentile tiers rank the accounts of a run against each other, and this run has "
            f"{scores.len():,} scored account{'s' if scores.len() != 1 else ''} with "
            f"{distinct} distinct score{'s' if distinct != 1 else ''} for "
            f"{len(ruleset.tiers)} tiers: an account is in the lowest tier when none scores "
            "lower, whatever its score; score larger batches, or use tiers with 'min'"]


def _identified(frame: pl.DataFrame, account_id: str) -> pl.Expr:
    """Whether each account has an id: not missing, blank (spaces only), NaN or infinite."""
    column, dtype = pl.col(account_id), frame.schema[account_id]
    if dtype.is_float():
        return column.is_finite().fill_null(False)
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
        text = column.cast(pl.String)
        blank = text.str.strip_chars().str.len_bytes() == 0
        # a blank id sorts before "!": look for one among those few, not every id
        if frame.lazy().filter(text < "!").select(blank.any()).collect().item():
            return column.is_not_null() & blank.not_()
    return column.is_not_null()


def _with_history(ruleset: Ruleset, frame: pl.DataFrame, looked_back: pl.DataFrame | None
                  ) -> tuple[pl.DataFrame, list[str]]:
    """``frame`` with a column per ``previous(...)`` the ruleset reads: from ``looked_back``
    (matched on the account id as text), else empty, with a warning."""
    references = ruleset.history_references
    if not references:
        return frame, []
    dtypes = {name: pl.String if reference == "tier" else pl.Float64
              for name, (reference, _) in references.items()}
    if looked_back is None:
        shown = ", ".join(sorted(references))
        return frame.with_columns(pl.lit(None, dtype).alias(name)
                                  for name, dtype in dtypes.items()), [
            f"the ruleset reads the score history ({shown}) but no history is given: these "
            "have no value (record runs in a history and give it)"]
    key = f"{_HIDDEN}key"
    earlier = looked_back.select(pl.col("account_id").cast(pl.String).alias(key),
                                 *(pl.col(name).cast(dtype) for name, dtype in dtypes.items()))
    joined = (frame.drop([name for name in dtypes if name in frame.columns])
              .with_columns(pl.col(ruleset.account_id).cast(pl.String).alias(key))
              .join(earlier.unique(key, keep="first"), on=key, how="left",
                    maintain_order="left")
              .drop(key))
    return joined, []


def _failing_metrics(ruleset: Ruleset, frame: pl.DataFrame) -> dict[str, str]:
    """The vectorized metrics whose query fails on this batch, each with what happened; found
    by running each one alone (only after the whole query failed)."""
    vectorized = [ind for ind in ruleset.indicators if not ind.metric.per_account]
    failed = {}
    for indicator in vectorized:
        others = {ind.id: "" for ind in vectorized if ind is not indicator}
        try:
            _query(ruleset, frame, others).scores()
        except Exception as exc:
            failed[indicator.id] = _failed_on_batch(exc)
    return failed


_WRONG_LENGTH = "it gave a column whose length is not the number of accounts"
_NONFINITE = ("NaN", "inf", "-inf")
_PROBE_ROWS = 2


def _failed_on_batch(exc: Exception) -> str:
    """What a metric whose column could not be computed did, after its label."""
    text = str(exc).strip()
    if isinstance(exc, pl.exceptions.ShapeError):
        text = _WRONG_LENGTH
    return f"failed on this batch: {type(exc).__name__}: {text.splitlines()[0] if text else '-'}"


def _reject_shadowed_parameters(ruleset: Ruleset, columns: list[str]) -> None:
    used = {name for indicator in ruleset.indicators for item in indicator.inputs
            if item.expression is not None for name in item.expression.parameters}
    used |= {name for action in ruleset.actions for name in action.condition.parameters}
    clash = sorted(used & set(ruleset.parameters) & set(columns))
    if clash:
        raise InputError(f"'{clash[0]}' is both a parameter of the ruleset and a field of the "
                         "accounts, so an expression using it is ambiguous; rename one of them")


def _query(ruleset: Ruleset, frame: pl.DataFrame, failed: Mapping[str, str],
           strict: bool = False) -> _Query:
    """The whole scoring query; indicators in ``failed`` are left out with their message."""
    schema = frame.schema
    by_segment = BySegment(ruleset)
    plan = _Plan({}, [], strict=strict, accounts=frame.height,
                 probe=_probe_frame(ruleset, frame, by_segment))

    def column(field: str, kind: str) -> pl.Expr:
        """A field read as ``kind``; inlined where used (polars computes it once)."""
        key = (field, kind)
        if key not in plan.prepared:
            if field in schema:
                value, problem = prepare(field, kind, schema[field])
            else:
                value, problem = missing_field(field, kind)
            plan.prepared[key] = value
            if problem is not None:
                # a field read in two ways gets one message per account, the first one's
                reported = plan.reported.get(field)
                plan.problems.append(problem if reported is None
                                     else pl.when(reported.not_()).then(problem))
                plan.reported[field] = problem.is_not_null() if reported is None else (
                    reported | problem.is_not_null())
        return plan.prepared[key]

    def input_column(item) -> pl.Expr:
        if item.field is not None:
            return column(item.field, item.kind)
        return item.expression.to_polars(column, by_segment.parameter)

    computed: list[pl.Expr] = []  # each metric's result, and its problems if it has any
    valid: dict[str, pl.Expr] = {}
    nonfinite: dict[str, tuple[str, pl.Expr]] = {}
    per_account_args: list[pl.Expr] = []
    for indicator in ruleset.indicators:
        result = pl.col(_result(indicator))
        valid[indicator.id] = result.is_finite()
        if indicator.metric.per_account:
            per_account_args += [input_column(item).alias(_arg(indicator, item.param))
                                 for item in indicator.inputs]
            continue
        if indicator.id in failed:
            outcome = _metric_fault(indicator, failed[indicator.id], plan) \
                if failed[indicator.id] else None
        else:
            outcome = _metric_value(
                indicator, {item.param: input_column(item) for item in indicator.inputs}, plan)
        if outcome is None:  # left out, its fault reported
            computed.append(pl.lit(None, pl.Float64).alias(_result(indicator)))
            continue
        computed.append(outcome.value.alias(_result(indicator)))
        if not strict:  # (strict stops at the first NaN or infinity)
            nonfinite[indicator.id] = (_metric_label(indicator), _nonfinite_code(result))
        plan.problems.append(pl.format(
            f"{clean(_metric_label(indicator))} gave {{}}; the indicator is left out",
            pl.when(valid[indicator.id].not_()).then(result)))
        if outcome.invalid is not None:
            invalid = pl.col(f"{_HIDDEN}invalid_{indicator.id}")
            computed.append(outcome.invalid.fill_null(False).alias(invalid.meta.output_name()))
            valid[indicator.id] &= invalid.not_()
            problem = outcome.problem if outcome.problem is not None else (
                f"{_metric_label(indicator)}: this account's data is not valid")
            plan.problems.append(pl.when(invalid).then(
                pl.lit(clean(problem)) if isinstance(problem, str) else clean_column(problem)))
    conditions = [action.condition.to_polars(column, by_segment.parameter)
                  for action in ruleset.actions]
    lazy = frame.lazy()
    if ruleset.segments:
        lazy = lazy.with_columns(by_segment.column(column))
    per_account = [ind for ind in ruleset.indicators if ind.metric.per_account]
    if per_account:
        lazy = _map_per_account(lazy.with_columns(per_account_args), per_account, plan)
    lazy = lazy.with_columns(
        computed + [cond.alias(f"{_HIDDEN}act_{a.id}")
                    for a, cond in zip(ruleset.actions, conditions)])
    lazy = lazy.with_columns(pl.when(valid[ind.id]).then(pl.col(_result(ind))).alias(_raw(ind))
                             for ind in ruleset.indicators)
    lazy = lazy.with_columns([ind.normalizer.points(pl.col(_raw(ind)), by_segment.parameter)
                              .alias(_pts(ind)) for ind in ruleset.indicators])
    for ind in ruleset.indicators:
        if not ind.normalizer.always_scores:
            unscored = pl.when(pl.col(_pts(ind)).is_null()).then(pl.col(_raw(ind)))
            plan.problems.append(pl.format(
                clean(f"indicator '{ind.id}': the value {{}} gets no points from its normalizer "
                      f"({ind.normalizer.describe()}); it is left out"), unscored))
    query = _scores(ruleset, lazy, plan.problems, by_segment,
                    _identified(frame, ruleset.account_id))
    query.failures, query.nonfinite = plan.failures, nonfinite
    return query


def _one_per_account(value: pl.Expr) -> pl.Expr:
    """An input as a column of one value per account: a constant (a field missing from the
    input, an expression reading no field) repeated."""
    return value if value.meta.root_names() else pl.repeat(value, pl.len())


def _probe_frame(ruleset: Ruleset, frame: pl.DataFrame, by_segment: BySegment
                 ) -> pl.LazyFrame | None:
    """The first rows of the batch (null rows where it has fewer), with the segment column
    that inputs may read: where the plugins' vectorized metrics are tried (see :func:`_probe`);
    None when the ruleset has none."""
    if not any(_probed(indicator) for indicator in ruleset.indicators):
        return None
    rows = pl.concat([frame.head(_PROBE_ROWS), frame.clear(_PROBE_ROWS)]).head(_PROBE_ROWS)
    probe = rows.lazy()
    if ruleset.segments:
        def value(field: str, kind: str) -> pl.Expr:
            read = prepare(field, kind, frame.schema[field]) if field in frame.schema \
                else missing_field(field, kind)
            return read[0]
        probe = probe.with_columns(by_segment.column(value))
    return probe


def _probed(indicator: Indicator) -> bool:
    """Whether the indicator's metric is tried on a few rows before the batch: the vectorized
    metrics of plugins (the built-in ones are checked by the test suite)."""
    metric = indicator.metric
    return not metric.per_account and metric.plugin not in BUILTIN_PLUGINS


def _metric_value(indicator: Indicator, inputs: dict[str, pl.Expr], plan: _Plan
                  ) -> Computed | None:
    """A vectorized metric's result (as a float column) and its problems. A plugin's fault
    leaves the indicator null (None) while the rest still scores, or stops a strict run."""
    label = _metric_label(indicator)
    try:
        result = indicator.metric.compute(inputs, dict(indicator.params))
    except Exception as exc:
        return _metric_fault(indicator, f"failed: {type(exc).__name__}: {exc}", plan)
    if not isinstance(result, Computed):
        result = Computed(result)
    wrong = _not_an_expression(result)
    if wrong is not None:
        return _metric_fault(indicator, f"returned {wrong}, not a polars expression", plan)
    if plan.probe is not None and _probed(indicator):
        fault = _probe(_for_probe(indicator, inputs, result), plan.probe)
        if fault is not None:
            return _metric_fault(indicator, fault, plan)
    value = result.value.cast(pl.Float64)
    if plan.strict:  # checked once per batch, where polars computes the column
        value = value.map_batches(_finite_or_stop(label), return_dtype=pl.Float64)
    return Computed(value, result.invalid, result.problem)


def _for_probe(indicator: Indicator, inputs: dict[str, pl.Expr], result: Computed
               ) -> Computed:
    """The metric's result to try on the probe: where some inputs are constants (a field
    missing from the input, an expression reading no field), computed again with them as
    the columns they stand for, so that a metric that keeps one value per account passes. (The
    query itself keeps the constants, which polars computes far faster.)"""
    if all(column.meta.root_names() for column in inputs.values()):
        return result
    columns = {param: _one_per_account(column) for param, column in inputs.items()}
    try:
        again = indicator.metric.compute(columns, dict(indicator.params))
    except Exception:  # it did not raise with the constants: judge what it gave then
        return result
    again = again if isinstance(again, Computed) else Computed(again)
    return result if _not_an_expression(again) is not None else again


def _probe(result: Computed, probe: pl.LazyFrame) -> str | None:
    """What is wrong with the columns a metric gives, found by computing them on the probe's
    rows: polars would copy a single value (an aggregate such as ``sum()``, or a constant) to
    every account, and cast true/false or text of digits to numbers, without a word."""
    fault = _probe_column(result.value, probe, _wrong_type)
    if fault is None and isinstance(result.invalid, pl.Expr):
        fault = _probe_column(result.invalid, probe, _not_flags)
        return None if fault is None else f"returned a Computed whose invalid {fault}"
    return fault


def _probe_column(column: pl.Expr, probe: pl.LazyFrame,
                  wrong_type: Callable[[pl.DataType], str | None]) -> str | None:
    """What is wrong with ``column`` computed on the probe: its type (``wrong_type`` says),
    or a length other than the probe's."""
    try:
        tried = probe.select(column).collect()
    except Exception as exc:  # polars' errors, and those of a metric's own Python code
        return _failed_on_batch(exc)
    if tried.width != 1:
        return f"gave {tried.width} columns, not one"
    wrong = wrong_type(tried.to_series().dtype)
    if wrong is not None:
        return wrong
    if tried.height == 1:
        return ("gave one value for all the accounts (an aggregate such as sum() or mean(), "
                "or a constant), not one per account")
    if tried.height != _PROBE_ROWS:
        return _WRONG_LENGTH.removeprefix("it ")
    return None


def _not_flags(dtype: pl.DataType) -> str | None:
    """Why a :class:`Computed`'s ``invalid`` of ``dtype`` is not true/false, if it is not."""
    return None if dtype in (pl.Boolean, pl.Null) else f"gave {dtype}, not true/false"


def _wrong_type(dtype: pl.DataType) -> str | None:
    """Why a metric's column of ``dtype`` is not numbers, if it is not."""
    if dtype.is_numeric() or dtype == pl.Null:
        return None
    if dtype == pl.Boolean:
        return ("gave true/false values (Boolean), not numbers; a metric that means 1 and 0 "
                "says so with .cast(pl.Float64)")
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
        return f"gave text ({dtype}), not numbers; text is never read as a number"
    return f"gave values of type {dtype}, not numbers"


def _nonfinite_code(result: pl.Expr) -> pl.Expr:
    """Where a metric's result is NaN or infinite, which (an index of :data:`_NONFINITE`)."""
    return (pl.when(result.is_nan()).then(pl.lit(0, pl.UInt8))
            .when(result == math.inf).then(pl.lit(1, pl.UInt8))
            .when(result == -math.inf).then(pl.lit(2, pl.UInt8)))


def _not_an_expression(result: Computed) -> str | None:
    """What is wrong with the parts of a metric's result, shown briefly, if anything."""
    for part, allowed in ((result.value, (pl.Expr,)), (result.invalid, (pl.Expr, type(None))),
                          (result.problem, (pl.Expr, str, type(None)))):
        if not isinstance(part, allowed):
            return reprlib.repr(part)
    return None


def _metric_fault(indicator: Indicator, fault: str, plan: _Plan) -> None:
    """A metric that failed on the whole batch: its message on every account, and a failure
    of every account (or, strict, stop). ``fault`` says what happened, after the label."""
    label = _metric_label(indicator)
    if plan.strict:
        raise _stopped(f"{label} {fault}")
    plan.problems.append(pl.lit(clean(f"{label} {fault}; the indicator is left out")))
    if plan.accounts:
        plan.failures.append(MetricFailure(indicator.id, label, plan.accounts, plan.accounts,
                                           fault))


def _finite_or_stop(label: str) -> Callable[[pl.Series], pl.Series]:
    def check(values: pl.Series) -> pl.Series:
        wrong = values.filter(values.is_not_null() & values.is_finite().not_())
        if len(wrong):
            raise _stopped(f"{label} gave {wrong[0]} for {len(wrong):,} account"
                           f"{'s' if len(wrong) > 1 else ''}")
        return values
    return check


def _stopped(message: str) -> MetricError:
    return MetricError(f"{message}; the run stopped (strict mode)")


def _metric_label(indicator: Indicator) -> str:
    metric = indicator.metric
    return f"metric '{metric.name}' (plugin {metric.plugin}) of indicator '{indicator.id}'"


def _map_per_account(lazy: pl.LazyFrame, indicators: list[Indicator], plan: _Plan
                     ) -> pl.LazyFrame:
    """Run per-account metrics in Python over the prepared inputs (the slow path)."""
    prepared = lazy.collect()
    new_columns = []
    for indicator in indicators:
        values, problems = _per_account_values(indicator, prepared, plan)
        new_columns.append(pl.Series(_result(indicator), values, pl.Float64))
        new_columns.append(pl.Series(f"{_HIDDEN}err_{indicator.id}",
                                     [p if p is None else clean(p) for p in problems], pl.String))
        plan.problems.append(pl.col(f"{_HIDDEN}err_{indicator.id}"))
    return prepared.with_columns(new_columns).lazy()


def _per_account_values(indicator: Indicator, prepared: pl.DataFrame, plan: _Plan
                        ) -> tuple[list[float | None], list[str | None]]:
    """One per-account metric's value and problem for each account; its faults are counted
    in ``plan.failures`` (or, strict, stop the run)."""
    params = dict(indicator.params)
    columns = {item.param: prepared[_arg(indicator, item.param)].to_list()
               for item in indicator.inputs}
    label = _metric_label(indicator)
    values: list[float | None] = []
    problems: list[str | None] = []
    faults, first = 0, ""
    for row in range(prepared.height):
        account = {param: column[row] for param, column in columns.items()}
        value, fault, problem = _call_per_account(indicator, account, params)
        if fault is not None:
            if plan.strict:
                raise _stopped(f"{label} {fault}")
            faults, first = faults + 1, first or fault
            problem = f"{label} {fault}"
        values.append(value)
        problems.append(problem)
    if faults:
        plan.failures.append(MetricFailure(indicator.id, label, faults, plan.accounts, first))
    return values, problems


def _call_per_account(indicator: Indicator, account: dict[str, Any], params: dict[str, Any]
                      ) -> tuple[float | None, str | None, str | None]:
    """A per-account metric's value for one account, its fault (what went wrong, after its
    label) and the problem it reports with the account's data (a :class:`Computed` marked
    invalid)."""
    try:
        value = indicator.metric.compute(account, params)
    except Exception as exc:  # a plugin's fault stays on its account
        return None, f"raised {type(exc).__name__}: {exc}", None
    if isinstance(value, Computed):
        wrong = _not_plain(value)
        if wrong is not None:
            return None, wrong, None
        if value.invalid:
            return None, None, value.problem or (f"{_metric_label(indicator)}: this account's "
                                                 "data is not valid")
        value = value.value
    number, fault = _one_number(value)
    return number, fault, None


def _not_plain(result: Computed) -> str | None:
    """What is wrong with a per-account metric's :class:`Computed`, whose parts are Python
    values, if anything."""
    for part, value, allowed, wanted in (
            ("value", result.value, numbers.Real, "a number or None"),
            ("invalid", result.invalid, bool, "True, False or None"),
            ("problem", result.problem, str, "a text or None")):
        if value is not None and (not isinstance(value, allowed)
                                  or (part == "value" and isinstance(value, bool))):
            shown = "a polars expression" if isinstance(value, pl.Expr) else reprlib.repr(value)
            return f"returned a Computed whose {part} is {shown}, not {wanted}"
    return None


def _one_number(value: Any) -> tuple[float | None, str | None]:
    """A per-account metric's value as a float, or what is wrong with it."""
    if value is None:
        return None, None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None, f"returned {value!r:.60}, not a number"
    try:
        number = float(value)
    except OverflowError:  # an int beyond the range of floats
        number = math.inf
    if not math.isfinite(number):
        return None, f"gave {number}"
    return number, None


def _arg(indicator: Indicator, param: str) -> str:
    return f"{_HIDDEN}arg_{indicator.id}_{param}"


def _result(indicator: Indicator) -> str:
    return f"{_HIDDEN}result_{indicator.id}"


def _raw(indicator: Indicator) -> str:
    return f"{_HIDDEN}raw_{indicator.id}"


def _pts(indicator: Indicator) -> str:
    return f"{_HIDDEN}pts_{indicator.id}"


def _scores(ruleset: Ruleset, lazy: pl.LazyFrame, problems: list[pl.Expr],
            by_segment: BySegment, identified: pl.Expr) -> _Query:
    """The score columns of the query; ``identified`` says which accounts have an id."""
    indicators = ruleset.indicators
    counted, effective = {}, {}
    for ind in indicators:
        points = pl.col(_pts(ind))
        if ind.missing == "zero":
            counted[ind.id] = pl.lit(True)
            effective[ind.id] = points.fill_null(0.0)
        else:
            counted[ind.id] = points.is_not_null()
            effective[ind.id] = points
    weights = {i.id: by_segment.weight(i.id, i.weight) for i in indicators}
    weights.update({g.id: by_segment.weight(g.id, g.weight) for g in ruleset.groups})
    lazy, base, shares, group_columns = _weighting(ruleset, lazy, counted, effective, weights)
    fired = {a.id: pl.col(f"{_HIDDEN}act_{a.id}") for a in ruleset.actions}
    adjustment = pl.sum_horizontal(
        [pl.when(fired[a.id]).then(a.points).otherwise(0.0) for a in ruleset.actions]
        or [pl.lit(0.0)])
    account_id = pl.col(ruleset.account_id)
    den = pl.col(f"{_HIDDEN}den")
    refusals = [(identified.not_(), f"the account has no '{ruleset.account_id}'")]
    refusals += [(pl.col(_pts(i)).is_null(),
                  f"indicator '{i.id}' has no value and its missing policy is 'error'")
                 for i in indicators if i.missing == "error"]
    refusals.append((den == 0, "no indicator has a value for this account, so it has no score"))
    refused = pl.any_horizontal([condition for condition, _ in refusals])
    lazy = lazy.with_columns(
        pl.when(refused.not_()).then((base + adjustment).clip(0.0, 100.0))
        .alias(f"{_HIDDEN}score"))
    score = pl.col(f"{_HIDDEN}score")
    tier, color = _tiers(ruleset, score, by_segment)
    core: list[pl.Expr] = [
        account_id.alias("account_id"),
        pl.when(score.is_not_null()).then(pl.lit("ok")).otherwise(pl.lit("error"))
        .alias("status"),
        score.alias("score"), tier.alias("tier"), color.alias("color")]
    if ruleset.segments:
        core.append(by_segment.segment.alias("segment"))
    costs = []
    for ind in indicators:
        share = shares[ind.id]
        core += [pl.col(_raw(ind)).alias(f"{ind.id}.value"),
                 effective[ind.id].alias(f"{ind.id}.points"),
                 _column(weights[ind.id]).alias(f"{ind.id}.weight"),
                 (share * effective[ind.id]).alias(f"{ind.id}.contribution")]
        costs.append(IndicatorCost(share * (100.0 - effective[ind.id]), f"{ind.label} cost "))
    core += group_columns
    reasons = [ActionReason(fired[a.id], a.points, by_segment.reason(a))
               for a in ruleset.actions if a.points < 0]

    def explanation() -> tuple[pl.LazyFrame, list[pl.Expr]]:
        explained, ranked = ranked_reasons(lazy, costs, reasons, ruleset.top_reasons,
                                           score.is_not_null())
        actions = text_list([pl.when(fired[a.id]).then(pl.lit(clean(a.id)))
                             for a in ruleset.actions],
                            pl.any_horizontal(list(fired.values())) if fired else None)
        errors = text_list([*problems, *(pl.when(condition).then(pl.lit(clean(message)))
                                         for condition, message in refusals)])
        return explained, [actions.alias("actions"), ranked.alias("reasons"),
                           errors.alias("errors")]

    return _Query(lazy, core, explanation)


def _column(value: float | pl.Expr) -> pl.Expr:
    return value if isinstance(value, pl.Expr) else pl.lit(value)


def _weighting(ruleset: Ruleset, lazy: pl.LazyFrame, counted: dict[str, pl.Expr],
               effective: dict[str, pl.Expr], weights: dict[str, float | pl.Expr]
               ) -> tuple[pl.LazyFrame, pl.Expr, dict[str, pl.Expr], list[pl.Expr]]:
    """The weighted base score, each indicator's share of it (its contribution is share x
    points) and the groups' output columns; adds the denominator column ``den`` (0: no score).
    ``weights`` are numbers, or columns where segments change them.
    """
    den = pl.col(f"{_HIDDEN}den")
    indicators = ruleset.indicators
    if not ruleset.groups:
        lazy = lazy.with_columns(pl.sum_horizontal(
            [pl.when(counted[i.id]).then(weights[i.id]).otherwise(0.0) for i in indicators]
        ).alias(den.meta.output_name()))
        numerator = pl.sum_horizontal([(effective[i.id] * weights[i.id]).fill_null(0.0)
                                       for i in indicators])
        shares = {i.id: pl.when(counted[i.id] & (den > 0)).then(weights[i.id] / den)
                  for i in indicators}  # no share (not NaN) when no weight counts
        return lazy, numerator / den, shares, []
    by_id = {i.id: i for i in indicators}
    group_points, group_den, stage = {}, {}, []
    for group in ruleset.groups:
        members = [by_id[m] for m in group.members]
        group_points[group.id] = pl.col(f"{_HIDDEN}group_{group.id}")
        if group.combine == "mean":
            group_den[group.id] = pl.col(f"{_HIDDEN}group_den_{group.id}")
            total_weight = pl.sum_horizontal(
                [pl.when(counted[m.id]).then(weights[m.id]).otherwise(0.0) for m in members])
            total = pl.sum_horizontal([(effective[m.id] * weights[m.id]).fill_null(0.0)
                                       for m in members])
            stage += [total_weight.alias(f"{_HIDDEN}group_den_{group.id}"),
                      pl.when(total_weight > 0).then(total / total_weight)
                      .alias(f"{_HIDDEN}group_{group.id}")]
        else:
            combine = pl.min_horizontal if group.combine == "min" else pl.max_horizontal
            stage.append(combine([pl.when(counted[m.id] & (_column(weights[m.id]) > 0))
                                  .then(effective[m.id]) for m in members])
                         .alias(f"{_HIDDEN}group_{group.id}"))
    lazy = lazy.with_columns(stage).with_columns(pl.sum_horizontal(
        [pl.when(group_points[g.id].is_not_null()).then(weights[g.id]).otherwise(0.0)
         for g in ruleset.groups]).alias(den.meta.output_name()))
    base = pl.sum_horizontal([(group_points[g.id] * weights[g.id]).fill_null(0.0)
                              for g in ruleset.groups]) / den
    shares: dict[str, pl.Expr] = {}
    columns: list[pl.Expr] = []
    for group in ruleset.groups:
        points = group_points[group.id]
        share = pl.when(points.is_not_null() & (den > 0)).then(weights[group.id] / den)
        members = [by_id[m] for m in group.members]
        decided = pl.lit(False)
        for member in members:
            if group.combine == "mean":
                shares[member.id] = pl.when(counted[member.id]).then(
                    share * weights[member.id] / group_den[group.id])
                continue
            # min or max: the first member at the group's points carries the group's share
            decides = (counted[member.id] & (effective[member.id] == points)
                       & (_column(weights[member.id]) > 0) & decided.not_())
            shares[member.id] = (pl.when(decides).then(share)
                                 .when(counted[member.id]).then(0.0))
            decided = decided | decides
        columns += [points.alias(f"{group.id}.points"),
                    _column(weights[group.id]).alias(f"{group.id}.weight"),
                    (share * points).alias(f"{group.id}.contribution")]
    return lazy, base, shares, columns


def _tiers(ruleset: Ruleset, score: pl.Expr, by_segment: BySegment
           ) -> tuple[pl.Expr, pl.Expr]:
    if ruleset.tier_mode == "percentile":
        ranked = pl.when(pl.col(_RANKED)).then(score)  # churned accounts are not ranked
        lower = ranked.rank("min") - 1  # ranked accounts with a strictly lower score
        scored = ranked.count()
        tests = [lower.cast(pl.Float64) * 100.0
                 >= by_segment.threshold(tier) * scored.cast(pl.Float64)
                 for tier in ruleset.tiers]
    else:
        tests = [score >= by_segment.threshold(tier) for tier in ruleset.tiers]
    tier_chain: Any = pl
    color_chain: Any = pl
    for tier, test in zip(ruleset.tiers, tests):
        tier_chain = tier_chain.when(test).then(pl.lit(tier.name))
        color_chain = color_chain.when(test).then(pl.lit(tier.color, pl.String))
    return tier_chain.otherwise(None), color_chain.otherwise(None)
