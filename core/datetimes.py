"""Instants read from clients (query filters), made safe for every database."""

import datetime

from django.utils import timezone

# Real UTC offsets run from -12:00 to +14:00; Python accepts up to +-23:59 and PostgreSQL
# refuses beyond +-15:59, so an offset is checked here rather than by the database.
MAX_UTC_OFFSET = datetime.timedelta(hours=14)
# Far enough for any order, payment or promotion; nearer the ends of Python's calendar
# (years 1 and 9999) converting to UTC or adding a day overflows.
MIN_YEAR = 1900
MAX_YEAR = 2999


class InstantOutOfRange(ValueError):
    """A well-formed date or datetime this API does not handle; the message says why."""


def instant_to_utc(moment: datetime.datetime) -> datetime.datetime:
    """`moment` in UTC (a naive one is read in the current time zone). Raises
    InstantOutOfRange for a UTC offset beyond +-14:00 or a year outside
    MIN_YEAR..MAX_YEAR."""
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise InstantOutOfRange(f"Use a year between {MIN_YEAR} and {MAX_YEAR}.")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    offset = moment.utcoffset()
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        raise InstantOutOfRange("Use a UTC offset between -14:00 and +14:00.")
    return moment.astimezone(datetime.UTC)
