"""Numbers as the CLI shows them; ``-`` (or nothing) where there is no value."""

from __future__ import annotations


def fixed(value: float | None, digits: int = 3, *, missing: str = "-") -> str:
    """``value`` with ``digits`` decimals, or ``missing``."""
    return missing if value is None else f"{value:.{digits}f}"


def percent(share: float | None) -> str:
    """A share (0.265) as ``26.5 %``, or ``-``."""
    return "-" if share is None else f"{share * 100:.1f} %"


def signed(value: float | None, digits: int = 1, *, missing: str = "") -> str:
    """``value`` with its sign (``+1.5``, ``-0.3``), or ``missing``."""
    return missing if value is None else f"{value:+.{digits}f}"


def shift(value: float) -> str:
    """A score shift with two decimals and its sign; no sign for zero (``0.00``)."""
    text = f"{value:+.2f}"
    return "0.00" if text in ("+0.00", "-0.00") else text


def trimmed(value: float, digits: int) -> str:
    """``value`` with at most ``digits`` decimals, trailing zeros dropped (``0.25``, ``3``)."""
    text = f"{value:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
