"""Preparing account fields for metrics and expressions, column-wise.

A field is read as a kind (number, count, text, boolean). A value that cannot be read as that kind
(text or true/false in a number field, NaN, infinity, a negative count) becomes null and yields a
problem message that names the field and the value; a blank value is simply missing.
"""

from __future__ import annotations

import polars as pl

from healthcore.engine.reasons import Problem, clean, clean_column

_TRUE = ("true", "yes", "y", "t", "1")
_FALSE = ("false", "no", "n", "f", "0")
_EXPECTED = {"number": "is not a number", "count": "is not a valid count (a number, 0 or more)",
             "boolean": "is not true/false (use true, false, yes, no, 1 or 0)"}


_DTYPES = {"number": pl.Float64, "count": pl.Float64, "text": pl.String, "boolean": pl.Boolean,
           "numbers": pl.List(pl.Float64), "any": pl.Null}
LIST_SEPARATORS = r"[;,|\s]+"
"""How a text cell (CSV) holds a list of numbers: ``9;10;7``, ``9, 10, 7``, ``9|10|7`` or
``[9, 10, 7]``; a blank cell is missing, ``[]`` an empty list."""


def missing_field(field: str, kind: str) -> tuple[pl.Expr, Problem]:
    """Value and problem columns for a field that is not in the input at all."""
    return pl.lit(None, _DTYPES[kind]), Problem(pl.lit(f"field '{field}' is not in the input"),
                                                pl.lit(True))


def prepare(field: str, kind: str, dtype: pl.DataType) -> tuple[pl.Expr, Problem | None]:
    """The column ``field`` read as ``kind``, and a column of problem messages (or None)."""
    column = pl.col(field)
    if kind == "any":
        return column, None
    if kind == "numbers":
        return _numbers(field, column, dtype)
    if dtype == pl.Boolean and kind in ("number", "count"):  # true is not 1: named as text
        column, dtype = column.cast(pl.String), pl.String
    if kind == "text":  # spaces around a value are ignored, as for numbers
        if dtype == pl.String:
            return column.str.strip_chars(), None
        if not readable_as_text(dtype):
            return pl.lit(None, pl.String), Problem.when(
                column.is_not_null(), pl.lit(f"field '{field}' holds {dtype}, not text"))
        return column.cast(pl.String).str.strip_chars(), None
    if dtype == pl.String:
        text = column.str.strip_chars()
        present = text.str.len_chars() > 0
        shown = column
    elif dtype.is_numeric() or dtype == pl.Boolean:
        text, present, shown = None, column.is_not_null(), column.cast(pl.String)
    else:
        wanted = "true/false values" if kind == "boolean" else "numbers"
        message = f"field '{field}' holds {dtype}, not {wanted}"
        return pl.lit(None, _DTYPES[kind]), Problem.when(column.is_not_null(), pl.lit(message))
    if kind == "boolean":
        if dtype == pl.Boolean:
            value = column
        elif text is None:
            number = column.cast(pl.Float64)  # decimals have no is_finite
            value = pl.when(number.is_finite()).then(number != 0)
        else:
            lowered = text.str.to_lowercase()
            value = (pl.when(lowered.is_in(_TRUE)).then(True)
                     .when(lowered.is_in(_FALSE)).then(False).otherwise(None))
    elif dtype.is_integer():  # always finite
        number = column.cast(pl.Float64)
        if kind == "number":
            return number, None  # nothing can be wrong with it
        value = pl.when(number >= 0).then(number)
    else:
        number = column.cast(pl.Float64) if text is None else text.cast(pl.Float64, strict=False)
        valid = number.is_finite()
        if kind == "count":
            valid = valid & (number >= 0)
        value = pl.when(valid).then(number)
    # formatted from a value that is null unless it is wrong: cheap when nearly all are right
    wrong = present & value.is_null()
    problem = pl.format(clean(f"field '{field}': {{}} {_EXPECTED[kind]}"),
                        _quoted(pl.when(wrong).then(shown), dtype))
    return value, Problem(problem, wrong)


def _numbers(field: str, column: pl.Expr, dtype: pl.DataType) -> tuple[pl.Expr, Problem]:
    """A list of finite numbers (missing elements dropped); any other element makes the whole
    value wrong."""
    message = f"field '{field}': {{}} is not a list of numbers"
    if dtype == pl.String:
        text = column.str.strip_chars()
        inner = text.str.strip_prefix("[").str.strip_suffix("]").str.strip_chars()
        items = (pl.when(inner.str.len_chars() > 0)
                 .then(inner.str.replace_all(LIST_SEPARATORS, ";").str.split(";"))
                 .when(text.str.len_chars() > 0).then(pl.lit([], pl.List(pl.String))))
        numbers = items.list.eval(pl.element().cast(pl.Float64, strict=False))
        wrong = numbers.list.eval(pl.element().is_finite().not_().fill_null(True)).list.any()
        problem = pl.format(clean(message), _quoted(pl.when(wrong).then(column), dtype))
        return pl.when(wrong.not_()).then(numbers), Problem(problem, wrong)
    if isinstance(dtype, pl.List) and (dtype.inner.is_numeric() or dtype.inner == pl.String
                                       or dtype.inner == pl.Null):
        numbers = column.list.eval(pl.element().cast(pl.Float64, strict=False))
        wrong = (column.list.eval(pl.element().is_not_null()
                                  & pl.element().cast(pl.Float64, strict=False)
                                  .is_finite().not_().fill_null(True)).list.any())
        problem = pl.format(clean(message), pl.when(wrong).then(column.cast(pl.List(pl.String))
                                                               .list.join(", ")))
        return pl.when(wrong.not_()).then(numbers.list.drop_nulls()), Problem(problem, wrong)
    return pl.lit(None, _DTYPES["numbers"]), Problem.when(
        column.is_not_null(), pl.lit(f"field '{field}' holds {dtype}, not lists of numbers"))


def readable_as_text(dtype: pl.DataType) -> bool:
    """Whether values of ``dtype`` read as text (lists, structs, durations and bytes do not)."""
    return (dtype.is_numeric() or dtype.is_temporal() and dtype != pl.Duration
            or dtype in (pl.String, pl.Boolean, pl.Categorical, pl.Null)
            or isinstance(dtype, pl.Enum))


def _quoted(shown: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if dtype == pl.String:
        return pl.concat_str(pl.lit("'"), clean_column(shown.str.slice(0, 60)), pl.lit("'"))
    return shown


MEMORY_FACTOR = 3
"""How many times its size in bytes a file of accounts may take in memory once read (text
cells, their offsets and the results); a file needing more than the memory available is
refused before it is read."""


def available_memory() -> int | None:
    """The bytes this process may still allocate: the lower of the free physical memory and
    its address-space limit (``ulimit -v``) less what it already uses; None when unknown."""
    import os
    import resource

    found = []
    try:
        found.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        pass
    limit = resource.getrlimit(resource.RLIMIT_AS)[0]
    if limit != resource.RLIM_INFINITY:
        try:
            with open("/proc/self/statm") as statm:
                used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            used = 0
        found.append(max(limit - used, 0))
    return min(found) if found else None


def too_large(size: int, what: str) -> str | None:
    """Why an input of ``size`` bytes cannot be read in the memory available, or None."""
    available = available_memory()
    if available is None or size * MEMORY_FACTOR <= available:
        return None
    return (f"{what} holds {size:,} bytes and needs about {size * MEMORY_FACTOR:,} bytes of "
            f"memory once read, more than the {available:,} available: {OUT_OF_MEMORY_ADVICE}")


OUT_OF_MEMORY_ADVICE = ("give fewer accounts at a time (split the file into batches), keep only "
                        "the columns the ruleset reads, or run with more memory")


def out_of_memory(accounts: int | None, columns: int | None, size: int | None,
                  what: str) -> str:
    """The message of a run that ran out of memory, with the size of its input."""
    parts = []
    if accounts is not None:
        parts.append(f"{accounts:,} accounts of {columns:,} columns")
    if size is not None:
        parts.append(f"{size:,} bytes")
    told = f" ({', '.join(parts)})" if parts else ""
    return f"out of memory while scoring {what}{told}: {OUT_OF_MEMORY_ADVICE}"


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` says that memory ran out (Python's MemoryError, or polars' errors of a
    failed allocation)."""
    if isinstance(exc, MemoryError):
        return True
    text = str(exc).lower()
    return any(words in text for words in ("memory allocation", "capacity overflow",
                                           "out of memory", "cannot allocate memory"))
