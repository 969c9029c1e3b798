"""Session times: parsing what users type, ISO weeks, and the local time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from imu_app.history._errors import HistoryError

__all__ = ["parse_day", "parse_when", "week_key", "week_label", "week_monday"]


def parse_when(text: str, *, what: str = "date") -> datetime:
    """An ISO 8601 date or date and time as an aware datetime.

    A date alone is noon local time, so that the day (and so the ISO week) is the same in every time zone
    a coach might open the history in; a time without an offset is in this computer's time zone.
    """
    raw = text.strip()
    try:
        if len(raw) == 10:
            when = datetime.combine(date.fromisoformat(raw), datetime.min.time()).replace(hour=12)
        else:
            when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise HistoryError(
            f"{what} {text!r} is not an ISO 8601 date or time (e.g. 2024-05-01 or 2024-05-01T17:30)"
        ) from None
    return when if when.tzinfo is not None else when.astimezone()


def parse_day(text: str, *, what: str = "date", end: bool = False) -> datetime:
    """A date that starts (or with ``end``, ends) a period, as an aware datetime in local time."""
    when = parse_when(text, what=what)
    if len(text.strip()) == 10:
        base = when.replace(hour=0, minute=0, second=0, microsecond=0)
        return base + timedelta(days=1) - timedelta(microseconds=1) if end else base
    return when


def week_key(when: datetime) -> int:
    """ISO year x 100 + ISO week of the local date of ``when`` (2024-W05 is 202405)."""
    iso = when.date().isocalendar()
    return iso.year * 100 + iso.week


def week_label(key: int) -> str:
    """``202405`` as ``2024-W05``."""
    return f"{key // 100}-W{key % 100:02d}"


def week_monday(key: int) -> date:
    """The Monday that starts ISO week ``key``."""
    return date.fromisocalendar(key // 100, key % 100, 1)


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
