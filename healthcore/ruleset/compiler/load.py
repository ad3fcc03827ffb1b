"""Loading a ruleset: safe YAML, JSON Schema, then each section's checks in turn."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from healthcore.errors import Diagnostic, RulesetError
from healthcore.plugin.registry import Registry, default_registry
from healthcore.ruleset.compiler.actions import compile_actions
from healthcore.ruleset.compiler.alerts import compile_alerts
from healthcore.ruleset.compiler.context import Compilation, section_items
from healthcore.ruleset.compiler.groups import compile_groups
from healthcore.ruleset.compiler.indicators import compile_indicators
from healthcore.ruleset.compiler.segments import compile_segments
from healthcore.ruleset.compiler.tiers import compile_tiers
from healthcore.ruleset.model import Ruleset
from healthcore.ruleset.schema import ruleset_schema, validate
from healthcore.ruleset.source import SourceMap, load_yaml, read_text


def load_ruleset(path: str | Path, *, registry: Registry | None = None) -> Ruleset:
    """Read, validate and compile the ruleset file at ``path``.

    Raises :class:`~healthcore.errors.RulesetError` listing every problem found.
    """
    return loads_ruleset(read_text(path), str(path), registry=registry)


def loads_ruleset(text: str, file: str = "<ruleset>", *,
                  registry: Registry | None = None) -> Ruleset:
    """Like :func:`load_ruleset`, from the text of a ruleset."""
    data, source = load_yaml(text, file)
    return _compile(data, source, text, registry or default_registry())


def _compile(data: Any, source: SourceMap, text: str, registry: Registry) -> Ruleset:
    """The ruleset ``data`` describes; the sections are checked in the order that each one's
    checks need (segments re-check the expressions and reasons found before them)."""
    if not isinstance(data, dict):
        raise RulesetError([source.diagnostic((), "a ruleset is a mapping of keys such as "
                                                  "'healthcore', 'name', 'indicators' and "
                                                  "'tiers'")])
    schema_problems = validate(data, ruleset_schema(), source)
    parameters = data.get("parameters")
    fields = data.get("fields")
    compilation = Compilation(source, text, registry,
                              parameters if isinstance(parameters, dict) else {},
                              fields if isinstance(fields, dict) else None)
    compilation.problems.extend(schema_problems)
    if compilation.declared is not None:
        for name in sorted(set(compilation.declared) & set(compilation.parameters)):
            compilation.problem(("fields", name), f"'{name}' is both a field and a parameter; "
                                                  "rename one of them", key=True,
                                code="ambiguous")
    sections = {name: section_items(data.get(name)) for name in
                ("indicators", "groups", "actions", "tiers", "segments", "alerts")}
    indicators = compile_indicators(compilation, sections["indicators"],
                                    data.get("missing", "renormalize"))
    groups = compile_groups(compilation, sections["groups"], "groups" in data,
                            sections["indicators"])
    actions = compile_actions(compilation, sections["actions"])
    tiers, mode = compile_tiers(compilation, sections["tiers"])
    segments = compile_segments(compilation, sections["segments"], indicators, groups, tiers)
    compilation.check_history_references([indicator.id for indicator in indicators])
    alerts = compile_alerts(compilation, sections["alerts"], indicators, tiers)
    if compilation.problems:
        raise RulesetError(_unique(compilation.problems))
    explain = data.get("explain") or {}
    return Ruleset(
        name=data["name"], description=data.get("description", ""),
        account_id=data.get("account_id", "account_id"), parameters=compilation.parameters,
        indicators=tuple(indicators), actions=tuple(actions), tiers=tuple(tiers),
        tier_mode=mode, top_reasons=explain.get("top", 3), groups=tuple(groups),
        segments=tuple(segments), alerts=tuple(alerts),
        declared_fields=compilation.declared, source=source.file, text=text)


def _unique(problems: list[Diagnostic]) -> list[Diagnostic]:
    """Each problem once, in the order of the file."""
    seen = set()
    result = []
    for problem in problems:
        if problem not in seen:
            seen.add(problem)
            result.append(problem)
    return sorted(result, key=lambda d: (d.line or 0, d.column or 0))
