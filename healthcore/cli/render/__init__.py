"""Everything the CLI shows people: tables, panels and numbers, one module per kind of output
(:mod:`.results`, :mod:`.analysis`, :mod:`.explain`, :mod:`.history`, :mod:`.plugins`; numbers
in :mod:`.numbers`). The library returns data; this package turns it into text.

Here: the cells every table shares (text shown as written, never as terminal controls or rich
markup) and aligned plain-text columns."""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from rich.text import Text

_RICH_COLORS = {"orange": "dark_orange", "purple": "purple", "gray": "grey50", "grey": "grey50"}

_ESCAPED = {code: f"\\x{code:02x}" for code in (*range(0x20), *range(0x7f, 0xa0))}


def printable(text: str) -> str:
    """``text`` with each control character (C0, DEL and C1: ESC, BEL, CR, newline...) written
    as an escape such as ``\\x1b``, so that no id, value or label can clear the screen, move
    the cursor or retitle the terminal it is shown on."""
    return text.translate(_ESCAPED)


def text_cell(value: str | None, style: str = "") -> "Text":
    """A table cell showing ``value`` as it is: control characters escaped, rich markup not
    interpreted."""
    from rich.text import Text

    return Text(printable(value or ""), style=style)


def rich_color(color: str | None) -> str:
    """The rich style for a ruleset tier color."""
    if not color:
        return ""
    return _RICH_COLORS.get(color, color)


def columns(header: Sequence[str], rows: Sequence[Sequence[str]], left: tuple[int, ...] = (0,),
            indent: str = "  ") -> list[str]:
    """Aligned text columns: those numbered in ``left`` to the left, the others to the right;
    each line after ``indent``, without trailing spaces."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        return indent + "  ".join(c.ljust(w) if i in left else c.rjust(w)
                                  for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    return [line(header), *(line(r) for r in rows)]
