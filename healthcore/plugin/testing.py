"""A kit for testing healthcore plugins, through the real machinery.

Plugin authors check three things about each metric: that healthcore finds it (through its entry
point once the distribution is installed, or as a module during development), that its
parameter schema accepts and rejects what it should with the messages ruleset authors will read,
and that it computes the expected raw values on given accounts. :class:`MetricKit` does all three
through the same code that scores real rulesets: its values come from a one-indicator ruleset
loaded by :func:`healthcore.loads_ruleset` and scored by the engine, so a test passes only if
the metric really works in a ruleset. :func:`check_function` does the same for an expression
function: both implementations, through a real parsed expression, must agree.

The helpers raise :class:`AssertionError` with a message saying what differs, so they work in
pytest (or any test runner) without extra set-up::

    from healthcore.plugin.testing import MetricKit

    def test_dunning_stage():
        kit = MetricKit("dunning_stage", entry_point="billing")
        kit.accepts({"stages": [0, 30]})
        kit.rejects({"stages": []}, "params.stages: [] should be non-empty")
        kit.assert_values([{"days_invoice_overdue": 0}, {"days_invoice_overdue": 45}], [0, 3])
"""

from __future__ import annotations

import json
import math
import re
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from healthcore.errors import Diagnostic, RulesetError, format_path
from healthcore.ruleset import loads_ruleset
from healthcore.plugin.metric import Metric
from healthcore.plugin.registry import Registry, load_registry
from healthcore.engine import score

if TYPE_CHECKING:
    import polars as pl

    from healthcore.plugin.functions import ExpressionFunction
    from healthcore.engine.results import Results
    from healthcore.ruleset import Ruleset

__all__ = ["INDICATOR", "MetricKit", "check_function", "plugin_registry"]

INDICATOR = "under_test"
"""The id of the one indicator of the rulesets the kit builds."""

_PARAMS_PATH = ("indicators", 0, "params")


def plugin_registry(*, module: str | None = None, entry_point: str | None = None,
                    allow_problems: bool = False) -> Registry:
    """The registry healthcore would use, with the plugin under test loaded.

    ``module``: load this importable module as a plugin (as ``--plugin`` does), with the
    installed entry points disabled, so that the test does not depend on what else is installed.
    ``entry_point``: load the installed plugins and check that one named ``entry_point`` came
    through the ``healthcore`` entry-point group. Without either: the built-in plugins only.
    Unless ``allow_problems``, a plugin problem (a plugin that failed to load, an invalid
    metric, a name registered twice) fails the check; with ``entry_point``, only the problems
    that name that plugin do, so that another broken plugin installed in the same environment
    does not fail its tests.
    """
    if module is not None and entry_point is not None:
        raise ValueError("give module or entry_point, not both")
    if entry_point is not None:
        registry = load_registry(entry_point_plugins=True)
        sources = {plugin.name: plugin.source for plugin in registry.plugins}
        if sources.get(entry_point) != "entry point":
            problems = [p for p in registry.problems if f"'{entry_point}'" in p]
            found = ", ".join(sorted(n for n, s in sources.items() if s == "entry point"))
            raise AssertionError(
                f"no plugin '{entry_point}' was loaded from the 'healthcore' entry-point group "
                f"(entry-point plugins loaded: {found or 'none'})"
                + (f"; problems: {'; '.join(problems)}" if problems else
                   "; is the distribution installed (pip install -e .)?"))
    else:
        registry = load_registry([module] if module else [], entry_point_plugins=False)
    registry.check_parameter_schemas()
    problems = registry.problems
    if entry_point is not None:  # another broken plugin installed next to it is not its fault
        named = re.compile(rf"(?<![\w.-]){re.escape(entry_point)}(?![\w.-])")
        problems = [problem for problem in problems if named.search(problem)]
    if problems and not allow_problems:
        raise AssertionError("plugin problems: " + "; ".join(problems))
    return registry


class MetricKit:
    """Checks of one metric, as registered by a plugin.

    ``MetricKit(name, module=...)`` or ``MetricKit(name, entry_point=...)`` finds the metric the
    way :func:`plugin_registry` loads plugins, and checks that it was registered by that plugin;
    or give a ``registry`` already loaded. ``params`` are the parameters used when a check is
    not given its own (for metrics with required parameters).
    """

    def __init__(self, name: str, *, module: str | None = None,
                 entry_point: str | None = None, registry: Registry | None = None,
                 params: Mapping[str, Any] | None = None):
        if registry is None:
            registry = plugin_registry(module=module, entry_point=entry_point)
        self.registry = registry
        self.name = name
        self.params = dict(params) if params is not None else None
        metric = registry.metrics.get(name)
        if metric is None:
            from healthcore.errors import did_you_mean

            owners = registry.conflicts.get(name)
            plugin = module or entry_point
            mine = sorted(m.name for m in registry.metrics.values() if m.plugin == plugin)
            raise AssertionError(
                f"metric '{name}' is registered by several plugins ({', '.join(owners)})"
                if owners else
                f"no metric '{name}'{did_you_mean(name, registry.metrics)}"
                + (f"; plugin '{plugin}' registers: {', '.join(mine) or 'nothing'}"
                   if plugin else ""))
        expected = module or entry_point
        if expected is not None and metric.plugin != expected:
            raise AssertionError(f"metric '{name}' is registered by plugin '{metric.plugin}', "
                                 f"not by '{expected}'")
        self.metric: Metric = metric

    # -- the parameter schema -------------------------------------------------------------------

    def ruleset_text(self, params: Mapping[str, Any] | None = None) -> str:
        """The one-indicator ruleset the checks load: the metric with ``params``, a linear
        normalizer from 0 to 1, weight 1, ``missing: zero`` and one tier from 0."""
        indicator: dict[str, Any] = {"id": INDICATOR, "metric": self.name}
        params = self.params if params is None else params
        if params is not None:
            indicator["params"] = json.loads(json.dumps(params))  # tuples -> lists, a copy
        # missing: zero, so that an account without a value is still scored (0 points) and
        # its errors hold only what concerns the metric
        indicator.update({"normalize": {"linear": {"worst": 0, "best": 1}}, "weight": 1,
                          "missing": "zero"})
        document = {"healthcore": 1, "name": "healthcore-testing", "account_id": "account_id",
                    "indicators": [indicator], "tiers": [{"name": "any", "min": 0}]}
        return json.dumps(document, indent=2) + "\n"  # JSON is YAML

    def ruleset(self, params: Mapping[str, Any] | None = None) -> "Ruleset":
        """The one-indicator ruleset, loaded (raises :class:`RulesetError` if ``params`` are
        refused)."""
        return loads_ruleset(self.ruleset_text(params), f"<{self.name} test>",
                             registry=self.registry)

    def problems(self, params: Mapping[str, Any] | None = None) -> list[str]:
        """healthcore's messages about ``params``, as ruleset authors read them after the
        indicator's position (``params.stages: [] should be non-empty``); [] if accepted."""
        try:
            self.ruleset(params)
        except RulesetError as exc:
            return [_relative(diagnostic) for diagnostic in exc.diagnostics]
        return []

    def accepts(self, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Check that ``params`` are accepted; return them with the defaults filled in (what
        ``compute`` receives)."""
        problems = self.problems(params)
        if problems:
            raise AssertionError(f"metric '{self.name}' refuses {params!r}: "
                                 + "; ".join(problems))
        return self.metric.with_defaults(self.params if params is None else params)

    def rejects(self, params: Mapping[str, Any] | None, *messages: str) -> list[str]:
        """Check that ``params`` are refused, with exactly ``messages`` (all of them, in
        healthcore's order) when given; return the messages."""
        problems = self.problems(params)
        if not problems:
            raise AssertionError(f"metric '{self.name}' accepts {params!r}")
        if messages and list(messages) != problems:
            raise AssertionError(f"metric '{self.name}' refuses {params!r} with:\n  "
                                 + "\n  ".join(problems) + "\nnot with:\n  "
                                 + "\n  ".join(messages))
        return problems

    # -- computing -------------------------------------------------------------------------------

    def results(self, accounts: "Iterable[Mapping[str, Any]] | pl.DataFrame",
                params: Mapping[str, Any] | None = None) -> "Results":
        """Score ``accounts`` (dicts or a polars DataFrame; ``account_id`` is added when absent)
        with the one-indicator ruleset."""
        return score(self.ruleset(params), _with_ids(accounts))

    def records(self, accounts: "Iterable[Mapping[str, Any]] | pl.DataFrame",
                params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """The results of :meth:`results` as ``Results.to_records()`` gives them."""
        return self.results(accounts, params).to_records()

    def faults(self, accounts: "Iterable[Mapping[str, Any]] | pl.DataFrame",
               params: Mapping[str, Any] | None = None) -> list[str]:
        """The warnings healthcore gives when the metric fails for some of ``accounts`` (it
        raises, or does not give one finite number or None per account): [] when it does
        not."""
        return [str(failure) for failure in self.results(accounts, params).failures]

    def values(self, accounts: "Iterable[Mapping[str, Any]] | pl.DataFrame",
               params: Mapping[str, Any] | None = None) -> list[float | None]:
        """The metric's raw value for each account, in order (None where it has none); fails
        if the metric fails for every account."""
        return [record["indicators"][INDICATOR]["value"]
                for record in self._working(accounts, params)]

    def _working(self, accounts: "Iterable[Mapping[str, Any]] | pl.DataFrame",
                 params: Mapping[str, Any] | None) -> list[dict[str, Any]]:
        """The records of ``accounts``, after checking that the metric did not fail for every
        one of them (a broken metric, whose missing values no test should take for results)."""
        results = self.results(accounts, params)
        for failure in results.failures:
            if failure.accounts == failure.total:
                raise AssertionError(str(failure))
        return results.to_records()

    def errors(self, accounts: "Iterable[Mapping[str, Any]] | pl.DataFrame",
               params: Mapping[str, Any] | None = None) -> list[list[str]]:
        """The problems reported on each account (bad input values, the metric's own
        ``Computed`` problems, a per-account metric that raised), in order."""
        return [record["errors"] for record in self.records(accounts, params)]

    def assert_values(self, accounts: "Iterable[Mapping[str, Any]] | pl.DataFrame",
                      expected: Sequence[float | None],
                      params: Mapping[str, Any] | None = None, *,
                      abs_tol: float = 1e-9) -> list[float | None]:
        """Check the raw values of ``accounts`` against ``expected`` (None: no value), to
        within ``abs_tol``, and that the metric does not fail for every account; return the
        values."""
        records = self._working(accounts, params)
        values = [record["indicators"][INDICATOR]["value"] for record in records]
        if len(values) != len(expected) or not all(
                _same(value, want, abs_tol) for value, want in zip(values, expected)):
            lines = [f"  account {r['account_id']}: {v!r}, expected {w!r}"
                     + (f" (errors: {'; '.join(r['errors'])})" if r["errors"] else "")
                     for r, v, w in zip(records, values, expected) if not _same(v, w, abs_tol)]
            if len(values) != len(expected):
                lines.append(f"  {len(values)} values for {len(expected)} expected")
            raise AssertionError(f"metric '{self.name}' computed {values!r}:\n"
                                 + "\n".join(lines))
        return values


def check_function(name: str, rows: Iterable[Sequence[Any]], *,
                   registry: Registry | None = None, module: str | None = None,
                   entry_point: str | None = None) -> list[Any]:
    """Call the expression function ``name`` on each row of arguments, through a parsed
    expression both ways (a batch over a polars column, and the scalar path used to explain
    one account); check that both give the same result; return the results.

    Arguments from the function's ``literal_from`` on are written into the expression.
    """
    import polars as pl

    from healthcore.ruleset.expressions import parse

    registry = registry or plugin_registry(module=module, entry_point=entry_point)
    function: ExpressionFunction | None = registry.functions.get(name)
    if function is None:
        raise AssertionError(f"no expression function '{name}'")
    results = []
    for row in rows:
        row = tuple(row)
        literal_from = len(row) if function.literal_from is None else function.literal_from
        names = [f"arg{i}" for i in range(min(literal_from, len(row)))]
        literals = [repr(float(v)) for v in row[len(names):]]
        source = f"{name}({', '.join(names + literals)})"
        want = function.returns
        if want == "any":  # as the context of a real expression would decide
            known = [v for v in row if v is not None]
            want = _kind(known[0]) if known else "number"
        expression = parse(source, registry.functions, {}, want=want)
        values = dict(zip(names, row[:len(names)]))
        kinds = expression.fields
        frame = pl.DataFrame({n: pl.Series(n, [values[n]], dtype=_dtype(kinds.get(n), values[n]))
                              for n in names}) if names else pl.DataFrame({"_": [0]})
        batch = frame.select(expression.to_polars(lambda n, kind: pl.col(n)).alias("r"))
        batch_value = batch["r"][0] if batch.height else None
        scalar_value = expression.evaluate(values)
        if not _same(batch_value, scalar_value, 0.0):
            raise AssertionError(f"{source} with {values!r}: the batch implementation gives "
                                 f"{batch_value!r}, the scalar one {scalar_value!r}")
        results.append(scalar_value)
    return results


def _kind(value: Any) -> str:
    return "boolean" if isinstance(value, bool) else "text" if isinstance(value, str) else \
        "number"


def _dtype(kind: str | None, value: Any):
    import polars as pl

    by_kind = {"number": pl.Float64, "text": pl.String, "boolean": pl.Boolean}
    return by_kind.get(kind or "", by_kind[_kind(value)])


def _relative(diagnostic: Diagnostic) -> str:
    """A diagnostic's path and message, the path starting at ``params`` when it is inside the
    indicator's parameters."""
    path = tuple(diagnostic.path)
    if path[:len(_PARAMS_PATH)] == _PARAMS_PATH:
        path = ("params",) + path[len(_PARAMS_PATH):]
    return f"{format_path(path)}: {diagnostic.message}"


def _with_ids(accounts: Any) -> Any:
    if hasattr(accounts, "columns") and hasattr(accounts, "with_columns"):
        if "account_id" in accounts.columns:
            return accounts
        import polars as pl

        return accounts.with_columns(
            pl.Series("account_id", [str(i + 1) for i in range(accounts.height)]))
    rows = [dict(account) for account in accounts]
    for number, row in enumerate(rows, 1):
        row.setdefault("account_id", str(number))
    return rows


def _same(value: Any, expected: Any, abs_tol: float) -> bool:
    if value is None or expected is None:
        return value is None and expected is None
    if isinstance(value, (int, float)) and isinstance(expected, (int, float)) and \
            not isinstance(value, bool) and not isinstance(expected, bool):
        if math.isnan(value) or math.isnan(expected):
            return math.isnan(value) and math.isnan(expected)
        return math.isclose(value, expected, rel_tol=0.0, abs_tol=abs_tol)
    return value == expected
