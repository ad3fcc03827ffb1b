"""The limits on an expression, checked when it is parsed (documented in docs/rulesets.md)."""

MAX_LENGTH = 2000
"""The most characters an expression may have."""
MAX_DEPTH = 32
"""The deepest an expression may nest (a chain such as ``a + b - c`` is one level)."""
MAX_NODES = 500
"""The most parts (names, numbers, operations, calls) an expression may have."""
MAX_TEXT = 1000
"""The most characters a text in quotes may have."""
MAX_EXPONENT = 100.0
"""The largest exponent of ``**`` (in absolute value)."""
MAX_LOOKBACK_DAYS = 3660
"""The most days ``previous(NAME, DAYS)`` may look back."""
