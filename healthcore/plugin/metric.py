"""What a metric is: the object plugins register through ``healthcore_register_metrics``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Literal, Mapping

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


@dataclass(frozen=True)
class Metric:
    """A computation that turns an account's fields into an indicator's raw value.

    Attributes:
        name: how rulesets name it (``metric: nps``); lower case, digits and ``_``.
        summary: one line for ``healthcore plugins``.
        compute: vectorized (the default): ``compute(inputs, params)`` receives a polars
            expression per input and the parameters (defaults filled in) and returns a polars
            expression or a :class:`Computed`, giving one number per account (a single value
            for all, such as ``x.sum()``, true/false and text are faults). With
            ``per_account=True``: ``compute(values, params)`` receives one account's prepared
            values (float, str, bool or None) and returns a number, None or a
            :class:`Computed` of Python values; the engine maps it over the accounts, which is
            far slower.
        parameters: JSON Schema of the ``params`` object, with ``default`` and
            ``description`` for each property; rulesets are validated against it.
        inputs: which parameters name an input field (or hold an expression), and the kind
            of that input.
        description: the formula and details, for documentation.
        plugin: set by healthcore to the name of the plugin that registered the metric.
    """

    name: str
    summary: str
    compute: Callable[..., Any]
    parameters: Mapping[str, Any] = field(default_factory=lambda: {"type": "object"})
    inputs: Mapping[str, InputKind] = field(default_factory=dict)
    per_account: bool = False
    description: str = ""
    plugin: str = ""

    def with_defaults(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """``params`` completed with the defaults of the parameter schema."""
        filled = {name: spec["default"]
                  for name, spec in self.parameters.get("properties", {}).items()
                  if isinstance(spec, dict) and "default" in spec}
        filled.update(params)
        return filled
