"""A record, on disk, of the documents found valid against a JSON Schema, so that loading an
unchanged ruleset again needs neither to import the validator nor to run it.

A (schema, document) pair is recorded once it validated without a single error, under the
SHA-256 of the schema, of the document in a canonical form that keeps every type apart (``1``,
``1.0`` and ``true``; a list and a tuple), and of the installed validator's version; a pair
found invalid is never recorded, so every error is still found and explained. The record is a
directory of empty files named by those digests, in ``$HEALTHCORE_CACHE_DIR`` or else
``$XDG_CACHE_HOME/healthcore`` or ``~/.cache/healthcore``; a directory that cannot be read or
written only means that the documents are validated every time. The record holds at most
:data:`MAX_RECORDS` pairs: when it is full, it is emptied before the next pair is recorded.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

CACHE_ENV = "HEALTHCORE_CACHE_DIR"
"""Where healthcore keeps what it caches between runs (the environment variable)."""
MAX_RECORDS = 10_000


class _Uncanonical(Exception):
    """A value of a type the canonical form does not cover: the pair is not recorded."""


def key(schema_json: str, document: Any) -> str | None:
    """The digest under which ``document`` valid against the schema ``schema_json`` (its JSON
    text) is recorded; None when the document holds a value of another type than the JSON ones
    (and tuples), or the validator is not installed."""
    try:
        canonical = _canonical(document)
    except (_Uncanonical, RecursionError, ValueError):  # ValueError: an int too long for text
        return None
    validator = _validator_version()
    if validator is None:
        return None
    digest = hashlib.sha256()
    for part in (validator, schema_json, canonical):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()


def known_valid(digest: str) -> bool:
    """Whether the pair of ``digest`` was recorded as valid."""
    directory = _directory()
    return directory is not None and (directory / digest).is_file()


def record_valid(digest: str) -> None:
    """Record the pair of ``digest`` as valid, if the directory can be written."""
    directory = _directory()
    if directory is None:
        return
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        recorded = os.listdir(directory)
        if len(recorded) >= MAX_RECORDS:
            for name in recorded:
                (directory / name).unlink(missing_ok=True)
        (directory / digest).touch()
    except OSError:
        pass


def _directory() -> Path | None:
    configured = os.environ.get(CACHE_ENV)
    if configured:
        base = Path(configured)
    elif os.environ.get("XDG_CACHE_HOME"):
        base = Path(os.environ["XDG_CACHE_HOME"]) / "healthcore"
    else:
        try:
            base = Path.home() / ".cache" / "healthcore"
        except RuntimeError:  # no home directory
            return None
    return base / "valid-documents"


@cache
def _validator_version() -> str | None:
    """What identifies the installed jsonschema without importing it: where its code is, and
    the size and time of change of that file (an upgrade changes them)."""
    spec = find_spec("jsonschema")
    if spec is None or spec.origin is None:
        return None
    try:
        status = os.stat(spec.origin)
    except OSError:
        return None
    return f"jsonschema {spec.origin} {status.st_size} {status.st_mtime_ns}"


def _canonical(value: Any) -> str:
    """``value`` as text that tells every JSON type (and tuples) apart, mapping keys sorted."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if type(value) is int:
        return f"i{value}"
    if type(value) is float:
        return f"f{value!r}"
    if type(value) is str:
        return json.dumps(value)
    if type(value) is list:
        return "[" + ",".join(_canonical(item) for item in value) + "]"
    if type(value) is tuple:
        return "(" + ",".join(_canonical(item) for item in value) + ")"
    if type(value) is dict:
        items = sorted((_canonical(name), _canonical(item)) for name, item in value.items())
        return "{" + ",".join(f"{name}:{item}" for name, item in items) + "}"
    raise _Uncanonical(type(value).__name__)
