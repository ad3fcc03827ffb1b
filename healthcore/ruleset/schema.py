"""JSON Schema validation of rulesets and of metric parameters, with author-friendly messages."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from healthcore.errors import Diagnostic, DocPath, did_you_mean
from healthcore.ruleset import validated
from healthcore.ruleset.source import SourceMap


def schema_path(name: str) -> Path:
    """Where a bundled schema file is: inside the installed package, or in the source tree."""
    packaged = resources.files("healthcore") / "schemas" / name
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "schemas" / name


@cache
def ruleset_schema() -> dict[str, Any]:
    """The JSON Schema of ruleset format 1."""
    return json.loads(schema_path("ruleset.schema.json").read_text(encoding="utf-8"))


@cache
def _validator(schema_json: str):
    """A validator for a schema already known to be valid (the bundled ruleset schema is
    checked by the test suite, a metric's parameter schema when its plugin registers it)."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator(json.loads(schema_json))


def validate(instance: Any, schema: dict[str, Any], source: SourceMap,
             base: DocPath = ()) -> list[Diagnostic]:
    """Every violation of ``schema`` by ``instance`` (found at ``base`` in ``source``); none,
    without validating again, for a pair recorded valid (:mod:`healthcore.ruleset.validated`)."""
    schema_json = json.dumps(schema, sort_keys=True)
    digest = validated.key(schema_json, instance)
    if digest is not None and validated.known_valid(digest):
        return []
    validator = _validator(schema_json)
    found = []
    for error in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.path))):
        path = base + tuple(error.absolute_path)
        message, key_path = _explain(error, schema)
        if key_path is not None:
            found.append(source.diagnostic(path + (key_path,), message, key=True, code="schema"))
        else:
            found.append(source.diagnostic(path, message, code="schema"))
    if not found and digest is not None:
        validated.record_valid(digest)
    return found


def _explain(error, root: dict[str, Any]) -> tuple[str, str | None]:
    """A message for one schema error, and the offending key when the error is about a key."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = list(schema.get("properties", {}))
        extras = [k for k in error.instance if k not in allowed]
        known = root.get("properties", {}) if not error.path else {}
        if extras and extras[0] in known and {"then", "else"} & set(map(str, error.schema_path)):
            # a branch of alternatives (if/then/else): the key exists, but not with these
            given = ", ".join(repr(k) for k in error.instance if k in allowed)
            return (f"'{extras[0]}' does not go with the other parameters given here ({given}): "
                    "the parameters come in alternative sets; keep one set"), extras[0]
        if extras:
            key = extras[0]
            hint = did_you_mean(key, allowed) or f" (allowed here: {', '.join(allowed)})"
            return f"unknown key '{key}'{hint}", key
    if error.validator == "maxProperties" and "linear" in schema.get("properties", {}):
        return "give exactly one normalizer: linear, bands, target or expression", None
    if error.validator == "minProperties" and "linear" in schema.get("properties", {}):
        return "give a normalizer: linear, bands, target or expression", None
    if error.validator == "oneOf" and "min" in schema.get("properties", {}):
        return "a tier needs exactly one of 'min' (a score) or 'percentile' (a rank)", None
    if error.validator == "oneOf" and "'below'" in str(error.validator_value):
        return "an indicator alert needs exactly one of 'below' or 'above'", None
    if error.validator == "anyOf" and error.path and error.path[-1] == "color":
        return (f"{error.instance!r} is not a color: use green, yellow, orange, red, blue, "
                "cyan, magenta, purple, gray, white, black or #rrggbb"), None
    if error.validator == "anyOf" and isinstance(error.instance, (list, dict)):
        return "use a number, true/false or text here", None
    if error.validator == "pattern" and error.path and error.path[-1] in ("id", "name"):
        return (f"{error.instance!r} is not a valid name: start with a letter, then letters, "
                "digits or '_'"), None
    if error.validator == "not" and "exclusiveMaximum" in error.validator_value:
        smallest = error.validator_value["exclusiveMaximum"]
        return (f"the weight {error.instance!r} is too small for an exact weighted mean: give 0 "
                f"(left out of the score) or at least {smallest:g}"), None
    if error.validator == "const" and error.path and error.path[-1] == "healthcore":
        return f"format version {error.instance!r} is not supported: write 'healthcore: 1'", None
    if error.validator == "maxItems" and isinstance(error.instance, list):
        what = error.path[-1] if error.path and isinstance(error.path[-1], str) else "items"
        return (f"{len(error.instance)} {what}: at most {error.validator_value} are allowed "
                "here"), None
    if error.validator == "maxLength":
        return f"the text is longer than {error.validator_value} characters", None
    if error.validator == "required":
        return error.message.replace("is a required property", "is required"), None
    return error.message, None
