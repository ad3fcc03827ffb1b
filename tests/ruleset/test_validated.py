"""A ruleset found valid is recorded, so that loading it unchanged again skips the JSON Schema
validation; an invalid one is validated and explained every time, the same way."""

from __future__ import annotations

from pathlib import Path

import pytest

from healthcore.errors import RulesetError
from healthcore.ruleset import loads_ruleset
from healthcore.ruleset import validated
from healthcore.ruleset.validated import CACHE_ENV, key

from helpers import SAAS

VALID = Path(SAAS).read_text(encoding="utf-8")
INVALID = VALID.replace("healthcore: 1", "healthcore: 1\nunknown_key: 3", 1)


def outline(ruleset) -> tuple:
    """What a loaded ruleset is made of, by id."""
    return (ruleset.name, [(i.id, i.weight) for i in ruleset.indicators],
            [(a.id, a.points) for a in ruleset.actions], [t.name for t in ruleset.tiers])


def messages(text: str) -> list[str]:
    with pytest.raises(RulesetError) as caught:
        loads_ruleset(text)
    return [f"{d.line}:{d.column} {d.code} {d.message}" for d in caught.value.diagnostics]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_a_valid_ruleset_loads_the_same_once_recorded(cache: Path) -> None:
    first = outline(loads_ruleset(VALID))
    assert any(cache.rglob("*"))
    assert outline(loads_ruleset(VALID)) == first


def test_an_invalid_ruleset_is_explained_every_time(cache: Path) -> None:
    loads_ruleset(VALID)
    expected = messages(INVALID)
    assert any("unknown key 'unknown_key'" in message for message in expected)
    assert messages(INVALID) == expected


def test_a_cache_that_cannot_be_written_only_costs_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    monkeypatch.setenv(CACHE_ENV, str(blocked))
    assert outline(loads_ruleset(VALID)) == outline(loads_ruleset(VALID))
    assert messages(INVALID) == messages(INVALID)


def test_a_full_record_is_emptied_and_starts_again(
        cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validated, "MAX_RECORDS", 3)
    for weight in (1, 2, 3, 4):
        loads_ruleset(VALID.replace("weight: 20", f"weight: {20 + weight}", 1))
    assert 1 <= len(list(cache.rglob("*/*"))) <= 3
    assert messages(INVALID) == messages(INVALID)


@pytest.mark.parametrize("documents", [
    ({"a": 1}, {"a": 1.0}, {"a": True}, {"a": "1"}, {"a": [1]}, {"a": (1,)}, {"a": None}),
    ({"1": "x"}, {1: "x"}, {True: "x"}),
    ([0], [False], [0.0], [-0.0]),
])
def test_values_of_different_types_are_never_taken_for_each_other(documents) -> None:
    schema = '{"type": "object"}'
    assert len({key(schema, document) for document in documents}) == len(documents)


def test_a_document_of_other_types_is_not_recorded() -> None:
    assert key('{"type": "object"}', {"a": {1, 2}}) is None
