"""What the checks of every section share: the problems found so far, the ruleset's parameters
and declared fields, and the parsing of its expressions."""

from __future__ import annotations

from typing import Any, Mapping

from healthcore.errors import Diagnostic, DocPath, did_you_mean
from healthcore.plugin.functions import Kind
from healthcore.plugin.registry import Registry
from healthcore.ruleset.expressions import MAX_LENGTH, Expression, ExpressionError, parse
from healthcore.ruleset.source import SourceMap

Pieces = list[tuple[str, str | None]]
"""A reason split at its placeholders: (text, then the parameter named or None)."""
ExpressionSite = tuple[DocPath, str, Kind, Mapping[str, Kind] | None]
"""Where an expression is, its text, the kind it must have and the names bound in it."""


class Compilation:
    """The state of compiling one ruleset, shared by the checks of its sections."""

    def __init__(self, source: SourceMap, text: str, registry: Registry,
                 parameters: dict[str, Any], declared: dict[str, Kind] | None):
        self.source = source
        self.lines = text.splitlines()
        self.registry = registry
        self.parameters = parameters
        """The ruleset's ``parameters``."""
        self.declared = declared
        """The ruleset's ``fields`` (name -> kind), or None if it declares none."""
        self.problems: list[Diagnostic] = []
        self.expression_sites: list[ExpressionSite] = []
        """Every expression parsed, to be parsed again with each segment's parameters."""
        self.reason_pieces: dict[str, tuple[int, Pieces]] = {}
        """Action id -> (its index, its reason's pieces), for the reasons with placeholders."""
        self.history_sites: list[tuple[DocPath, Expression]] = []
        """The expressions that read the score history, with where they are."""

    def problem(self, path: DocPath, message: str, *, key: bool = False,
                code: str = "invalid") -> None:
        """Report a problem at ``path`` (at its key rather than its value if ``key``)."""
        self.problems.append(self.source.diagnostic(path, message, key=key, code=code))

    def reported(self, path: DocPath) -> bool:
        """Whether a problem in ``path`` is reported already (by the schema): the checks of
        what is not shaped as the schema says stop there."""
        return any(problem.path[:len(path)] == path for problem in self.problems)

    def expression_problem(self, path: DocPath, error: ExpressionError) -> None:
        """Report ``error`` at its column within the expression at ``path``."""
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
        """The expression at ``path``, or None if it has a problem (reported)."""
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_LENGTH:
            return None  # the schema has reported it
        try:
            expression = parse(text, self.registry.functions, self.parameters, want=want,
                               extra_names=bound)
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

    def check_names(self, path: DocPath, expression: Expression) -> None:
        """Each field the expression reads is declared, as the kind it is read as."""
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

    def check_history_references(self, indicator_ids: list[str]) -> None:
        """Each ``previous(NAME)`` names the score, the tier or an indicator."""
        known = ["score", "tier", *indicator_ids]
        for path, expression in self.history_sites:
            for reference, _ in expression.history.values():
                if reference not in known:
                    self.problem(path, f"previous({reference}): '{reference}' is not recorded "
                                       f"in the history{did_you_mean(reference, known)}; "
                                       "look back at score, tier or an indicator id",
                                 code="unknown-name")


class UniqueIds:
    """The ids of one section's items, each with the index of the item that first used it;
    an id used again is reported where it is used again."""

    def __init__(self, compilation: Compilation, section: str, key: str = "id",
                 message: str = "the id '{id}' is already used by {first}"):
        self.compilation = compilation
        self.section = section
        self.key = key
        self.message = message
        self.first: dict[str, int] = {}

    def add(self, index: int, ident: str) -> bool:
        """Record the id of ``section[index]``; whether no item before used it."""
        if ident in self.first:
            first = f"{self.section}[{self.first[ident]}]"
            self.compilation.problem((self.section, index, self.key),
                                     self.message.format(id=ident, first=first),
                                     code="duplicate-id")
            return False
        self.first[ident] = index
        return True


def is_number(value: Any) -> bool:
    """Whether ``value`` is a number (an int or a float, not a boolean)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def float_or_none(value: Any) -> float | None:
    """``value`` as a float if it is a number, else None."""
    return float(value) if is_number(value) else None


def section_items(value: Any) -> list[tuple[int, dict[str, Any]]]:
    """The mappings of a section's list, each with its index (other entries the schema has
    reported)."""
    if not isinstance(value, list):
        return []
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)]
