"""Ruleset expressions: parsed once, checked when the ruleset loads, evaluated column-wise.

The grammar is simpleeval's safe subset of Python, narrowed further: numbers, text in quotes,
``True``/``False``, names, ``+ - * / **``, comparisons, ``and``/``or``/``not``, ``x if c else y``,
``name in ('a', 'b')``, calls of registered functions and ``previous(...)``, an account's value in
the score history (:data:`HISTORY_REFERENCE`). No attributes, subscripts, lambdas,
comprehensions, assignments or keyword arguments. Every name gets a kind (number, text, boolean)
from how it is used, so types are checked at load and input columns are converted once.

Null (a missing value) propagates through arithmetic and comparisons; a null condition is not true;
``and``/``or`` follow three-valued logic; division by zero is null, and so is an arithmetic result
that is not finite (checked where a chain of arithmetic ends, and after each power: inside a
chain IEEE rules apply).
:meth:`Expression.to_polars` compiles the tree to one polars expression for a whole batch and
:meth:`Expression.evaluate` evaluates it for one account with simpleeval; both give the same
answers.

A chain of operators of one kind written one after the other (``a + b - c + ...``,
``a * b / c * ...``) is one level of nesting, however long: every pass over a tree walks such a
chain in a loop, left to right, not by recursion.
"""

from __future__ import annotations

import ast
import math
import re
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping

from simpleeval import SimpleEval

from healthcore.errors import did_you_mean, shortened
from healthcore.plugin.functions import ExpressionFunction, Kind, divisor_column
from healthcore.ruleset.values import finite_number, value_kind

if TYPE_CHECKING:
    import polars as pl


MAX_LENGTH = 2000
MAX_DEPTH = 32
MAX_NODES = 500
MAX_TEXT = 1000
MAX_EXPONENT = 100.0
MAX_LOOKBACK_DAYS = 3660
HISTORY_REFERENCE = "previous"
"""``previous(NAME)`` is the account's NAME in the run before this one; ``previous(NAME, DAYS)``
its NAME in the latest run at least DAYS days before this one. NAME is ``score``, ``tier`` or an
indicator id (its value). Without a history, or for an account not in that run, it is null."""

_ARITHMETIC = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_CHAINS = {ast.Add: "+-", ast.Sub: "+-", ast.Mult: "*/", ast.Div: "*/"}
"""The operators that chain without nesting: + with -, and * with /."""
_ORDERING = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_EQUALITY = {ast.Eq: "==", ast.NotEq: "!="}
_MEMBERSHIP = {ast.In: "in", ast.NotIn: "not in"}


class ExpressionError(ValueError):
    """An expression is not allowed or not well-formed; ``column`` is 1-based within it."""

    def __init__(self, message: str, column: int | None = None):
        super().__init__(message)
        self.column = column


@dataclass
class Expression:
    """A parsed, checked expression. ``names`` maps each name it reads to its kind."""

    source: str
    tree: ast.expr
    kind: Kind
    names: dict[str, Kind] = field(default_factory=dict)
    functions: Mapping[str, ExpressionFunction] = field(default_factory=dict)
    constants: Mapping[str, Any] = field(default_factory=dict)
    parameters: frozenset[str] = frozenset()
    """The ruleset parameters this expression reads."""
    history: dict[str, tuple[str, int]] = field(default_factory=dict)
    """The values it reads from the score history: column name (such as ``previous(usage,
    30)``) -> (``score``, ``tier`` or an indicator id; days back, 0 for the previous run)."""

    @property
    def fields(self) -> dict[str, Kind]:
        """The names this expression reads from the account (not constants nor history)."""
        return {n: k for n, k in self.names.items()
                if n not in self.constants and n not in self.history}

    def to_polars(self, column: Callable[[str, Kind], "pl.Expr"],
                  parameter: Callable[[str], "pl.Expr | None"] | None = None) -> "pl.Expr":
        """Compile to a polars expression; ``column(name, kind)`` gives each field's column,
        ``parameter(name)`` a parameter's column where it varies by account (else None)."""
        return _PolarsCompiler(self, column, parameter).compile(self.tree)

    def evaluate(self, values: Mapping[str, Any],
                 parameters: Mapping[str, Any] | None = None) -> Any:
        """Evaluate for one account whose (already converted) field values are ``values``;
        ``parameters`` may give other values to some parameters (a segment's)."""
        names = {**{n: values.get(n) for n in self.names if n not in self.constants},
                 **self.constants,
                 **{n: v for n, v in (parameters or {}).items() if n in self.constants}}
        return _evaluate(self, names)


def parse(source: str, functions: Mapping[str, ExpressionFunction],
          constants: Mapping[str, Any], *, want: Kind = "number",
          extra_names: Mapping[str, Kind] | None = None) -> Expression:
    """Parse and check ``source``; raise :class:`ExpressionError` on anything not allowed.

    ``constants`` are the ruleset parameters (substituted by value); ``extra_names`` are
    names bound by the caller (such as ``value`` in a normalizer) with their kinds.
    """
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"the expression is longer than {MAX_LENGTH} characters")
    if _bracket_depth(source) > MAX_DEPTH * 2:  # before Python's parser recurses into them
        raise ExpressionError(f"the expression is nested more than {MAX_DEPTH} levels deep")
    text = source.strip()
    try:
        with warnings.catch_warnings():  # such as "'is' with a literal": refused below anyway
            warnings.simplefilter("ignore")
            statements = ast.parse(text).body
    except SyntaxError as exc:
        raise ExpressionError(f"this is not a valid expression: {exc.msg}", exc.offset) from None
    except (RecursionError, MemoryError):
        raise ExpressionError(
            f"the expression is nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:  # a NUL character
        raise ExpressionError(str(exc)) from None
    if not statements:
        raise ExpressionError("the expression is empty")
    if len(statements) > 1:
        second = shortened(ast.get_source_segment(text, statements[1]) or "", 40)
        raise ExpressionError(f"only one expression is allowed here, but '{second}' follows "
                              "the first one; to combine conditions, join them with 'and' or 'or'",
                              _column(text, statements[1]))
    if not isinstance(statements[0], ast.Expr):
        raise ExpressionError("only an expression is allowed here, not a statement "
                              "(no '=', import, def or other Python statements)")
    _check_limits(statements[0].value, text)
    history = _HistoryReferences(constants, text)
    body = history.replace(statements[0].value)
    checker = _Checker(functions, constants, dict(extra_names or {}), text)
    kind = checker.check(body, want, depth=0)
    if want == "boolean" and kind != "boolean":
        raise ExpressionError("a condition must be true or false: compare a value, "
                              "e.g. 'seats > 10'", 1)
    for name, (reference, _) in history.found.items():
        expected: Kind = "text" if reference == "tier" else "number"
        if checker.names.get(name, "any") not in ("any", expected):
            raise ExpressionError(f"{name} is {_article(expected)}, but it is used as "
                                  f"{_article(checker.names[name])}", history.columns[name])
        checker.names[name] = expected
    return Expression(source, body, kind, checker.names,
                      {n: functions[n] for n in checker.called}, dict(constants),
                      frozenset(checker.used_constants), dict(history.found))


class _HistoryReferences:
    """Replaces each ``previous(NAME[, DAYS])`` call by a name that the engine fills from the
    score history, after checking its arguments."""

    def __init__(self, constants: Mapping[str, Any], source: str):
        self.constants = constants
        self.source = source
        self.found: dict[str, tuple[str, int]] = {}
        self.columns: dict[str, int] = {}

    def replace(self, tree: ast.expr) -> ast.expr:
        """``tree`` with its ``previous(...)`` calls replaced, walked in order without
        recursion."""
        holder = ast.Expression(body=tree)
        stack: list[tuple[ast.AST, str, int | None]] = [(holder, "body", None)]
        while stack:
            parent, name, index = stack.pop()
            node = getattr(parent, name) if index is None else getattr(parent, name)[index]
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                    node.func.id == HISTORY_REFERENCE:
                if index is None:
                    setattr(parent, name, self.reference(node))
                else:
                    getattr(parent, name)[index] = self.reference(node)
                continue
            children: list[tuple[ast.AST, str, int | None]] = []
            for field_name, value in ast.iter_fields(node):
                if isinstance(value, list):
                    children += [(node, field_name, i) for i, item in enumerate(value)
                                 if isinstance(item, ast.AST)]
                elif isinstance(value, ast.AST):
                    children.append((node, field_name, None))
            stack.extend(reversed(children))
        return holder.body

    def reference(self, node: ast.Call) -> ast.Name:
        usage = ("previous() takes what to look back at and, optionally, how many days back: "
                 "previous(score), previous(tier), previous(usage, 30) for an indicator 'usage'")
        column = _column(self.source, node)
        if node.keywords or not 1 <= len(node.args) <= 2 or not isinstance(node.args[0],
                                                                          ast.Name):
            raise ExpressionError(usage, column)
        reference = node.args[0].id
        days = 0
        if len(node.args) == 2:
            number = _constant_number(node.args[1], self.constants)
            if number is None or number != int(number) or not 0 <= number <= MAX_LOOKBACK_DAYS:
                raise ExpressionError(f"previous({reference}, ...): the days back must be a "
                                      f"whole number from 0 to {MAX_LOOKBACK_DAYS}, written in "
                                      "the expression", _column(self.source, node.args[1]))
            days = int(number)
        name = f"previous({reference})" if days == 0 else f"previous({reference}, {days})"
        self.found[name] = (reference, days)
        self.columns.setdefault(name, column)
        return ast.copy_location(ast.Name(id=name, ctx=ast.Load()), node)


class _Checker:
    """Walks a parsed tree: rejects what is not allowed, infers and records kinds."""

    def __init__(self, functions: Mapping[str, ExpressionFunction], constants: Mapping[str, Any],
                 bound: dict[str, Kind], source: str):
        self.functions = functions
        self.source = source
        self.constants = constants
        self.bound = bound
        self.names: dict[str, Kind] = {}
        self.called: set[str] = set()
        self.used_constants: set[str] = set()
        self.nodes = 0

    def fail(self, node: ast.AST, message: str) -> ExpressionError:
        return ExpressionError(message, _column(self.source, node))

    def show(self, node: ast.expr) -> str:
        """A node as the author wrote it, quoted unless it is text in quotes already."""
        text = shortened(ast.get_source_segment(self.source, node) or "", 60)
        return text if isinstance(node, ast.Constant) and isinstance(node.value, str) \
            else f"'{text}'"

    def count(self, node: ast.AST) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.fail(node, f"the expression has more than {MAX_NODES} parts; split it")

    def static_kind(self, node: ast.expr) -> Kind | None:
        """The kind of a node that does not depend on context, if any."""
        if isinstance(node, ast.Constant):
            return value_kind(node.value)
        if isinstance(node, ast.Name):
            if node.id in self.constants:
                return value_kind(self.constants[node.id])
            return self.bound.get(node.id) or (self.names.get(node.id) if
                                               self.names.get(node.id) != "any" else None)
        if isinstance(node, ast.BinOp) or (isinstance(node, ast.UnaryOp)
                                           and not isinstance(node.op, ast.Not)):
            return "number"
        if isinstance(node, (ast.Compare, ast.BoolOp)) or (
                isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)):
            return "boolean"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            function = self.functions.get(node.func.id)
            if function and function.returns != "any":
                return function.returns
            if function and node.args:
                return self.static_kind(node.args[0])
        if isinstance(node, ast.IfExp):
            return self.static_kind(node.body) or self.static_kind(node.orelse)
        return None

    def check(self, node: ast.expr, want: Kind, depth: int) -> Kind:
        self.count(node)
        if depth > MAX_DEPTH:
            raise self.fail(node, f"the expression is nested more than {MAX_DEPTH} levels deep")
        handler = getattr(self, f"_{type(node).__name__}", None)
        if handler is None:
            raise self.fail(node, _forbidden(node))
        kind = handler(node, want, depth + 1)
        if want != "any" and kind != "any" and kind != want:
            raise self.fail(node, f"{self.show(node)} is {_article(kind)}, "
                                  f"but {_article(want)} is needed here")
        return kind

    def _Constant(self, node: ast.Constant, want: Kind, depth: int) -> Kind:
        kind = value_kind(node.value)
        if kind is None:
            raise self.fail(node, f"{node.value!r} is not allowed: use numbers, text in quotes, "
                                  "True or False")
        if kind == "text" and len(node.value) > MAX_TEXT:
            raise self.fail(node, f"text longer than {MAX_TEXT} characters is not allowed")
        return kind

    def _Name(self, node: ast.Name, want: Kind, depth: int) -> Kind:
        name = node.id
        if name.startswith("_"):
            raise self.fail(node, f"names starting with '_' are not allowed ('{name}')")
        if name in self.constants:
            self.used_constants.add(name)
            return value_kind(self.constants[name]) or "any"
        if name in self.bound:
            return self.bound[name]
        known = self.names.get(name)
        if known not in (None, "any") and want not in ("any", known):
            raise self.fail(node, f"'{name}' is used as {_article(known)} elsewhere in this "
                                  f"expression and as {_article(want)} here")
        if known is None or known == "any":
            self.names[name] = want
        return self.names[name]

    def _BinOp(self, node: ast.BinOp, want: Kind, depth: int) -> Kind:
        if type(node.op) not in _ARITHMETIC:
            raise self.fail(node, f"the operator '{_op_text(node.op)}' is not available: "
                                  "use + - * / ** and functions")
        first, links = _chain(node)
        for link in links[:-1]:  # ``node`` itself is counted already
            self.count(link)
        self.check(first, "number", depth)
        for link in links:
            self.check(link.right, "number", depth)
        if isinstance(node.op, ast.Pow):
            exponent = _constant_number(node.right, self.constants)
            if exponent is None:
                raise self.fail(node.right, "the exponent of ** must be a number written in the "
                                            "expression, such as x ** 2 or x ** 0.5")
            if abs(exponent) > MAX_EXPONENT:
                raise self.fail(node.right, f"the exponent {exponent:g} is too large "
                                            f"(at most {MAX_EXPONENT:g})")
        return "number"

    def _UnaryOp(self, node: ast.UnaryOp, want: Kind, depth: int) -> Kind:
        if isinstance(node.op, ast.Not):
            self.check(node.operand, "boolean", depth)
            return "boolean"
        if isinstance(node.op, (ast.USub, ast.UAdd)):
            self.check(node.operand, "number", depth)
            return "number"
        raise self.fail(node, f"the operator '{_op_text(node.op)}' is not available")

    def _BoolOp(self, node: ast.BoolOp, want: Kind, depth: int) -> Kind:
        for value in node.values:
            self.check(value, "boolean", depth)
        return "boolean"

    def _Compare(self, node: ast.Compare, want: Kind, depth: int) -> Kind:
        operands = [node.left, *node.comparators]
        for op, left, right in zip(node.ops, operands, operands[1:]):
            if type(op) in _MEMBERSHIP:
                self._membership(left, right, depth)
            elif type(op) in _EQUALITY:
                kind = self.static_kind(left) or self.static_kind(right) or "number"
                self.check(left, kind, depth)
                self.check(right, kind, depth)
            elif type(op) in _ORDERING:
                self.check(left, "number", depth)
                self.check(right, "number", depth)
            else:
                raise self.fail(node, f"the comparison '{_op_text(op)}' is not available: "
                                      "use == != < <= > >= in")
        return "boolean"

    def _membership(self, left: ast.expr, right: ast.expr, depth: int) -> None:
        if not isinstance(right, (ast.Tuple, ast.List)) or not right.elts:
            raise self.fail(right, "'in' needs a list of values written in the expression, "
                                   "e.g. plan in ('gold', 'platinum')")
        kinds = set()
        for item in right.elts:
            value = _literal(item)
            if value is None:
                raise self.fail(item, "the list after 'in' may only hold numbers or text")
            if isinstance(value, str) and len(value) > MAX_TEXT:
                raise self.fail(item, f"text longer than {MAX_TEXT} characters is not allowed")
            kinds.add(value_kind(value))
        if len(kinds) > 1:
            raise self.fail(right, "the list after 'in' mixes numbers and text")
        self.check(left, kinds.pop(), depth)

    def _IfExp(self, node: ast.IfExp, want: Kind, depth: int) -> Kind:
        self.check(node.test, "boolean", depth)
        kind = want if want != "any" else (self.static_kind(node.body)
                                           or self.static_kind(node.orelse) or "number")
        self.check(node.body, kind, depth)
        self.check(node.orelse, kind, depth)
        return kind

    def _Call(self, node: ast.Call, want: Kind, depth: int) -> Kind:
        if isinstance(node.func, ast.Attribute):
            raise self.fail(node, _forbidden(node.func))
        if not isinstance(node.func, ast.Name):
            raise self.fail(node, "only functions called by name are allowed, such as max(a, b)")
        name = node.func.id
        if name.startswith("_"):
            raise self.fail(node, f"names starting with '_' are not allowed ('{name}')")
        function = self.functions.get(name)
        if function is None:
            hint = did_you_mean(name, self.functions) or \
                f" (available: {', '.join(sorted(self.functions))})"
            raise self.fail(node, f"unknown function '{name}'{hint}")
        if node.keywords:
            raise self.fail(node, f"{name}() takes no named arguments")
        count = len(node.args)
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise self.fail(node, "'*' arguments are not allowed")
        if count < function.min_args or (function.max_args is not None
                                         and count > function.max_args):
            expected = (f"{function.min_args}" if function.max_args == function.min_args else
                        f"{function.min_args} or more" if function.max_args is None else
                        f"{function.min_args} to {function.max_args}")
            raise self.fail(node, f"{name}() takes {expected} arguments, not {count}")
        arg_kind: Kind = function.arg_kind
        if arg_kind == "any" and function.returns == "any":
            arg_kind = want if want != "any" else next(
                (k for k in map(self.static_kind, node.args) if k), "number")
        for position, arg in enumerate(node.args):
            if function.literal_from is not None and position >= function.literal_from:
                if _constant_number(arg, self.constants) is None:
                    raise self.fail(arg, f"argument {position + 1} of {name}() must be a number "
                                         "written in the expression")
            self.check(arg, arg_kind, depth)
        self.called.add(name)
        return function.returns if function.returns != "any" else arg_kind


def _check_limits(tree: ast.expr, source: str) -> None:
    """Refuse nesting deeper than :data:`MAX_DEPTH` (a chain such as ``a + b - c`` is one
    level), numbers beyond the range of floats, and names written with characters that Python
    reads as other ones (fullwidth letters), walking the tree without recursion, so that no later
    pass over it can exhaust the stack."""
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ExpressionError(f"the expression is nested more than {MAX_DEPTH} levels deep",
                                  _column(source, node) or 1)
        if (isinstance(node, ast.Constant) and value_kind(node.value) == "number"
                and not finite_number(node.value)):
            written = shortened(ast.get_source_segment(source, node) or "", 20)
            raise ExpressionError(f"the number {written} is too large: numbers are between "
                                  "-1e308 and 1e308", _column(source, node))
        if isinstance(node, ast.Name) and ast.get_source_segment(source, node) != node.id:
            raise ExpressionError(f"'{ast.get_source_segment(source, node)}' is written with "
                                  f"characters that stand for other ones: write it as "
                                  f"'{node.id}'", _column(source, node))
        chained = _CHAINS.get(type(getattr(node, "op", None)))
        stack.extend((child, depth if chained and child is getattr(node, "left", None) and
                      _CHAINS.get(type(getattr(child, "op", None))) == chained
                      else depth + isinstance(child, ast.expr))
                     for child in ast.iter_child_nodes(node))


def _bracket_depth(source: str) -> int:
    """How deeply the brackets of ``source`` nest (brackets in quotes count too)."""
    depth = deepest = 0
    for character in source:
        if character in "([":
            depth += 1
            deepest = max(deepest, depth)
        elif character in ")]":
            depth -= 1
    return deepest


def _chain(node: ast.BinOp) -> tuple[ast.expr, list[ast.BinOp]]:
    """The operations of a chain such as ``a + b - c`` (``a * b / c``), in order, each with its
    ``op`` and ``right``, and the chain's first operand (``a``). Any other operation is a chain
    of one. Found in a loop: a chain of 300 terms is 300 levels of the tree."""
    links = [node]
    kind = _CHAINS.get(type(node.op))
    while kind is not None and isinstance(links[-1].left, ast.BinOp) and \
            _CHAINS.get(type(links[-1].left.op)) == kind:
        links.append(links[-1].left)
    links.reverse()
    return links[0].left, links


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _column(source: str, node: ast.AST) -> int | None:
    """The 1-based column of ``node`` in characters on its line (``ast`` counts UTF-8 bytes)."""
    if not hasattr(node, "col_offset"):
        return None
    line = _LINE_BREAK.split(source)[node.lineno - 1].encode("utf-8")
    return len(line[:node.col_offset].decode("utf-8", "replace")) + 1


def _literal(node: ast.expr) -> float | str | None:
    """The value of a number (possibly negative) or text written in the expression, else None."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _literal(node.operand)
        return -inner if isinstance(inner, float) else None
    if isinstance(node, ast.Constant) and value_kind(node.value) in ("number", "text"):
        return float(node.value) if value_kind(node.value) == "number" else node.value
    return None


def _constant_number(node: ast.expr, constants: Mapping[str, Any]) -> float | None:
    """The value of an arithmetic of literals and numeric parameters, else None."""
    if isinstance(node, ast.Constant) and value_kind(node.value) == "number":
        return float(node.value)
    if isinstance(node, ast.Name) and value_kind(constants.get(node.id)) == "number":
        return float(constants[node.id])
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = _constant_number(node.operand, constants)
        return None if inner is None else (-inner if isinstance(node.op, ast.USub) else inner)
    if isinstance(node, ast.BinOp) and type(node.op) in _CHAINS:
        first, links = _chain(node)
        value = _constant_number(first, constants)
        for link in links:
            right = _constant_number(link.right, constants)
            if value is None or right is None:
                return None
            try:
                value = _finite(_ARITH_SCALAR[type(link.op)](value, right))
            except ZeroDivisionError:  # a written division by zero is null, not a number
                return None
        return value
    return None


def _forbidden(node: ast.AST) -> str:
    kind = type(node).__name__
    reasons = {
        "Attribute": "attribute access (a '.') is not allowed in expressions",
        "Subscript": "indexing with [ ] is not allowed in expressions",
        "Lambda": "lambda is not allowed in expressions",
        "NamedExpr": "assignment (':=') is not allowed in expressions",
        "ListComp": "comprehensions are not allowed in expressions",
        "SetComp": "comprehensions are not allowed in expressions",
        "DictComp": "comprehensions are not allowed in expressions",
        "GeneratorExp": "comprehensions are not allowed in expressions",
        "JoinedStr": "f-strings are not allowed in expressions",
        "Await": "await is not allowed in expressions",
        "Yield": "yield is not allowed in expressions",
        "Starred": "'*' is not allowed in expressions",
        "Dict": "{ } is not allowed in expressions",
        "Set": "{ } is not allowed in expressions",
        "List": "a list is only allowed after 'in'",
        "Tuple": "a list is only allowed after 'in'",
        "Slice": "slices are not allowed in expressions",
    }
    return reasons.get(kind, f"{kind} is not allowed in expressions")


def _op_text(op: ast.AST) -> str:
    return {ast.FloorDiv: "//", ast.Mod: "%", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^",
            ast.LShift: "<<", ast.RShift: ">>", ast.Invert: "~", ast.MatMult: "@",
            ast.Is: "is", ast.IsNot: "is not"}.get(type(op), type(op).__name__)


def _article(kind: Kind) -> str:
    return {"number": "a number", "text": "text", "boolean": "a true/false value",
            "any": "a value"}[kind]


# ----------------------------------------------------------------------------- scalar path

def _finite(value: Any) -> Any:
    if isinstance(value, complex) or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return value


def _null_safe(operation: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def apply(left: Any, right: Any) -> Any:
        if left is None or right is None:
            return None
        try:
            return operation(left, right)
        except ZeroDivisionError:
            return None
    return apply


def _power(base: float, exponent: float) -> float:
    """IEEE ``pow``, as the batch path computes it (infinity and NaN instead of exceptions)."""
    base, exponent = float(base), float(exponent)
    odd = exponent.is_integer() and int(exponent) % 2 == 1
    try:
        return math.pow(base, exponent)
    except OverflowError:
        return -math.inf if base < 0 and odd else math.inf
    except ValueError:  # zero to a negative power, or a negative base to a fraction
        if base == 0:
            return -math.inf if math.copysign(1.0, base) < 0 and odd else math.inf
        return math.nan


_ARITH_SCALAR: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: float(a) + float(b),
    ast.Sub: lambda a, b: float(a) - float(b),
    ast.Mult: lambda a, b: float(a) * float(b),
    ast.Div: lambda a, b: float(a) / float(b),
    ast.Pow: lambda a, b: _finite(_power(a, b)),  # checked at once, as in the batch path
}

_SCALAR_OPERATORS: dict[type, Callable[..., Any]] = {
    **{op: _null_safe(f) for op, f in _ARITH_SCALAR.items()},
    ast.Eq: _null_safe(lambda a, b: a == b),
    ast.NotEq: _null_safe(lambda a, b: a != b),
    ast.Lt: _null_safe(lambda a, b: a < b),
    ast.LtE: _null_safe(lambda a, b: a <= b),
    ast.Gt: _null_safe(lambda a, b: a > b),
    ast.GtE: _null_safe(lambda a, b: a >= b),
    ast.In: _null_safe(lambda a, b: a in b),
    ast.NotIn: _null_safe(lambda a, b: a not in b),
    ast.USub: lambda a: None if a is None else -float(a),
    ast.UAdd: lambda a: None if a is None else float(a),
    ast.Not: lambda a: None if a is None else not a,
}


class _ScalarEval(SimpleEval):
    """simpleeval with healthcore's null semantics (three-valued logic, null propagation)."""

    def __init__(self, expression: Expression, names: dict[str, Any]):
        super().__init__(operators=_SCALAR_OPERATORS,
                         functions={n: f.scalar for n, f in expression.functions.items()},
                         names=names)
        self.nodes[ast.Tuple] = lambda node: tuple(_literal(e) for e in node.elts)
        self.nodes[ast.List] = self.nodes[ast.Tuple]

    def _eval_constant(self, node: ast.Constant) -> Any:
        value = node.value
        return float(value) if value_kind(value) == "number" else value

    def _eval_binop(self, node: ast.BinOp) -> Any:
        return _finite(self._arithmetic(node))

    def _eval_unaryop(self, node: ast.UnaryOp) -> Any:
        if isinstance(node.op, ast.Not):
            return self.operators[ast.Not](self._eval(node.operand))
        return _finite(self._arithmetic(node))

    def _arithmetic(self, node: ast.expr) -> Any:
        """An arithmetic chain with IEEE semantics; the caller turns non-finite into null."""
        if isinstance(node, ast.BinOp):
            first, links = _chain(node)
            value = self._arithmetic(first)
            for link in links:
                value = self.operators[type(link.op)](value, self._arithmetic(link.right))
            return value
        if isinstance(node, ast.UnaryOp) and not isinstance(node.op, ast.Not):
            return self.operators[type(node.op)](self._arithmetic(node.operand))
        return self._eval(node)

    def _eval_boolop(self, node: ast.BoolOp) -> bool | None:
        values = [self._eval(v) for v in node.values]
        decisive = isinstance(node.op, ast.Or)  # True decides 'or', False decides 'and'
        if any(v is not None and bool(v) is decisive for v in values):
            return decisive
        return None if any(v is None for v in values) else not decisive

    def _eval_compare(self, node: ast.Compare) -> bool | None:
        operands = [self._eval(node.left), *(self._eval(c) for c in node.comparators)]
        results = [self.operators[type(op)](a, b)
                   for op, a, b in zip(node.ops, operands, operands[1:])]
        if any(r is False for r in results):
            return False
        return None if any(r is None for r in results) else True

    def _eval_ifexp(self, node: ast.IfExp) -> Any:
        return self._eval(node.body) if self._eval(node.test) is True else self._eval(node.orelse)


def _evaluate(expression: Expression, names: dict[str, Any]) -> Any:
    names = {n: (float(v) if value_kind(v) == "number" else v) for n, v in names.items()}
    return _finite(_ScalarEval(expression, names)._eval(expression.tree))


# ----------------------------------------------------------------------------- batch path

class _PolarsCompiler:
    def __init__(self, expression: Expression, column: Callable[[str, Kind], "pl.Expr"],
                 parameter: Callable[[str], "pl.Expr | None"] | None):
        import polars as pl

        self.pl = pl
        self.parameter = parameter or (lambda name: None)
        self.expression = expression
        self.column = column

    @staticmethod
    def finite(expr: "pl.Expr") -> "pl.Expr":
        """``expr`` with infinities and NaN made null. Every expression compiled here holds
        each of its parts once: one that repeats a part (``when(e.is_finite()).then(e)``,
        ``e.fill_nan(None)``) grows exponentially with nesting."""
        return expr.replace([math.inf, -math.inf, math.nan], None)

    def compile(self, node: ast.expr, in_arithmetic: bool = False) -> "pl.Expr":
        """Compile ``node``; an arithmetic chain is checked for non-finite values once, where
        it ends (``in_arithmetic`` is true inside it)."""
        pl = self.pl
        arithmetic = isinstance(node, ast.BinOp) or (
            isinstance(node, ast.UnaryOp) and not isinstance(node.op, ast.Not))
        if arithmetic and not in_arithmetic:
            return self.finite(self.compile(node, in_arithmetic=True))
        if isinstance(node, ast.Constant):
            value = node.value
            return pl.lit(float(value) if value_kind(value) == "number" else value)
        if isinstance(node, ast.Name):
            if node.id in self.expression.constants:
                varying = self.parameter(node.id)
                if varying is not None:
                    return varying
                value = self.expression.constants[node.id]
                return pl.lit(float(value) if value_kind(value) == "number" else value)
            return self.column(node.id, self.expression.names.get(node.id, "number"))
        if isinstance(node, ast.BinOp):
            first, links = _chain(node)
            result = self.compile(first, True)
            for link in links:
                result = self.operation(link, result)
            return result
        if isinstance(node, ast.UnaryOp):
            operand = self.compile(node.operand, isinstance(node.op, (ast.USub, ast.UAdd)))
            if isinstance(node.op, ast.Not):
                return operand.not_()
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BoolOp):
            parts = [self.compile(v) for v in node.values]
            combined = parts[0]
            for part in parts[1:]:
                combined = (combined & part) if isinstance(node.op, ast.And) else (combined | part)
            return combined
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            results = [self.compare(op, left, right)
                       for op, left, right in zip(node.ops, operands, operands[1:])]
            combined = results[0]
            for result in results[1:]:
                combined = combined & result
            return combined
        if isinstance(node, ast.IfExp):
            return (pl.when(self.compile(node.test)).then(self.compile(node.body))
                    .otherwise(self.compile(node.orelse)))
        if isinstance(node, ast.Call):
            function = self.expression.functions[node.func.id]
            literal_from = function.literal_from
            return function.vector(*(
                _constant_number(a, self.expression.constants)
                if literal_from is not None and i >= literal_from else self.compile(a)
                for i, a in enumerate(node.args)))
        raise ExpressionError(_forbidden(node))  # unreachable after checking

    def operation(self, node: ast.BinOp, left: "pl.Expr") -> "pl.Expr":
        """``left`` (the chain so far) combined with ``node.right`` by ``node.op``."""
        if isinstance(node.op, ast.Div):
            divisor = self.constant(node.right)
            if divisor == 0:
                return self.pl.lit(None, self.pl.Float64)
            if divisor is not None:
                return left / divisor_column(divisor)
            return left / self.compile(node.right, True).replace(0.0, None)  # x / 0 is null
        right = self.compile(node.right, True)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        # checked at once: implementations differ on powers of infinities (polars takes
        # x ** 0.5 as a square root: NaN for -inf, where IEEE pow gives inf)
        return self.finite(left.pow(right))

    def constant(self, node: ast.expr) -> float | None:
        """The value of ``node`` when it is the same for every account: numbers written in
        the expression and parameters that no segment changes."""
        if any(isinstance(n, ast.Name) and self.parameter(n.id) is not None
               for n in ast.walk(node)):
            return None
        return _constant_number(node, self.expression.constants)

    def compare(self, op: ast.cmpop, left_node: ast.expr, right_node: ast.expr) -> "pl.Expr":
        left = self.compile(left_node)
        if type(op) in _MEMBERSHIP:
            values = [_literal(e) for e in right_node.elts]  # type: ignore[attr-defined]
            member = left.is_in(values)  # null for a null value
            return member if isinstance(op, ast.In) else member.not_()
        right = self.compile(right_node)
        return {ast.Eq: left.eq, ast.NotEq: left.ne, ast.Lt: left.lt, ast.LtE: left.le,
                ast.Gt: left.gt, ast.GtE: left.ge}[type(op)](right)
