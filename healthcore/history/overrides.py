"""Manual overrides, freezes and churned accounts, kept in the history with an audit trail.

Every change is a new row, never an update: the rows of an account are its audit trail. The
override in force for an account on a date is its latest row (for the ruleset, or for every
ruleset) that has started by then; it is none if that row is a ``clear`` or has expired
(``until`` is the last day it applies).

Kinds: ``tier`` puts the account in a tier (its score stays what the data says); ``freeze``
keeps the score and tier of the account's last recorded run; ``churned`` does the same and also
leaves the account out of percentile tiers and alerts; ``clear`` ends any of them.
"""

from __future__ import annotations

import datetime as _dt
import getpass
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from healthcore.engine.results import OVERRIDE_FIELDS, Results
from healthcore.errors import InputError
from healthcore.history.dates import as_of_date

if TYPE_CHECKING:
    from healthcore.ruleset import Ruleset

KINDS = ("tier", "freeze", "churned", "clear")
COLUMNS = {"id": pl.Int64, "account_id": pl.String, "ruleset": pl.String, "kind": pl.String,
           "tier": pl.String, "reason": pl.String, "author": pl.String,
           "recorded_at": pl.String, "starts": pl.String, "until": pl.String}


@dataclass(frozen=True)
class Override:
    """One change of an account's override (a row of the audit trail)."""

    account_id: str
    kind: str
    reason: str
    author: str
    starts: str
    until: str | None = None
    tier: str | None = None
    ruleset: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InputError(f"unknown override kind '{self.kind}': use one of "
                             f"{', '.join(KINDS)}")
        if not str(self.account_id).strip():
            raise InputError("give the account id to override")
        if not self.reason.strip():
            raise InputError("give a --reason: every override is kept with who made it and why")
        if (self.kind == "tier") != (self.tier is not None):
            raise InputError("--tier goes with a tier override only" if self.tier
                             else "a tier override needs the tier, as in --tier at_risk")
        if self.until is not None and self.until < self.starts:
            raise InputError(f"--until {self.until} is before the override starts "
                             f"({self.starts}): it would never apply")


def current_author() -> str:
    """Who makes an override when ``--by`` is not given: the login name."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER") or "unknown"


def in_force(rows: pl.DataFrame, ruleset_name: str | None, day: str) -> pl.DataFrame:
    """The override that the runs of the ruleset ``ruleset_name`` on ``day`` apply to each
    account (one row each, :data:`COLUMNS`) among ``rows``, the audit trail: its latest
    override for that ruleset or for every ruleset that has started, unless it is a clear or
    has expired. None stands for a ruleset that no override names (the overrides for every
    ruleset only)."""
    scope = pl.col("ruleset").is_null()
    if ruleset_name is not None:
        scope = scope | (pl.col("ruleset") == ruleset_name)
    started = rows.filter((pl.col("starts") <= day) & scope)
    latest = started.sort("id").group_by("account_id", maintain_order=True).last()
    return latest.select(*COLUMNS).filter(
        (pl.col("kind") != "clear") & (pl.col("until").is_null() | (pl.col("until") >= day)))


def in_force_everywhere(rows: pl.DataFrame, day: str) -> pl.DataFrame:
    """Every override that runs on ``day`` apply, by :func:`in_force` for each ruleset: the
    overrides for one ruleset in force for it, and those for every ruleset with
    ``except_rulesets``, the rulesets they do not apply to (where a later override for that
    ruleset alone replaces them). :data:`COLUMNS` and ``except_rulesets``, by account."""
    everywhere = in_force(rows, None, day)
    found, excepted = [], [pl.DataFrame(schema={"id": pl.Int64, "except": pl.String})]
    for name in sorted(rows["ruleset"].drop_nulls().unique().to_list()):
        scoped = in_force(rows, name, day)
        found.append(scoped.filter(pl.col("ruleset") == name))
        excepted.append(everywhere.join(scoped.select("id"), on="id", how="anti")
                        .select("id", pl.lit(name).alias("except")))
    none = pl.lit([], pl.List(pl.String))
    exceptions = pl.concat(excepted).group_by("id").agg(
        pl.col("except").sort().alias("except_rulesets"))
    everywhere = everywhere.join(exceptions, on="id", how="left").with_columns(
        pl.col("except_rulesets").fill_null(none))
    return pl.concat([everywhere, *(frame.with_columns(none.alias("except_rulesets"))
                                    for frame in found)]).sort("account_id", "id")


def after_runs(in_force: pl.DataFrame, applied: dict[str, int | None]) -> pl.DataFrame:
    """The overrides among ``in_force`` (from :func:`in_force_everywhere`) that a run of their
    date did not apply because they were recorded after it, with ``after_runs``: the rulesets
    of those runs. ``applied`` gives, per ruleset run that day, the last override it applied
    (None: not known)."""
    late = []
    for row in in_force.iter_rows(named=True):
        rulesets = ([row["ruleset"]] if row["ruleset"] is not None else
                    [name for name in applied if name not in row["except_rulesets"]])
        missed = sorted(name for name in rulesets if name in applied
                        and applied[name] is not None and applied[name] < row["id"])
        if missed:
            late.append({"id": row["id"], "after_runs": missed})
    found = pl.DataFrame(late, schema={"id": pl.Int64, "after_runs": pl.List(pl.String)})
    return in_force.join(found, on="id", how="inner", maintain_order="left")


def describe(kind: pl.Expr, tier: pl.Expr, until: pl.Expr, author: pl.Expr,
             reason: pl.Expr) -> pl.Expr:
    """The text results show for an override, as in
    ``tier at_risk until 2024-05-01 (by ana: renewal at risk)``."""
    what = (pl.when(kind == "tier").then(pl.format("tier {}", tier))
            .when(kind == "freeze").then(pl.lit("frozen")).otherwise(pl.lit("churned")))
    return pl.format("{}{} (by {}: {})", what,
                     pl.when(until.is_not_null()).then(pl.format(" until {}", until))
                     .otherwise(pl.lit("")), author, reason)


def validated_date(value: str | _dt.date | None, option: str) -> str | None:
    """``value`` as YYYY-MM-DD for ``option`` (None stays None)."""
    if value is None:
        return None
    try:
        return as_of_date(value)
    except InputError as exc:
        raise InputError(f"{option}: {exc}") from None


def with_overrides(results: Results, in_force: pl.DataFrame, kept: pl.DataFrame) -> Results:
    """``results`` with the manual overrides ``in_force`` applied and the columns
    :data:`~healthcore.engine.results.OVERRIDE_FIELDS` (``override``, ``computed_score`` and
    ``computed_tier``). ``kept`` has the last recorded ``score`` and ``tier`` of the frozen
    and churned accounts (``account_id``); one without a recorded run keeps what the data
    gives."""
    return results.extended(lambda frame: _applied(frame, results.ruleset, in_force, kept),
                            OVERRIDE_FIELDS, overridden=True)


def _applied(frame: pl.DataFrame, ruleset: "Ruleset", in_force: pl.DataFrame,
             kept: pl.DataFrame) -> pl.DataFrame:
    """A frame of results with the overrides applied and :data:`OVERRIDE_FIELDS` appended
    (see :func:`with_overrides`)."""
    colors = {tier.name: tier.color for tier in ruleset.tiers}
    key = "__hc_key"
    overrides = in_force.select(pl.col("account_id").alias(key), pl.col("kind").alias("__hc_kind"),
                                pl.col("tier").alias("__hc_tier"),
                                describe(pl.col("kind"), pl.col("tier"), pl.col("until"),
                                         pl.col("author"), pl.col("reason")).alias("override"))
    last = kept.select(pl.col("account_id").alias(key), pl.col("score").alias("__hc_kept_score"),
                       pl.col("tier").alias("__hc_kept_tier"))
    joined = (frame.with_columns(pl.col("account_id").cast(pl.String).alias(key))
              .join(overrides, on=key, how="left", maintain_order="left")
              .join(last, on=key, how="left", maintain_order="left"))
    kind = pl.col("__hc_kind")
    keeps = kind.is_in(["freeze", "churned"]) & pl.col("__hc_kept_score").is_not_null()
    score = pl.when(keeps).then(pl.col("__hc_kept_score")).otherwise(pl.col("score"))
    tier = (pl.when(kind == "tier").then(pl.col("__hc_tier"))
            .when(keeps).then(pl.col("__hc_kept_tier")).otherwise(pl.col("tier")))
    return (joined.with_columns(pl.col("score").alias("computed_score"),
                                pl.col("tier").alias("computed_tier"))
            .with_columns(score.alias("score"), tier.alias("tier"))
            .with_columns(pl.col("tier").replace_strict(colors, default=None,
                                                        return_dtype=pl.String).alias("color"),
                          pl.when(pl.col("score").is_not_null()).then(pl.lit("ok"))
                          .otherwise(pl.col("status")).alias("status"))
            .drop(key, "__hc_kind", "__hc_tier", "__hc_kept_score", "__hc_kept_tier"))


def unknown_tiers(in_force: pl.DataFrame, ruleset: "Ruleset") -> tuple[pl.DataFrame, list[str]]:
    """``in_force`` without the tier overrides naming a tier the ruleset does not have, and a
    warning for each of them."""
    names = [tier.name for tier in ruleset.tiers]
    bad = in_force.filter((pl.col("kind") == "tier") & ~pl.col("tier").is_in(names))
    warnings = [f"the override of account '{row['account_id']}' puts it in tier "
                f"'{row['tier']}', which ruleset '{ruleset.name}' does not have (its tiers: "
                f"{', '.join(names)}); it is not applied: record a new one with healthcore "
                "override" for row in bad.iter_rows(named=True)]
    return in_force.join(bad.select("id"), on="id", how="anti"), warnings
