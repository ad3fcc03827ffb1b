"""The accounts given to the engine: their id field, the fields and parameters they hold, and
the values of earlier runs that ``previous(...)`` reads."""

from __future__ import annotations

import polars as pl

from healthcore.engine.columns import HIDDEN
from healthcore.engine.inputs import readable_as_text
from healthcore.errors import InputError, did_you_mean
from healthcore.ruleset import Ruleset


def checked_ids(ruleset: Ruleset, frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` once its field of account ids is found and holds text or numbers (an
    :class:`InputError` otherwise); no accounts at all stand for an empty table of ids."""
    if ruleset.account_id not in frame.columns:
        if frame.height == 0 and not frame.columns:
            return pl.DataFrame({ruleset.account_id: []}, schema={ruleset.account_id: pl.String})
        hint = did_you_mean(ruleset.account_id, frame.columns)
        raise InputError(f"the accounts have no field '{ruleset.account_id}', which the "
                         f"ruleset names as account_id{hint}; fields found: "
                         f"{', '.join(frame.columns[:20])}")
    id_type = frame.schema[ruleset.account_id]
    if not readable_as_text(id_type) or id_type == pl.Boolean:
        raise InputError(f"the accounts' '{ruleset.account_id}' (their ids) holds {id_type}: "
                         "an account id is text or a number")
    return frame


def missing_fields(ruleset: Ruleset, columns: list[str]) -> list[str]:
    """A warning for each field the ruleset reads that the accounts do not have."""
    return [f"field '{name}' is not in the input{did_you_mean(name, columns)}: the "
            "indicators and actions reading it have no value for any account"
            for name in ruleset.fields() if name not in columns]


def has_an_id(frame: pl.DataFrame, account_id: str) -> pl.Expr:
    """Whether each account has an id: not missing, blank (spaces only), NaN or infinite."""
    column, dtype = pl.col(account_id), frame.schema[account_id]
    if dtype.is_float():
        return column.is_finite().fill_null(False)
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
        text = column.cast(pl.String)
        blank = text.str.strip_chars().str.len_bytes() == 0
        # a blank id sorts before "!": look for one among those few, not every id
        if frame.lazy().filter(text < "!").select(blank.any()).collect().item():
            return column.is_not_null() & blank.not_()
    return column.is_not_null()


def with_looked_back(ruleset: Ruleset, frame: pl.DataFrame, looked_back: pl.DataFrame | None
                     ) -> tuple[pl.DataFrame, list[str]]:
    """``frame`` with a column per ``previous(...)`` the ruleset reads: from ``looked_back``
    (matched on the account id as text), else empty, with a warning."""
    references = ruleset.history_references
    if not references:
        return frame, []
    dtypes = {name: pl.String if reference == "tier" else pl.Float64
              for name, (reference, _) in references.items()}
    if looked_back is None:
        shown = ", ".join(sorted(references))
        return frame.with_columns(pl.lit(None, dtype).alias(name)
                                  for name, dtype in dtypes.items()), [
            f"the ruleset reads the score history ({shown}) but no history is given: these "
            "have no value (record runs with evaluate --history DB)"]
    key = f"{HIDDEN}key"
    earlier = looked_back.select(pl.col("account_id").cast(pl.String).alias(key),
                                 *(pl.col(name).cast(dtype) for name, dtype in dtypes.items()))
    joined = (frame.drop([name for name in dtypes if name in frame.columns])
              .with_columns(pl.col(ruleset.account_id).cast(pl.String).alias(key))
              .join(earlier.unique(key, keep="first"), on=key, how="left",
                    maintain_order="left")
              .drop(key))
    return joined, []


def reject_shadowed_parameters(ruleset: Ruleset, columns: list[str]) -> None:
    """Refuse a field of the accounts named like a parameter that an expression reads."""
    used = {name for indicator in ruleset.indicators for item in indicator.inputs
            if item.expression is not None for name in item.expression.parameters}
    used |= {name for action in ruleset.actions for name in action.condition.parameters}
    clash = sorted(used & set(ruleset.parameters) & set(columns))
    if clash:
        raise InputError(f"'{clash[0]}' is both a parameter of the ruleset and a field of the "
                         "accounts, so an expression using it is ambiguous; rename one of them")
