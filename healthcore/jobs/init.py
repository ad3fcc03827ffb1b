"""A new ruleset's fields checked against a sample of accounts: the check of
``healthcore init --sample``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from healthcore.authoring.advice import advise
from healthcore.ruleset import load_ruleset

if TYPE_CHECKING:
    import polars as pl

    from healthcore.errors import Diagnostic
    from healthcore.plugin.registry import Registry

FIELD_CODES = ("missing-field", "empty-field")
"""The advice saying that a field the ruleset reads is not in the sample, or always empty."""


def missing_fields(ruleset: str | Path, sample: "pl.DataFrame", sample_name: str | None = None,
                   registry: "Registry | None" = None) -> list["Diagnostic"]:
    """The fields the ruleset at ``ruleset`` reads that the accounts ``sample`` (named
    ``sample_name`` in the warnings) lack, or have empty in every account. Raises
    :class:`~healthcore.errors.RulesetError` if the ruleset does not load (with the plugins of
    ``registry``)."""
    compiled = load_ruleset(ruleset, registry=registry)
    return [warning for warning in advise(compiled, sample=sample, sample_name=sample_name)
            if warning.code in FIELD_CODES]
