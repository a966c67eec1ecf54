"""Turning what people type ("now", "15 min ago", "23:40", "night") into a night and a clock time.

A night of date D runs from 12:00 on D to 12:00 on D+1 (docs/journal-format.md), so 23:40 typed at
07:00 belongs to the night that began the evening before, and 01:30 typed at 01:45 to the night
that began the previous evening.
"""

from __future__ import annotations

import datetime as dt
import re

from ._document import JournalError, parse_clock, parse_date

__all__ = ["night_of", "parse_when", "default_night"]

_AGO = re.compile(r"^(\d+(?:\.\d+)?)\s*(m|min|mins|minute|minutes|h|hr|hrs|hour|hours)\s+ago$")
_DURING = {"night", "during the night", "tonight", "last night", "unknown", "-"}


def night_of(moment: dt.datetime) -> dt.date:
    """The date of the night a moment falls in (the evening it began)."""
    return moment.date() if moment.hour >= 12 else moment.date() - dt.timedelta(days=1)


def default_night(now: dt.datetime, *, morning_report: bool = False) -> dt.date:
    """The night someone most likely means when they give no date.

    Exposures and episodes: the night in progress (:func:`night_of`). A night's sleep diary is
    filled in after waking, so with ``morning_report`` any time before 18:00 means the night that
    has just ended.
    """
    if morning_report:
        return now.date() - dt.timedelta(days=1) if now.hour < 18 else now.date()
    return night_of(now)


def parse_when(text: str | None, now: dt.datetime,
               night: str | dt.date | None = None) -> tuple[dt.date, str | None]:
    """``(night date, "HH:MM" or None)`` for an episode time as typed.

    ``night`` pins the night (``--date``); a bare clock time is then placed in that night.
    """
    pinned = None
    if night is not None:
        pinned = dt.date.fromisoformat(parse_date(night, "date"))
    raw = (text or "now").strip().lower()
    if raw in _DURING:
        return (pinned or default_night(now, morning_report=True)), None
    if raw == "now":
        moment = now
    elif match := _AGO.match(raw):
        amount = float(match.group(1))
        minutes = amount * 60 if match.group(2).startswith("h") else amount
        if minutes > 24 * 60:
            raise JournalError(f"{text!r} is more than a day ago; give the night with --date "
                               "and the clock time, e.g. --date 2026-11-01 23:40.", "when")
        moment = now - dt.timedelta(minutes=minutes)
    else:
        try:
            clock = parse_clock(raw, "when")
        except JournalError:
            raise JournalError(f"{text!r} is not a time I understand; write 'now', "
                               "'15 min ago', '2 h ago', a clock time like '23:40', or 'night' "
                               "for some time during the night.", "when") from None
        hour, minute = (int(p) for p in clock.split(":"))
        if pinned is not None:
            return pinned, clock
        moment = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
        if moment > now:  # a clock time later than now was yesterday's
            moment -= dt.timedelta(days=1)
    return (pinned or night_of(moment)), f"{moment.hour:02d}:{moment.minute:02d}"
