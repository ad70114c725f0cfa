"""Free slots from a weekly plan in the dermatologist's time zone, as pure functions.

A plan's hours are wall-clock times where the dermatologist is. A slot starts at the
beginning of an opening window and every `duration` after it, while it ends by the
window's end (wall clock). Across a daylight-saving change:

- a wall-clock time that does not exist that day (the hour skipped in spring) is no slot;
- a time that exists twice (the hour repeated in autumn) is its first occurrence;
- a slot's end is its start plus the duration in real time, so a 60-minute slot is 60
  minutes long on the day the clocks change too.

Answers are ISO 8601 with the dermatologist's offset of that instant.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class Window:
    start: time
    end: time


def parse_time(value: str) -> time:
    """'HH:MM' (24 h); raises ValueError."""
    match = _HHMM.match(value or "")
    if not match:
        raise ValueError(f"{value!r} is not a time as HH:MM (00:00 to 23:59).")
    return time(int(match.group(1)), int(match.group(2)))


def zone(name: str) -> ZoneInfo:
    """The IANA time zone `name`; raises ValueError."""
    if not isinstance(name, str) or name not in available_timezones():
        raise ValueError(f"{name!r} is not an IANA time zone (such as Europe/Paris).")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:  # pragma: no cover - listed above
        raise ValueError(str(error)) from error


def windows_for(day: date, *, weekly: list[dict], exceptions: list[dict]) -> list[Window]:
    """The opening windows of `day`: its exceptions if it has any (none when one says
    closed), otherwise the weekly plan's windows of its weekday; in start order."""
    iso = day.isoformat()
    dated = [entry for entry in exceptions if entry.get("date") == iso]
    if dated:
        if any(entry.get("closed") for entry in dated):
            return []
        source = dated
    else:
        source = [entry for entry in weekly if entry.get("weekday") == day.weekday()]
    windows = [Window(parse_time(e["start"]), parse_time(e["end"])) for e in source]
    return sorted(windows, key=lambda w: w.start)


def _exists(local: datetime, tz: ZoneInfo) -> bool:
    """Whether the wall-clock time `local` (naive) happens in `tz` (not skipped)."""
    aware = local.replace(tzinfo=tz, fold=0)
    back = aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    return back == local


def slot_starts(
    *,
    tz: ZoneInfo,
    weekly: list[dict],
    exceptions: list[dict],
    duration: timedelta,
    first_day: date,
    last_day: date,
) -> Iterable[tuple[datetime, datetime]]:
    """(start, end) of every slot of the plan from `first_day` to `last_day` (local dates,
    both included), aware in `tz`, in time order."""
    day = first_day
    while day <= last_day:
        for window in windows_for(day, weekly=weekly, exceptions=exceptions):
            local = datetime.combine(day, window.start)
            window_end = datetime.combine(day, window.end)
            while local + duration <= window_end:
                if _exists(local, tz):
                    start = local.replace(tzinfo=tz, fold=0)
                    end = (start.astimezone(UTC) + duration).astimezone(tz)
                    yield start, end
                local += duration
        day += timedelta(days=1)


def free_slots(
    *,
    tz: ZoneInfo,
    weekly: list[dict],
    exceptions: list[dict],
    duration: timedelta,
    first_day: date,
    last_day: date,
    earliest: datetime,
    latest: datetime,
    busy: list[tuple[datetime, datetime]],
) -> list[datetime]:
    """Starts of the slots from `first_day` to `last_day` that begin between `earliest`
    and `latest` and overlap no `busy` (start, end) interval; aware in `tz`. `busy` sorted
    by start."""
    free = []
    index = 0
    for start, end in slot_starts(
        tz=tz,
        weekly=weekly,
        exceptions=exceptions,
        duration=duration,
        first_day=first_day,
        last_day=last_day,
    ):
        # Compared in UTC: two datetimes of one zone compare by wall clock in Python,
        # which is wrong across a change of offset.
        start_utc, end_utc = start.astimezone(UTC), end.astimezone(UTC)
        if start_utc < earliest or start_utc > latest:
            continue
        # busy is sorted and the slots come in time order: skip what ended before.
        while index < len(busy) and busy[index][1] <= start_utc:
            index += 1
        if not _overlaps_any(start_utc, end_utc, busy, index):
            free.append(start)
    return free


def _overlaps_any(start: datetime, end: datetime, busy, index: int) -> bool:
    for b_start, b_end in busy[index:]:
        if b_start >= end:
            return False
        if b_end > start:
            return True
    return False
