"""Advice on a valid ruleset: things that work but are probably not what its author meant.

:func:`advise` returns warnings (:class:`~healthcore.errors.Diagnostic` with
``severity="warning"``), located like the loader's errors, file, line, column and path.
``healthcore validate`` prints them; they never stop a ruleset from being used.

The checks, each with its code:

``indicator-count``
    Fewer than 4 or more than 7 indicators with a weight above 0. The customer-success
    literature advises 4 to 7 signals: with fewer, one signal swings the whole score; with more,
    each weighs too little to move it.
``weights-total``
    Weights that add up to between 90 and 110 but not to 100 (to within 0.1), or to between 0.9
    and 1.1 but not to 1 (to within 0.001). Weights are relative, so the scores are right
    whatever they add up to, but a total this close to 100 (or 1) suggests that they are meant
    as percentages (or fractions) and that one of them is off. Checked for the indicators'
    weights; when the ruleset has groups, also for the groups' weights and for the weights of
    each group's indicators.
``unused-parameter``
    A parameter that no expression and no reason placeholder uses.
``missing-field`` (with a sample of accounts)
    A field that an indicator, an action or a segment reads (or the account id field) is not a
    column of the sample.
``empty-field`` (with a sample of accounts as a table)
    A field that an indicator, an action or a segment reads has no value in any account of the
    sample.
"""

from __future__ import annotations

import dataclasses
import math
import re
import string
from typing import TYPE_CHECKING, Any, Collection, Iterator, Mapping

from healthcore.errors import Diagnostic, DocPath, RulesetError
from healthcore.ruleset.expressions import Expression
from healthcore.errors import did_you_mean
from healthcore.ruleset.source import SourceMap, load_yaml

if TYPE_CHECKING:
    import polars as pl

    from healthcore.ruleset import Ruleset

ADVISED_INDICATORS = (4, 7)
"""The number of weighted indicators the customer-success literature advises."""

WARNING_CODES = ("indicator-count", "weights-total", "unused-parameter", "missing-field",
                 "empty-field")


def advise(ruleset: "Ruleset", text: str | None = None, *,
           sample: "pl.DataFrame | Collection[str] | None" = None,
           sample_name: str | None = None) -> list[Diagnostic]:
    """The warnings about ``ruleset``, sorted by position.

    ``text`` is the ruleset's YAML (default: ``ruleset.text``, as the loader kept it); it gives
    the positions. ``sample`` is a table of accounts (a polars DataFrame: missing and empty
    fields are checked) or just its field names (missing fields only); ``sample_name`` (such
    as the file name) appears in the messages.
    """
    advisor = _Advisor(ruleset, ruleset.text if text is None else text)
    advisor.indicator_count()
    advisor.weights()
    advisor.unused_parameters()
    if sample is not None:
        advisor.sample(sample, sample_name)
    return sorted(advisor.found, key=lambda d: (d.line or 0, d.column or 0,
                                                 ".".join(map(str, d.path))))


class _Advisor:
    def __init__(self, ruleset: "Ruleset", text: str):
        self.ruleset = ruleset
        try:
            self.data, self.source = load_yaml(text, ruleset.source) if text else ({}, None)
        except RulesetError:
            self.data, self.source = {}, None
        if not isinstance(self.data, dict):
            self.data = {}
        self.source = self.source or SourceMap(ruleset.source)
        self.lines = text.splitlines()
        self.found: list[Diagnostic] = []

    def warn(self, path: DocPath, message: str, code: str, *, key: bool = False,
             within: tuple[str, str] | None = None) -> None:
        """Add a warning at ``path``; ``within`` (expression text, name) points the column at
        the name inside the expression when the expression is written on one line."""
        line, column = self.source.locate(path, key=key)
        if within is not None and line is not None and column is not None and \
                path in self.source.values:
            column += _offset_in_line(self.lines, line, column, *within)
        self.found.append(Diagnostic(message, self.source.file, line, column, tuple(path),
                                     code, "warning"))

    def index(self, section: str, ident: str) -> int | None:
        """Position in the document's list ``section`` of the item whose id is ``ident``."""
        items = self.data.get(section)
        if isinstance(items, list):
            for index, item in enumerate(items):
                if isinstance(item, dict) and item.get("id") == ident:
                    return index
        return None

    # -- the checks ---------------------------------------------------------------------------

    def indicator_count(self) -> None:
        count = sum(1 for indicator in self.ruleset.indicators if indicator.weight > 0)
        low, high = ADVISED_INDICATORS
        if count == 0 or low <= count <= high:
            return
        if count < low:
            why = "with fewer, one signal can swing the whole score"
        else:
            why = "with more, each one weighs too little to move the score"
        self.warn(("indicators",), f"{count} weighted indicator{'s' if count != 1 else ''}: "
                                   f"the customer-success literature advises {low} to {high}; "
                                   f"{why}", "indicator-count")

    def weights(self) -> None:
        self.weights_total(("indicators",), "the indicator weights",
                           [i.weight for i in self.ruleset.indicators])
        groups = getattr(self.ruleset, "groups", ())
        if not groups:
            return
        self.weights_total(("groups",), "the group weights", [g.weight for g in groups])
        weights = {indicator.id: indicator.weight for indicator in self.ruleset.indicators}
        everyone = set(weights)
        for group in groups:
            if group.combine != "mean" or set(group.members) == everyone:
                continue  # min and max ignore weights; a group of all is checked above
            index = self.index("groups", group.id)
            self.weights_total(("groups",) if index is None else ("groups", index),
                               f"the weights of the indicators of group '{group.id}'",
                               [weights[m] for m in group.members if m in weights])

    def weights_total(self, path: DocPath, what: str, weights: list[float]) -> None:
        total = math.fsum(weights)
        for target, tolerance, meant in ((100.0, 0.1, "percentages"), (1.0, 0.001, "fractions")):
            if 0.9 * target <= total <= 1.1 * target and abs(total - target) > tolerance + 1e-9:
                self.warn(path, f"{what} add up to {total:g}, not {target:g}: weights are "
                                "relative, so the scores are right, but if they are meant as "
                                f"{meant} one of them is off", "weights-total")

    def unused_parameters(self) -> None:
        used: set[str] = set()
        for expression in _expressions(self.ruleset):
            used |= set(expression.parameters)
        actions = self.data.get("actions")
        for item in actions if isinstance(actions, list) else []:
            reason = item.get("reason") if isinstance(item, dict) else None
            if isinstance(reason, str):
                used |= _placeholders(reason)
        for name in self.ruleset.parameters:
            if name not in used:
                self.warn(("parameters", name), f"the parameter '{name}' is used by no "
                                                "expression and no reason: remove it, or use "
                                                "it", "unused-parameter", key=True)

    def sample(self, sample: Any, name: str | None) -> None:
        columns, empty, rows = _sample_fields(sample)
        where = f"the sample {name}" if name else "the sample"
        account_id = self.ruleset.account_id
        if account_id not in columns:
            self.warn(("account_id",), f"{where} has no field '{account_id}', which the "
                                       f"ruleset names as account_id"
                                       f"{did_you_mean(account_id, columns)}", "missing-field")
        readers = list(self.readers())
        unread = [column for column in columns if column not in {r[2] for r in readers}]
        for path, reader, field, expression in readers:
            within = None if expression is None else (expression, field)
            if field not in columns:
                self.warn(path, f"{reader} reads the field '{field}', which {where} does not "
                                f"have{did_you_mean(field, unread)}", "missing-field",
                          within=within)
            elif field in empty:
                self.warn(path, f"{reader} reads the field '{field}', which is empty in all "
                                f"{rows} account{'s' if rows != 1 else ''} of {where}",
                          "empty-field", within=within)

    def readers(self) -> Iterator[tuple[DocPath, str, str, str | None]]:
        """(path, who reads it, field, the expression that reads it or None) for every account
        field the ruleset reads."""
        for indicator in self.ruleset.indicators:
            index = self.index("indicators", indicator.id)
            base: DocPath = ("indicators",) if index is None else ("indicators", index)
            seen: set[str] = set()
            for item in indicator.inputs:
                expression = item.expression
                fields = [item.field] if item.field is not None else (
                    list(expression.fields) if expression is not None else [])
                for field in fields:
                    if field not in seen:
                        seen.add(field)
                        yield (base + ("params", item.param), f"indicator '{indicator.id}'",
                               field, expression.source if expression is not None else None)
        for section, items, attribute in (("actions", self.ruleset.actions, "condition"),
                                          ("segments", getattr(self.ruleset, "segments", ()),
                                           "condition")):
            for item in items:
                expression = getattr(item, attribute, None)
                if not isinstance(expression, Expression):
                    continue
                index = self.index(section, item.id)
                path: DocPath = (section,) if index is None else (section, index, "when")
                for field in expression.fields:
                    yield path, f"{section[:-1]} '{item.id}'", field, expression.source


def _sample_fields(sample: Any) -> tuple[list[str], set[str], int]:
    """The fields of a sample, those without any value, and its number of accounts."""
    columns = getattr(sample, "columns", None)
    if columns is None or not hasattr(sample, "null_count"):
        return list(sample), set(), 0
    rows = sample.height
    if rows == 0:
        return list(columns), set(), 0
    nulls = sample.null_count().row(0)
    return list(columns), {c for c, n in zip(columns, nulls) if n == rows}, rows


def _offset_in_line(lines: list[str], line: int, column: int, expression: str,
                    name: str) -> int:
    """How far right of ``column`` the name ``name`` is, when the expression is written at
    ``line:column`` on that one line (plain or quoted); else 0."""
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    start = column - 1
    quote = 1 if text[start:start + 1] in ("'", '"') else 0
    if text[start + quote:start + quote + len(expression)] != expression:
        return 0
    found = re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", expression)
    return quote + found.start() if found else 0


def _placeholders(text: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}
    except ValueError:
        return set()


def _expressions(root: Any) -> Iterator[Expression]:
    """Every expression reachable from ``root`` through dataclass fields, tuples, lists and
    mappings: new kinds of expressions in a ruleset are found without changing this module."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        item = stack.pop()
        if id(item) in seen or isinstance(item, (str, bytes, int, float, bool, type(None))):
            continue
        seen.add(id(item))
        if isinstance(item, Expression):
            yield item
        elif dataclasses.is_dataclass(item) and not isinstance(item, type):
            stack.extend(getattr(item, f.name, None) for f in dataclasses.fields(item))
        elif isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
