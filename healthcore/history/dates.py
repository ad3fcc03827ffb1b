"""The dates of a score history: as-of dates as ISO text (``YYYY-MM-DD``), windows of days
before them, and the check that a run is not dated in the future."""

from __future__ import annotations

import datetime as _dt

from healthcore.errors import InputError

FIRST_DAY = _dt.date.min.isoformat()
"""The earliest date a history holds (0001-01-01): the start of any window reaching back
beyond it."""

FUTURE_MARGIN_DAYS = 1
"""How many days after today an as-of date may be (for a team ahead of this machine's time
zone); a later one is refused unless allowed."""


def as_of_date(value: str | _dt.date | None) -> str:
    """``value`` as an ISO date ``YYYY-MM-DD`` (None: today)."""
    if value is None:
        return _dt.date.today().isoformat()
    if isinstance(value, _dt.datetime):
        return value.date().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    try:
        return _dt.date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise InputError(f"'{value}' is not a date: write the as-of date as YYYY-MM-DD, as in "
                         "2024-03-31") from None


def days_before(day: str, days: int) -> str | None:
    """The date ``days`` days before the ISO date ``day``; None when that would be before
    :data:`FIRST_DAY` (no recorded run is that old)."""
    try:
        return (_dt.date.fromisoformat(day) - _dt.timedelta(days=days)).isoformat()
    except OverflowError:
        return None


def check_not_future(day: str, today: _dt.date | None = None) -> None:
    """Refuse the as-of date ``day`` when it is more than :data:`FUTURE_MARGIN_DAYS` after
    ``today`` (default: the date today): a run dated in the future would stand for the latest
    one, before every real run."""
    today = today or _dt.date.today()
    latest = (today + _dt.timedelta(days=FUTURE_MARGIN_DAYS)).isoformat()
    if day > latest:
        raise InputError(f"the as-of date {day} is in the future (today is {today.isoformat()}): "
                         "a run is dated the day its accounts were exported, and a future one "
                         "would pass for the latest run, before every real one; check the date")
