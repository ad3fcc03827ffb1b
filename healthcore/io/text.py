"""Decoding account files: UTF-8 (with or without a byte-order mark), UTF-16 named by its
byte-order mark, or the encoding given; errors name the file, the line and the byte."""

from __future__ import annotations

import codecs

from healthcore.errors import InputError


def bom_encoding(data: bytes) -> str | None:
    """``utf-16`` when ``data`` starts with a UTF-16 byte-order mark (either byte order)."""
    return "utf-16" if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else None


def check_utf8(data: bytes, name: str) -> None:
    """Raise an InputError naming the line of the first byte that is not UTF-8."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _not_utf8(data, exc, name) from None


def _not_utf8(data: bytes, exc: UnicodeDecodeError, name: str) -> InputError:
    line = data[: exc.start].count(b"\n") + 1
    return InputError(f"{name}:{line}: byte 0x{data[exc.start]:02x} is not valid UTF-8; save "
                      "the file as UTF-8, or give its encoding (such as encoding='latin-1')")


def decode(data: bytes, name: str, encoding: str | None = None) -> str:
    """``data`` as text in ``encoding`` (UTF-8 by default, a byte-order mark skipped)."""
    if encoding in (None, "utf-8"):
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _not_utf8(data, exc, name) from None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"{name}:{line}: byte 0x{data[exc.start]:02x} is not valid "
                         f"{encoding}; check the file's encoding") from None
    except UnicodeError as exc:  # codecs meant for other things than files, such as idna
        raise InputError(f"{name}: cannot be read as {encoding}: {exc}") from None
    return text.removeprefix("\ufeff")
