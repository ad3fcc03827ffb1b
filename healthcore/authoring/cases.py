"""Example accounts that a ruleset declares next to it, with the scores they must get.

``<ruleset stem>.tests.yaml`` beside ``<ruleset stem>.yaml`` lists cases::

    cases:
      - name: busy account, paying on time
        account: {account_id: T-1, seats: 10, active_users_30d: 9, ...}
        expect:
          tier: healthy
          score: [70, 100]        # a range (inclusive), or a number: 81.5
          tolerance: 0.5          # with a number: how far off it may be (default 0.01)
          actions: [referral]     # exactly the actions that fire (any order)
          segment: default
          status: ok              # or error: the account cannot be scored

All the cases of a file are scored together, in one batch, so that percentile tiers work as they
do in production. :func:`load_cases` checks the file and raises
:class:`~healthcore.errors.RulesetError` with every problem at its line and column;
:func:`run_cases` scores the cases and returns one :class:`CaseResult` each.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from healthcore.errors import Diagnostic, RulesetError
from healthcore.errors import did_you_mean
from healthcore.ruleset.source import SourceMap, load_yaml, read_text
from healthcore.engine import score

if TYPE_CHECKING:
    from healthcore.ruleset import Ruleset

TESTS_SUFFIX = ".tests.yaml"
DEFAULT_TOLERANCE = 0.01
CASE_KEYS = ("name", "account", "expect")
EXPECT_KEYS = ("tier", "score", "tolerance", "actions", "segment", "status")


def tests_path(ruleset: str | Path) -> Path:
    """The tests file of a ruleset: ``<stem>.tests.yaml`` beside it."""
    ruleset = Path(ruleset)
    return ruleset.with_name(ruleset.stem + TESTS_SUFFIX)


def ruleset_of(tests: str | Path) -> Path:
    """The ruleset a ``<stem>.tests.yaml`` file belongs to: ``<stem>.yaml`` beside it."""
    tests = Path(tests)
    return tests.with_name(tests.name[: -len(TESTS_SUFFIX)] + ".yaml")


@dataclass(frozen=True)
class Case:
    """One example account and what it must get; ``line`` is where the case starts."""

    name: str
    account: dict[str, Any]
    expect: dict[str, Any]
    line: int | None = None


@dataclass
class CaseResult:
    """The outcome of one case: ``differences`` (what differed, in words) is empty when it
    passed; ``score``, ``tier``, ``actions``, ``segment``, ``status`` are what it got."""

    case: Case
    score: float | None
    tier: str | None
    actions: list[str]
    segment: str | None
    status: str
    errors: list[str] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.differences


def load_cases(path: str | Path, ruleset: "Ruleset") -> list[Case]:
    """The cases of the tests file at ``path``, checked against ``ruleset`` (tiers, actions and
    segments named in ``expect`` must exist). Raises :class:`RulesetError` with every problem."""
    name = str(path)
    text = read_text(path)
    data, source = load_yaml(text, name)
    return parse_cases(data, source, ruleset)


def parse_cases(data: Any, source: SourceMap, ruleset: "Ruleset") -> list[Case]:
    problems: list[Diagnostic] = []

    def problem(path, message, *, key=False):
        problems.append(source.diagnostic(tuple(path), message, key=key, code="tests"))

    base: tuple = ()
    if isinstance(data, dict):
        unknown = [k for k in data if k != "cases"]
        for key in unknown:
            problem((key,), f"unknown key '{key}'{did_you_mean(key, ['cases'])} (a tests file "
                            "holds 'cases:', a list of cases)", key=True)
        if "cases" not in data:
            problem((), "'cases' is required: a list of cases, each with 'account' and 'expect'")
            raise RulesetError(problems)
        items, base = data["cases"], ("cases",)
    else:
        items = data
    if not isinstance(items, list) or not items:
        problem(base, "give a non-empty list of cases, each with 'account' and 'expect'")
        raise RulesetError(problems)
    tiers = [tier.name for tier in ruleset.tiers]
    actions = [action.id for action in ruleset.actions]
    segments = ["default", *[s.id for s in getattr(ruleset, "segments", ())]]
    cases, names = [], {}
    for index, item in enumerate(items):
        at = base + (index,)
        if not isinstance(item, dict):
            problem(at, "a case is a mapping with 'account' and 'expect' (and a 'name')")
            continue
        for key in item:
            if key not in CASE_KEYS:
                problem(at + (key,), f"unknown key '{key}'{did_you_mean(key, CASE_KEYS)}",
                        key=True)
        case_name = item.get("name", f"case {index + 1}")
        if not isinstance(case_name, (str, int, float)) or isinstance(case_name, bool):
            problem(at + ("name",), "the name of a case is text")
            case_name = f"case {index + 1}"
        case_name = str(case_name)
        if case_name in names:
            problem(at + ("name",), f"another case (line {names[case_name]}) is also named "
                                    f"'{case_name}': give each case its own name")
        line = source.locate(at)[0]
        names.setdefault(case_name, line)
        account = _mapping(item, "account", at, problem, "the account's fields, such as "
                           f"{{{ruleset.account_id}: T-1, ...}}")
        expect = _mapping(item, "expect", at, problem, "what the account must get (tier, "
                          "score, actions, segment or status)")
        for key, value in expect.items():
            where = at + ("expect", key)
            if key not in EXPECT_KEYS:
                problem(where, f"unknown key '{key}'{did_you_mean(key, EXPECT_KEYS)} (expect: "
                               f"{', '.join(EXPECT_KEYS)})", key=True)
            elif key == "tier" and value not in tiers:
                problem(where, f"the ruleset has no tier {value!r}"
                               f"{did_you_mean(str(value), tiers)} (its tiers: "
                               f"{', '.join(tiers)})")
            elif key == "segment" and value not in segments:
                problem(where, f"the ruleset has no segment {value!r}"
                               f"{did_you_mean(str(value), segments)}")
            elif key == "status" and value not in ("ok", "error"):
                problem(where, "status is 'ok' or 'error'")
            elif key == "actions":
                if not isinstance(value, list) or not all(isinstance(a, str) for a in value):
                    problem(where, "actions is a list of action ids, such as [late_invoice] "
                                   "([] when no action may fire)")
                    continue
                for position, action in enumerate(value):
                    if action not in actions:
                        problem(where + (position,), f"the ruleset has no action '{action}'"
                                                     f"{did_you_mean(action, actions)}")
            elif key == "score":
                if _number(value):
                    continue
                if (isinstance(value, list) and len(value) == 2 and all(map(_number, value))
                        and value[0] <= value[1]):
                    continue
                problem(where, "score is a number (81.5) or a range [low, high] with low <= "
                               "high")
            elif key == "tolerance":
                if not _number(value) or value < 0:
                    problem(where, "tolerance is a number of points, 0 or more")
                elif not _number(expect.get("score")):
                    problem(where, "tolerance goes with a score given as a number")
        cases.append(Case(case_name, dict(account), dict(expect), line))
    if problems:
        raise RulesetError(problems)
    return cases


def _mapping(item: dict[str, Any], key: str, at: tuple, problem: Callable[..., None],
             what: str) -> dict[str, Any]:
    """The non-empty mapping at ``key`` of a case, else ``{}`` after saying what is wrong."""
    value = item.get(key)
    if isinstance(value, dict) and value:
        return value
    if key not in item:
        problem(at, f"'{key}' is required: {what}")
    elif isinstance(value, dict):
        problem(at + (key,), f"'{key}' is empty: give {what}")
    else:
        problem(at + (key,), f"'{key}' must be a mapping of {what}, not {_kind(value)}")
    return {}


def _kind(value: Any) -> str:
    """What a YAML value is, in words: ``a list``, ``the number 5``, ``the text 'x'``."""
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    return f"the text {value!r}"


def _number(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def run_cases(ruleset: "Ruleset", cases: list[Case]) -> list[CaseResult]:
    """Score all ``cases`` together (one batch) and compare each with what it expects."""
    accounts = []
    for index, case in enumerate(cases):
        account = dict(case.account)
        if account.get(ruleset.account_id) is None:
            account[ruleset.account_id] = case.name
        accounts.append(account)
    records = score(ruleset, accounts, explain=True).to_records()
    return [_compare(case, record) for case, record in zip(cases, records)]


def _compare(case: Case, record: dict[str, Any]) -> CaseResult:
    result = CaseResult(case, record.get("score"), record.get("tier"),
                        list(record.get("actions") or []), record.get("segment"),
                        record.get("status", "ok"), list(record.get("errors") or []))
    expect, differ = case.expect, result.differences
    status = expect.get("status")
    if status is not None and status != result.status:
        differ.append(f"status {result.status}, expected {status}")
    if "tier" in expect and expect["tier"] != result.tier:
        differ.append(f"tier {result.tier or 'none'}, expected {expect['tier']}")
    if "score" in expect:
        want, got = expect["score"], result.score
        if isinstance(want, list):
            low, high = want
            if got is None or not low <= got <= high:
                differ.append(f"score {_fmt(got)}, expected {_fmt(low)} to {_fmt(high)}")
        else:
            tolerance = expect.get("tolerance", DEFAULT_TOLERANCE)
            if got is None or abs(got - want) > tolerance + 1e-9:
                differ.append(f"score {_fmt(got)}, expected {_fmt(want)} ± {_fmt(tolerance)}")
    if "actions" in expect and sorted(expect["actions"]) != sorted(result.actions):
        missing = [a for a in expect["actions"] if a not in result.actions]
        extra = [a for a in result.actions if a not in expect["actions"]]
        words = []
        if missing:
            words.append(f"did not fire {', '.join(missing)}")
        if extra:
            words.append(f"also fired {', '.join(extra)}")
        differ.append(f"actions [{', '.join(result.actions)}], expected "
                      f"[{', '.join(expect['actions'])}] ({'; '.join(words)})")
    if "segment" in expect and expect["segment"] != result.segment:
        differ.append(f"segment {result.segment or 'none'}, expected {expect['segment']}")
    if differ and result.status == "error" and status != "error":
        differ.append(f"not scored: {'; '.join(result.errors)}")
    return result


def _fmt(value: float | None) -> str:
    if value is None:
        return "none"
    return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:g}"
