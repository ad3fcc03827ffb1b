"""The optional dependencies, installed as extras of the ``healthcore`` distribution.

Scoring, the command line and a SQLite history need none of them; a feature that needs one
calls :func:`require` before using it, so that a missing one is a :class:`MissingExtraError`
naming the extra to install, not a bare ``ImportError``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType

from healthcore.errors import HealthcoreError


@dataclass(frozen=True)
class Extra:
    """An optional dependency: the ``extra`` of healthcore that installs the distribution
    ``package``, which provides the module ``module``."""

    module: str
    package: str
    extra: str


EXTRAS = {extra.module: extra for extra in (
    Extra(module="psycopg", package="psycopg", extra="postgres"),
    Extra(module="sklearn", package="scikit-learn", extra="analysis"),
    Extra(module="plotly", package="plotly", extra="report"),
)}
"""Every optional dependency, by the module it provides (the extra ``all`` installs them all)."""


class MissingExtraError(HealthcoreError):
    """A feature needs an optional dependency that is not installed; the message says which
    extra installs it."""

    def __init__(self, feature: str, extra: Extra):
        self.feature = feature
        self.extra = extra
        super().__init__(f"{feature} needs {extra.package}: "
                         f"pip install 'healthcore[{extra.extra}]'")


def require(module: str, feature: str) -> ModuleType:
    """The optional module ``module`` (a key of :data:`EXTRAS`), imported; a
    :class:`MissingExtraError` naming ``feature`` (what needs it, such as ``"calibrate"``) and
    the extra to install when it cannot be imported."""
    extra = EXTRAS[module]
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtraError(feature, extra) from None
