"""What a metric is: the object plugins register through ``healthcore_register_metrics``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Mapping, Protocol, Union

if TYPE_CHECKING:
    import polars as pl

InputKind = Literal["number", "count", "numbers", "text", "boolean", "expression"]
"""How the engine prepares an input before a metric sees it.

``number``: a finite number (text that is not a number, NaN and infinity become null and are
reported on the account). ``count``: a number that is 0 or more. ``numbers``: a list of finite
numbers (a ``List(Float64)`` column; from JSON/Parquet lists, or CSV cells such as ``9;10;7``).
``text``, ``boolean``: as named. ``expression``: the parameter holds a ruleset expression,
compiled by the engine.
"""


@dataclass(frozen=True)
class Computed:
    """A metric's result with per-account problems.

    Where ``invalid`` (a boolean expression) is true, the value is dropped and ``problem`` (a
    text, or an expression of text) is reported on the account. ``invalid`` is all the scores
    need; ``problem`` is only built for the explanation, so it may format values freely.

    A per-account metric returns one of Python values for its account: ``value`` a number or
    None, ``invalid`` True, False or None, ``problem`` a text or None.
    """

    value: "pl.Expr | float | None"
    invalid: "pl.Expr | bool | None" = None
    problem: "pl.Expr | str | None" = None


AccountValue = Union[float, str, bool, None]
"""One prepared input value of one account, as a per-account metric receives it."""


class VectorCompute(Protocol):
    """A vectorized metric's computation (the default, and the fast path): a polars expression
    per input and the parameters (defaults filled in) in, one expression giving one number per
    account out, or a :class:`Computed` whose parts are expressions."""

    def __call__(self, inputs: dict[str, "pl.Expr"], params: dict[str, Any], /
                 ) -> "pl.Expr | Computed":
        ...


class AccountCompute(Protocol):
    """A per-account metric's computation (``per_account=True``): one account's prepared
    values and the parameters in, a number, None or a :class:`Computed` of Python values out."""

    def __call__(self, values: dict[str, AccountValue], params: dict[str, Any], /
                 ) -> "float | None | Computed":
        ...


Compute = Union[VectorCompute, AccountCompute]
"""A metric's ``compute``: :class:`VectorCompute`, or :class:`AccountCompute` with
``per_account=True``."""


@dataclass(frozen=True)
class Metric:
    """A computation that turns an account's fields into an indicator's raw value.

    Attributes:
        name: how rulesets name it (``metric: nps``); lower case, digits and ``_``.
        summary: one line for ``healthcore plugins``.
        compute: vectorized (the default, :class:`VectorCompute`): ``compute(inputs,
            params)`` receives a polars expression per input and the parameters (defaults
            filled in) and returns a polars expression or a :class:`Computed`, giving one
            number per account (a single value for all, such as ``x.sum()``, true/false and
            text are faults). With ``per_account=True`` (:class:`AccountCompute`):
            ``compute(values, params)`` receives one account's prepared values (float, str,
            bool or None) and returns a number, None or a :class:`Computed` of Python values;
            the engine maps it over the accounts, which is far slower.
        parameters: JSON Schema of the ``params`` object, with ``default`` and
            ``description`` for each property; rulesets are validated against it.
        inputs: which parameters name an input field (or hold an expression), and the kind
            of that input.
        description: the formula and details, for documentation.
        plugin: set by healthcore to the name of the plugin that registered the metric.
    """

    name: str
    summary: str
    compute: Compute
    parameters: Mapping[str, Any] = field(default_factory=lambda: {"type": "object"})
    inputs: Mapping[str, InputKind] = field(default_factory=dict)
    per_account: bool = False
    description: str = ""
    plugin: str = ""

    def with_defaults(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """``params`` completed with the defaults of the parameter schema (what ``compute``
        receives); an object parameter is completed with the defaults of its own properties,
        and is there, with those, when not given."""
        return _with_defaults(self.parameters, params)


def _with_defaults(schema: Mapping[str, Any], value: Mapping[str, Any]) -> dict[str, Any]:
    """``value`` completed with the ``default`` of each property of ``schema``, and each
    object property with the defaults of its own properties (given or not)."""
    properties = {name: spec for name, spec in schema.get("properties", {}).items()
                  if isinstance(spec, Mapping)}
    filled = {name: spec["default"] for name, spec in properties.items() if "default" in spec}
    filled.update(value)
    for name, spec in properties.items():
        inner = filled.get(name, {})
        if isinstance(inner, Mapping) and _has_defaults(spec):
            filled[name] = _with_defaults(spec, inner)
    return filled


def _has_defaults(schema: Mapping[str, Any]) -> bool:
    """Whether some property of ``schema`` has a default."""
    return any(isinstance(spec, Mapping) and "default" in spec
               for spec in schema.get("properties", {}).values())
