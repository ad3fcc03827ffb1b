"""Loading a ruleset: safe YAML, JSON Schema, then the checks a schema cannot express.

Every problem becomes a :class:`~healthcore.errors.Diagnostic` with file, line, column and path;
all problems of a file are raised together in one :class:`~healthcore.errors.RulesetError`.
"""

from __future__ import annotations

import math
import string
from pathlib import Path
from typing import Any, Mapping

from healthcore.ruleset import expressions
from healthcore.errors import Diagnostic, DocPath, RulesetError, format_path
from healthcore.plugin.functions import Kind
from healthcore.ruleset.expressions import Expression, ExpressionError
from healthcore.ruleset.normalizers import Band, Bands, ExpressionNormalizer, Linear, Normalizer, Target
from healthcore.plugin.registry import Registry, default_registry
from healthcore.ruleset.model import (DEFAULT_SEGMENT, Action, AlertRule, Group, Indicator, Input, Ruleset,
                      Segment, Tier)
from healthcore.ruleset.schema import ruleset_schema, validate
from healthcore.errors import did_you_mean
from healthcore.ruleset.source import SourceMap, load_yaml, read_text

MAX_REASON = 1000
"""The most characters a reason may have once its placeholders are filled in."""
Pieces = list[tuple[str, str | None]]
"""A reason split at its placeholders: (text, then the parameter named or None)."""

_FIELD_KINDS: dict[str, str] = {"number": "number", "count": "number", "numbers": "numbers",
                                "text": "text", "boolean": "boolean"}


def load_ruleset(path: str | Path, *, registry: Registry | None = None) -> Ruleset:
    """Read, validate and compile the ruleset file at ``path``.

    Raises :class:`~healthcore.errors.RulesetError` listing every problem found.
    """
    return loads_ruleset(read_text(path), str(path), registry=registry)


def loads_ruleset(text: str, file: str = "<ruleset>", *,
                  registry: Registry | None = None) -> Ruleset:
    """Like :func:`load_ruleset`, from the text of a ruleset."""
    data, source = load_yaml(text, file)
    compiler = _Compiler(data, source, text, registry or default_registry())
    return compiler.compile()


class _Compiler:
    def __init__(self, data: Any, source: SourceMap, text: str, registry: Registry):
        self.data = data
        self.source = source
        self.lines = text.splitlines()
        self.text = text
        self.registry = registry
        self.problems: list[Diagnostic] = []
        self.expression_sites: list[tuple[DocPath, str, Kind, Mapping[str, Kind] | None]] = []
        self.reason_pieces: dict[str, tuple[int, Pieces]] = {}
        self.history_sites: list[tuple[DocPath, Expression]] = []

    # -- helpers --------------------------------------------------------------------------

    def problem(self, path: DocPath, message: str, *, key: bool = False,
                code: str = "invalid") -> None:
        self.problems.append(self.source.diagnostic(path, message, key=key, code=code))

    def reported(self, path: DocPath) -> bool:
        """Whether a problem in ``path`` is reported already (by the schema): the checks of
        what is not shaped as the schema says stop there."""
        return any(problem.path[:len(path)] == path for problem in self.problems)

    def expression_problem(self, path: DocPath, error: ExpressionError) -> None:
        line, column = self.source.locate(path)
        if line is not None and column is not None and error.column:
            text_line = self.lines[line - 1] if line <= len(self.lines) else ""
            start = column - 1
            quoted = start < len(text_line) and text_line[start] in "'\""
            block = start < len(text_line) and text_line[start] in "|>"
            if not block:
                column = column + (1 if quoted else 0) + error.column - 1
        self.problems.append(Diagnostic(str(error), self.source.file, line, column,
                                        tuple(path), "expression"))

    def parse(self, path: DocPath, text: Any, want: Kind,
              bound: Mapping[str, Kind] | None = None, *, reads_fields: bool = True
              ) -> Expression | None:
        if not isinstance(text, str) or not text.strip() or len(text) > expressions.MAX_LENGTH:
            return None  # the schema has reported it
        try:
            expression = expressions.parse(text, self.registry.functions, self.parameters,
                                           want=want, extra_names=bound)
        except ExpressionError as error:
            self.expression_problem(path, error)
            return None
        # re-checked with each segment's parameters (a failing one is reported once, here)
        self.expression_sites.append((path, text, want, bound))
        if reads_fields:
            self.check_names(path, expression)
        elif expression.history:
            self.problem(path, "previous(...) reads the score history, which a normalizer "
                               "cannot: use it in the indicator's expression or an action",
                         code="history")
            return None
        if expression.history:
            self.history_sites.append((path, expression))
        return expression

    def check_history_references(self, indicators: list[Indicator]) -> None:
        """Each ``previous(NAME)`` names the score, the tier or an indicator."""
        known = ["score", "tier", *(indicator.id for indicator in indicators)]
        for path, expression in self.history_sites:
            for reference, _ in expression.history.values():
                if reference not in known:
                    self.problem(path, f"previous({reference}): '{reference}' is not recorded "
                                       f"in the history{did_you_mean(reference, known)}; "
                                       "look back at score, tier or an indicator id",
                                 code="unknown-name")

    def check_names(self, path: DocPath, expression: Expression) -> None:
        for name, kind in expression.fields.items():
            if name in expression.constants:
                continue
            if self.declared is not None:
                declared = self.declared.get(name)
                if declared is None:
                    hint = did_you_mean(name, [*self.declared, *self.parameters])
                    self.problem(path, f"'{name}' is neither a declared field nor a parameter"
                                       f"{hint}", code="unknown-name")
                elif kind not in ("any", declared):
                    self.problem(path, f"'{name}' is declared as {declared} but used as {kind}",
                                 code="type")

    # -- compile ---------------------------------------------------------------------------

    def compile(self) -> Ruleset:
        data = self.data
        if not isinstance(data, dict):
            raise RulesetError([self.source.diagnostic((), "a ruleset is a mapping of keys "
                                                       "such as 'healthcore', 'name', "
                                                       "'indicators' and 'tiers'")])
        self.problems.extend(validate(data, ruleset_schema(), self.source))
        parameters = data.get("parameters")
        self.parameters: dict[str, Any] = parameters if isinstance(parameters, dict) else {}
        fields = data.get("fields")
        self.declared: dict[str, Kind] | None = fields if isinstance(fields, dict) else None
        if self.declared is not None:
            for name in sorted(set(self.declared) & set(self.parameters)):
                self.problem(("fields", name), f"'{name}' is both a field and a parameter; "
                                               "rename one of them", key=True, code="ambiguous")
        default_missing = data.get("missing", "renormalize")
        indicators = self.indicators(_items(data.get("indicators")), default_missing)
        groups = self.groups(_items(data.get("groups")), "groups" in data,
                             _items(data.get("indicators")))
        actions = self.actions(_items(data.get("actions")))
        tiers, mode = self.tiers(_items(data.get("tiers")))
        segments = self.segments(_items(data.get("segments")), indicators, groups, tiers)
        self.check_history_references(indicators)
        alerts = self.alerts(_items(data.get("alerts")), indicators, tiers)
        if self.problems:
            raise RulesetError(_unique(self.problems))
        explain = data.get("explain") or {}
        return Ruleset(
            name=data["name"], description=data.get("description", ""),
            account_id=data.get("account_id", "account_id"), parameters=self.parameters,
            indicators=tuple(indicators), actions=tuple(actions), tiers=tuple(tiers),
            tier_mode=mode, top_reasons=explain.get("top", 3), groups=tuple(groups),
            segments=tuple(segments), alerts=tuple(alerts),
            declared_fields=self.declared, source=self.source.file, text=self.text)

    def indicators(self, items: list[tuple[int, Any]], default_missing: str) -> list[Indicator]:
        compiled: list[Indicator] = []
        seen: dict[str, int] = {}
        for index, item in items:
            path: DocPath = ("indicators", index)
            ident = item.get("id")
            if isinstance(ident, str):
                if ident in seen:
                    self.problem(path + ("id",), f"the id '{ident}' is already used by "
                                                 f"indicators[{seen[ident]}]", code="duplicate-id")
                seen.setdefault(ident, index)
            metric = self.metric(path, item.get("metric"))
            params = item.get("params", {})
            inputs: list[Input] = []
            if metric is not None and isinstance(params, dict):
                schema_problems = validate(params, dict(metric.parameters), self.source,
                                           path + ("params",))
                self.problems.extend(schema_problems)
                if not schema_problems:
                    params = metric.with_defaults(params)
                    inputs = self.inputs(path + ("params",), metric.inputs, params)
            normalizer = self.normalizer(path + ("normalize",), item.get("normalize"))
            weight = item.get("weight")
            if None in (metric, normalizer) or not isinstance(ident, str) or \
                    not _is_number(weight):
                continue
            compiled.append(Indicator(
                id=ident, label=str(item.get("label") or ident), metric=metric,
                params=params, inputs=tuple(inputs), normalizer=normalizer,
                weight=float(weight), missing=item.get("missing", default_missing),
                description=str(item.get("description", "")), group=item.get("group")))
        weights = [item.get("weight") for _, item in items]
        if items and all(_is_number(w) and w == 0 for w in weights):
            self.problem(("indicators",), "every indicator has weight 0, so no account can be "
                                          "scored; give at least one a positive weight",
                         code="zero-weights")
        return compiled

    def groups(self, items: list[tuple[int, Any]], declared: bool,
               indicators: list[tuple[int, Any]]) -> list[Group]:
        """The groups, each with its members; every indicator in exactly one declared group."""
        indicator_ids = {item.get("id") for _, item in indicators
                         if isinstance(item.get("id"), str)}
        seen: dict[str, int] = {}
        for index, item in items:
            ident = item.get("id")
            if not isinstance(ident, str):
                continue
            if ident in seen:
                self.problem(("groups", index, "id"), f"the id '{ident}' is already used by "
                                                      f"groups[{seen[ident]}]",
                             code="duplicate-id")
            elif ident in indicator_ids:
                self.problem(("groups", index, "id"), f"'{ident}' is the id of an indicator "
                                                      "too; give the group another id",
                             code="duplicate-id")
            seen.setdefault(ident, index)
        members: dict[str, list[str]] = {ident: [] for ident in seen}
        for index, item in indicators:
            group = item.get("group")
            if group is None:
                if declared:
                    self.problem(("indicators", index), "this indicator needs a 'group' "
                                                        "since the ruleset declares groups "
                                                        f"(one of: {', '.join(seen)})",
                                 code="group")
                continue
            if not isinstance(group, str):
                continue
            if group not in members:
                hint = did_you_mean(group, members) if declared else (
                    " (declare it under 'groups')")
                self.problem(("indicators", index, "group"), f"unknown group '{group}'{hint}",
                             code="group")
                continue
            if isinstance(item.get("id"), str):
                members[group].append(item["id"])
        compiled = []
        for index, item in items:
            ident, weight = item.get("id"), item.get("weight")
            if not isinstance(ident, str) or not _is_number(weight) or seen.get(ident) != index:
                continue
            if not members[ident]:
                self.problem(("groups", index), f"the group '{ident}' has no indicators",
                             code="group")
            compiled.append(Group(ident, str(item.get("label") or ident), float(weight),
                                  item.get("combine", "mean"), tuple(members[ident])))
        if items and all(_is_number(i.get("weight")) and i.get("weight") == 0
                         for _, i in items):
            self.problem(("groups",), "every group has weight 0, so no account can be scored; "
                                      "give at least one a positive weight",
                         code="zero-weights")
        return compiled

    def segments(self, items: list[tuple[int, Any]], indicators: list[Indicator],
                 groups: list[Group], tiers: list[Tier]) -> list[Segment]:
        """The segments; each one's overrides are checked as if the ruleset had them."""
        compiled = []
        seen: dict[str, int] = {}
        weighted = {i.id: i.weight for i in (groups or indicators)}
        others = {i.id for i in indicators} | {g.id for g in groups}
        for index, item in items:
            path: DocPath = ("segments", index)
            if self.reported(path):
                continue
            ident = item.get("id")
            if ident == DEFAULT_SEGMENT:
                self.problem(path + ("id",), f"'{DEFAULT_SEGMENT}' is the segment of accounts "
                                             "no segment matches; give this one another id",
                             code="duplicate-id")
            elif isinstance(ident, str) and ident in seen:
                self.problem(path + ("id",), f"the id '{ident}' is already used by "
                                             f"segments[{seen[ident]}]", code="duplicate-id")
            if isinstance(ident, str):
                seen.setdefault(ident, index)
            condition = self.parse(path + ("when",), item.get("when"), "boolean")
            weights = item.get("weights") or {}
            for key in weights:
                if key not in others:
                    self.problem(path + ("weights", key), f"'{key}' is neither an indicator nor "
                                                          f"a group{did_you_mean(key, others)}",
                                 key=True, code="unknown-name")
            parameters = self.segment_parameters(path, item.get("parameters") or {})
            thresholds = self.segment_thresholds(path, item.get("tiers") or {}, tiers)
            top = {k: v for k, v in weights.items() if k in weighted}
            if weighted and all({**weighted, **top}[k] == 0 for k in weighted):
                self.problem(path + ("weights",), "with these weights every "
                                                  f"{'group' if groups else 'indicator'} has "
                                                  "weight 0, so no account of the segment can "
                                                  "be scored", code="zero-weights")
            if condition is None or not isinstance(ident, str) or parameters is None:
                continue
            compiled.append(Segment(ident, str(item.get("label") or ident), condition,
                                    {k: float(v) for k, v in weights.items() if k in others},
                                    parameters, thresholds,
                                    self.segment_reasons(path, parameters)))
        return compiled

    def segment_parameters(self, path: DocPath, overrides: dict[str, Any]
                           ) -> dict[str, Any] | None:
        """The parameters a segment changes, checked by re-checking every expression."""
        for name, value in overrides.items():
            if name not in self.parameters:
                self.problem(path + ("parameters", name), f"unknown parameter '{name}'"
                                                          f"{did_you_mean(name, self.parameters)}",
                             key=True, code="unknown-name")
                return None
            if type(value) is not type(self.parameters[name]) and not (
                    _is_number(value) and _is_number(self.parameters[name])):
                self.problem(path + ("parameters", name), f"{value!r} is not of the same kind "
                                                          f"as the ruleset's value "
                                                          f"{self.parameters[name]!r}",
                             code="type")
                return None
        merged = {**self.parameters, **overrides}
        for site, text, want, bound in self.expression_sites:
            try:
                expressions.parse(text, self.registry.functions, merged, want=want,
                                  extra_names=bound)
            except ExpressionError as error:
                self.problem(site, f"with the parameters of {format_path(path)}: {error}",
                             code="expression")
        return dict(overrides)

    def segment_thresholds(self, path: DocPath, overrides: dict[str, Any], tiers: list[Tier]
                           ) -> dict[str, float]:
        names = [t.name for t in tiers]
        for name in overrides:
            if name not in names:
                self.problem(path + ("tiers", name), f"unknown tier '{name}'"
                                                     f"{did_you_mean(name, names)}",
                             key=True, code="unknown-name")
        thresholds = [float(overrides.get(t.name, t.threshold)) for t in tiers]
        if any(a <= b for a, b in zip(thresholds, thresholds[1:])) or (
                thresholds and thresholds[-1] > 0):
            self.problem(path + ("tiers",), "with these thresholds the tiers are not from the "
                                            "best down to 0: each tier needs a lower threshold "
                                            "than the one before, and the last 0",
                         code="tier-order")
        return {k: float(v) for k, v in overrides.items() if k in names}

    def segment_reasons(self, path: DocPath, overrides: dict[str, Any]) -> dict[str, str]:
        """The action reasons that read a parameter the segment changes, filled in."""
        merged = {**self.parameters, **overrides}
        reasons = {}
        for action, (index, pieces) in self.reason_pieces.items():
            if not any(name in overrides for _, name in pieces):
                continue
            text = _filled(pieces, merged)
            if text is None:
                self.problem(path + ("parameters",), f"with these parameters the reason of "
                                                     f"actions[{index}] is longer than "
                                                     f"{MAX_REASON:,} characters; shorten them",
                             code="placeholder")
                continue
            reasons[action] = text
        return reasons

    def metric(self, path: DocPath, name: Any):
        if not isinstance(name, str):
            return None
        metric = self.registry.metrics.get(name)
        if metric is not None:
            return metric
        if name in self.registry.conflicts:
            owners = ", ".join(self.registry.conflicts[name])
            self.problem(path + ("metric",), f"the metric '{name}' is registered by several "
                                             f"plugins ({owners}); uninstall one of them",
                         code="metric-conflict")
            return None
        hint = did_you_mean(name, self.registry.metrics) or (
            " (run 'healthcore plugins' to list the metrics)" if self.registry.entry_points else
            " (installed plugins are not loaded: HEALTHCORE_DISABLE_PLUGINS is set)")
        self.problem(path + ("metric",), f"unknown metric '{name}'{hint}", code="unknown-metric")
        return None

    def inputs(self, path: DocPath, kinds: Mapping[str, str], params: Mapping[str, Any]
               ) -> list[Input]:
        found = []
        for param, kind in kinds.items():
            value = params.get(param)
            if value is None:
                continue
            if kind == "expression":
                expression = self.parse(path + (param,), value, "number")
                if expression is not None:
                    found.append(Input(param, "expression", expression=expression))
                continue
            if self.declared is not None and value not in self.declared:
                hint = did_you_mean(value, self.declared)
                self.problem(path + (param,), f"'{value}' is not a declared field{hint}",
                             code="unknown-field")
            elif self.declared is not None and self.declared[value] != _FIELD_KINDS[kind]:
                self.problem(path + (param,), f"'{value}' is declared as "
                                              f"{self.declared[value]}, but this metric reads "
                                              f"it as {_FIELD_KINDS[kind]}", code="type")
            elif value in self.parameters:
                self.problem(path + (param,), f"'{value}' is the name of a parameter, not of "
                                              "a field", code="ambiguous")
            found.append(Input(param, kind, field=value))  # type: ignore[arg-type]
        return found

    def normalizer(self, path: DocPath, spec: Any) -> Normalizer | None:
        if not isinstance(spec, dict) or len(spec) != 1:
            return None
        kind, body = next(iter(spec.items()))
        if kind == "linear" and isinstance(body, dict):
            worst, best = body.get("worst"), body.get("best")
            if not (_is_number(worst) and _is_number(best)):
                return None
            if worst == best:
                self.problem(path + ("linear",), f"worst and best are both {worst}: give two "
                                                 "different values", code="linear-range")
                return None
            if not math.isfinite(float(best) - float(worst)):
                self.problem(path + ("linear",), f"worst {worst} and best {best} are too far "
                                                 "apart to compute with: bring them closer",
                             code="linear-range")
                return None
            return Linear(float(worst), float(best))
        if kind == "bands" and isinstance(body, list):
            return self.bands(path + ("bands",), body)
        if kind == "target" and isinstance(body, dict):
            value, zero_at = body.get("value"), body.get("zero_at")
            tolerance = body.get("tolerance", 0)
            if not all(_is_number(v) for v in (value, zero_at, tolerance)):
                return None
            if zero_at <= tolerance:
                self.problem(path + ("target", "zero_at"), f"zero_at ({zero_at:g}) must be "
                                                           f"larger than tolerance "
                                                           f"({tolerance:g})",
                             code="target-range")
                return None
            return Target(float(value), float(zero_at), float(tolerance))
        if kind == "expression":
            expression = self.parse(path + ("expression",), body, "number", {"value": "number"},
                                    reads_fields=False)
            if expression is None:
                return None
            others = [n for n in expression.fields if n != "value"]
            if others:
                self.problem(path + ("expression",), f"a normalizer can use only 'value' and "
                                                     f"parameters, not '{others[0]}'",
                             code="unknown-name")
                return None
            return ExpressionNormalizer(expression)
        return None

    def bands(self, path: DocPath, items: list[Any]) -> Bands | None:
        bands = []
        previous: tuple[int, float | None] | None = None
        for index, item in enumerate(items):
            if not isinstance(item, dict) or not _is_number(item.get("points")):
                return None
            low = item.get("min")
            if low is not None and not _is_number(low):
                return None
            if previous is not None:
                prev_index, prev_min = previous
                if prev_min is None or (low is not None and low >= prev_min):
                    taken = ("every value" if prev_min is None else
                             f"every value >= {prev_min:g}")
                    self.problem(path + (index,), f"this band can never match: band "
                                                  f"{prev_index} already takes {taken}; list "
                                                  "bands from the highest min down",
                                 code="band-order")
            previous = (index, low)
            bands.append(Band(float(item["points"]), None if low is None else float(low),
                              item.get("label")))
        return Bands(tuple(bands))

    def actions(self, items: list[tuple[int, Any]]) -> list[Action]:
        compiled = []
        seen: dict[str, int] = {}
        for index, item in items:
            path: DocPath = ("actions", index)
            ident = item.get("id")
            if isinstance(ident, str):
                if ident in seen:
                    self.problem(path + ("id",), f"the id '{ident}' is already used by "
                                                 f"actions[{seen[ident]}]", code="duplicate-id")
                seen.setdefault(ident, index)
            condition = self.parse(path + ("when",), item.get("when"), "boolean")
            reason = self.reason(path + ("reason",), item.get("reason"))
            points = item.get("points")
            if condition is None or reason is None or not isinstance(ident, str) or \
                    not _is_number(points):
                continue
            label = str(item.get("label") or ident)
            text, pieces = reason
            compiled.append(Action(ident, label, condition, float(points), text or label))
            if any(name is not None for _, name in pieces):
                self.reason_pieces[ident] = (index, pieces)
        return compiled

    def alerts(self, items: list[tuple[int, Any]], indicators: list[Indicator],
               tiers: list[Tier]) -> list[AlertRule]:
        compiled = []
        seen: dict[str, int] = {}
        indicator_ids = [indicator.id for indicator in indicators]
        tier_names = [tier.name for tier in tiers]
        for index, item in items:
            path: DocPath = ("alerts", index)
            ident, kind = item.get("id"), item.get("kind")
            if not isinstance(ident, str) or not isinstance(kind, str) or kind not in ALERT_KEYS:
                continue  # the schema has reported it
            if ident in seen:
                self.problem(path + ("id",), f"the id '{ident}' is already used by "
                                             f"alerts[{seen[ident]}]", code="duplicate-id")
            seen.setdefault(ident, index)
            problems = len(self.problems)
            for key in sorted(set(item) - ALERT_COMMON_KEYS - ALERT_KEYS[kind]):
                allowed = ", ".join(sorted(ALERT_COMMON_KEYS | ALERT_KEYS[kind]))
                self.problem(path + (key,), f"'{key}' does not apply to a {kind} alert "
                                            f"(allowed: {allowed})",
                             key=True, code="unused")
            indicator = item.get("indicator")
            if kind == "indicator" and indicator not in indicator_ids:
                hint = did_you_mean(str(indicator), indicator_ids)
                self.problem(path + ("indicator",), f"unknown indicator '{indicator}'{hint}",
                             code="unknown-name")
            watched = item.get("tier", [])
            watched = [watched] if isinstance(watched, str) else (
                watched if isinstance(watched, list) else [])  # else the schema has reported it
            for name in watched:
                if name not in tier_names:
                    self.problem(path + ("tier",), f"unknown tier '{name}'"
                                                   f"{did_you_mean(str(name), tier_names)}; the "
                                                   f"tiers are {', '.join(tier_names)}",
                                 code="unknown-name")
            if len(self.problems) > problems or self.reported(path):
                continue
            compiled.append(AlertRule(
                id=ident, label=str(item.get("label") or ident), kind=kind,
                severity=item.get("severity", "warning"),
                cooldown_days=int(item.get("cooldown_days", 0)),
                points=_float_or_none(item.get("points")),
                within_days=item.get("within_days"), indicator=indicator,
                of=item.get("of", "points"), below=_float_or_none(item.get("below")),
                above=_float_or_none(item.get("above")), tiers=tuple(watched),
                runs=item.get("runs")))
        return compiled

    def reason(self, path: DocPath, text: Any) -> tuple[str, Pieces] | None:
        """The reason text with its {parameter} placeholders filled in, once, at load, and
        its pieces; None (reported) unless each placeholder is a parameter's name alone."""
        if text is None:
            return "", []
        if not isinstance(text, str):
            return None
        try:
            parsed = list(string.Formatter().parse(text))
        except ValueError as exc:
            self.problem(path, f"the reason text has a broken placeholder: {exc}; write "
                               "'{{' and '}}' for literal braces", code="placeholder")
            return None
        for _, name, spec, conversion in parsed:
            if name is None:
                continue
            if name not in self.parameters:
                hint = did_you_mean(name, self.parameters) or (
                    " (placeholders name parameters" +
                    (f": {', '.join(self.parameters)})" if self.parameters else ")"))
                self.problem(path, f"unknown placeholder {{{name}}}{hint}", code="placeholder")
                return None
            if spec or conversion:
                written = f"{{{name}{'!' + conversion if conversion else ''}" \
                          f"{':' + spec if spec else ''}}}"
                self.problem(path, f"a placeholder is a parameter's name alone: write "
                                   f"{{{name}}}, not {written}", code="placeholder")
                return None
        pieces = [(literal, name) for literal, name, _, _ in parsed]
        filled = _filled(pieces, self.parameters)
        if filled is None:
            self.problem(path, f"the reason is longer than {MAX_REASON:,} characters once its "
                               "placeholders are filled in; shorten it", code="placeholder")
            return None
        return filled, pieces

    def tiers(self, items: list[tuple[int, Any]]) -> tuple[list[Tier], str]:
        compiled: list[Tier] = []
        seen: dict[str, int] = {}
        modes = {("min" if "min" in item else "percentile") for _, item in items
                 if ("min" in item) != ("percentile" in item)}
        mode = "percentile" if modes == {"percentile"} else "absolute"
        if len(modes) > 1:
            self.problem(("tiers",), "tiers mix 'min' (a score) and 'percentile' (a rank): "
                                     "use one kind for all tiers", code="tier-mix")
        previous: tuple[int, float] | None = None
        for index, item in items:
            path: DocPath = ("tiers", index)
            name = item.get("name")
            key = "min" if mode == "absolute" else "percentile"
            threshold = item.get(key)
            if not isinstance(name, str) or not _is_number(threshold):
                continue
            if name in seen:
                self.problem(path + ("name",), f"the tier '{name}' is already defined by "
                                               f"tiers[{seen[name]}]", code="duplicate-id")
            seen.setdefault(name, index)
            if previous is not None and threshold >= previous[1]:
                word = "overlaps" if threshold == previous[1] else "is out of order with"
                self.problem(path + (key,), f"{key} {threshold:g} {word} tiers[{previous[0]}] "
                                            f"({key} {previous[1]:g}): list tiers from the best "
                                            f"down, each with a lower {key}",
                             code="tier-order")
            previous = (index, float(threshold))
            compiled.append(Tier(name, str(item.get("label") or name), item.get("color"),
                                 **{key: float(threshold)}))
        if previous is not None and previous[1] > 0 and len(modes) == 1:
            key = "min" if mode == "absolute" else "percentile"
            measure = "score" if key == "min" else "rank"
            self.problem(("tiers", previous[0], key),
                         f"the last tier starts at {previous[1]:g}, so a {measure} "
                         f"below {previous[1]:g} would have no tier: make the last tier's {key} 0",
                         code="tier-gap")
        return compiled, mode


ALERT_COMMON_KEYS = {"id", "kind", "label", "severity", "cooldown_days"}
ALERT_KEYS = {"tier_worsened": set(), "score_drop": {"points", "within_days"},
              "indicator": {"indicator", "of", "below", "above"},
              "stays_in_tier": {"tier", "runs"}}
"""The keys each kind of alert takes besides the common ones."""


def _filled(pieces: Pieces, values: Mapping[str, Any]) -> str | None:
    """A reason with the values of its placeholders, or None if longer than MAX_REASON
    (found before the text is built)."""
    parts: list[str] = []
    length = 0
    for literal, name in pieces:
        parts.append(literal if name is None else literal + str(values[name]))
        length += len(parts[-1])
        if length > MAX_REASON:
            return None
    return "".join(parts)


def _float_or_none(value: Any) -> float | None:
    return float(value) if _is_number(value) else None


def _items(value: Any) -> list[tuple[int, dict[str, Any]]]:
    if not isinstance(value, list):
        return []
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _unique(problems: list[Diagnostic]) -> list[Diagnostic]:
    seen = set()
    result = []
    for problem in problems:
        if problem not in seen:
            seen.add(problem)
            result.append(problem)
    return sorted(result, key=lambda d: (d.line or 0, d.column or 0))
