"""Slot generation from a weekly plan: time zones, daylight-saving changes, exceptions,
lead time, horizon and busy intervals (pure functions, no database)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from consultations.availability import free_slots, parse_time, slot_starts, windows_for, zone

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
EVERY_DAY_9_TO_12 = [{"weekday": d, "start": "09:00", "end": "12:00"} for d in range(7)]
FAR_PAST = datetime(2000, 1, 1, tzinfo=UTC)
FAR_FUTURE = datetime(2100, 1, 1, tzinfo=UTC)


def _starts(tz, weekly, day, minutes=60, exceptions=()):
    return [
        start
        for start, _ in slot_starts(
            tz=tz,
            weekly=weekly,
            exceptions=list(exceptions),
            duration=timedelta(minutes=minutes),
            first_day=day,
            last_day=day,
        )
    ]


def test_slots_run_back_to_back_inside_the_window_and_end_by_its_end():
    starts = _starts(PARIS, EVERY_DAY_9_TO_12, date(2027, 1, 12), minutes=45)
    longer = _starts(PARIS, EVERY_DAY_9_TO_12, date(2027, 1, 12), minutes=50)

    assert [s.strftime("%H:%M") for s in starts] == ["09:00", "09:45", "10:30", "11:15"]
    assert [s.strftime("%H:%M") for s in longer] == ["09:00", "09:50", "10:40"]  # 11:30 ends late
    assert _starts(PARIS, EVERY_DAY_9_TO_12, date(2027, 1, 12), minutes=60)[-1].hour == 11


def test_answers_carry_the_offset_of_their_own_instant():
    winter = _starts(PARIS, EVERY_DAY_9_TO_12, date(2027, 1, 12))[0]
    summer = _starts(PARIS, EVERY_DAY_9_TO_12, date(2027, 7, 12))[0]

    assert winter.isoformat() == "2027-01-12T09:00:00+01:00"
    assert summer.isoformat() == "2027-07-12T09:00:00+02:00"
    assert winter.astimezone(UTC).hour == 8 and summer.astimezone(UTC).hour == 7


def test_the_skipped_hour_of_spring_has_no_slot():
    # 2027-03-28 in Paris: 02:00 jumps to 03:00.
    night = [{"weekday": 6, "start": "01:00", "end": "04:00"}]

    starts = _starts(PARIS, night, date(2027, 3, 28))

    assert [s.isoformat() for s in starts] == [
        "2027-03-28T01:00:00+01:00",
        "2027-03-28T03:00:00+02:00",
    ]


def test_the_repeated_hour_of_autumn_is_offered_once_and_a_slot_lasts_its_real_length():
    # 2027-10-31 in Paris: 03:00 goes back to 02:00.
    night = [{"weekday": 6, "start": "01:00", "end": "04:00"}]

    slots = list(
        slot_starts(
            tz=PARIS,
            weekly=night,
            exceptions=[],
            duration=timedelta(minutes=60),
            first_day=date(2027, 10, 31),
            last_day=date(2027, 10, 31),
        )
    )

    assert [s.isoformat() for s, _ in slots] == [
        "2027-10-31T01:00:00+02:00",
        "2027-10-31T02:00:00+02:00",
        "2027-10-31T03:00:00+01:00",
    ]
    assert all(
        end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=1) for start, end in slots
    )


def test_the_same_plan_in_two_zones_gives_different_instants():
    paris = _starts(PARIS, EVERY_DAY_9_TO_12, date(2027, 1, 12))[0]
    new_york = _starts(NEW_YORK, EVERY_DAY_9_TO_12, date(2027, 1, 12))[0]

    assert new_york.astimezone(UTC) - paris.astimezone(UTC) == timedelta(hours=6)
    assert new_york.isoformat().endswith("-05:00")


def test_exceptions_close_a_day_or_replace_its_hours():
    closed = [{"date": "2027-01-12", "closed": True}]
    other_hours = [{"date": "2027-01-13", "start": "14:00", "end": "16:00"}]

    assert _starts(PARIS, EVERY_DAY_9_TO_12, date(2027, 1, 12), exceptions=closed) == []
    assert [
        s.hour for s in _starts(PARIS, EVERY_DAY_9_TO_12, date(2027, 1, 13), exceptions=other_hours)
    ] == [14, 15]
    # An exception elsewhere changes nothing here.
    assert len(_starts(PARIS, EVERY_DAY_9_TO_12, date(2027, 1, 14), exceptions=closed)) == 3
    # A day that only has extra hours on a weekday the plan leaves empty is open.
    assert windows_for(date(2027, 1, 13), weekly=[], exceptions=other_hours)


def test_lead_time_horizon_and_busy_intervals_remove_slots():
    day = date(2027, 1, 12)
    nine = datetime(2027, 1, 12, 8, tzinfo=UTC)  # 09:00 in Paris
    busy = [(nine + timedelta(minutes=90), nine + timedelta(minutes=150))]  # 10:30-11:30

    free = free_slots(
        tz=PARIS,
        weekly=EVERY_DAY_9_TO_12,
        exceptions=[],
        duration=timedelta(minutes=30),
        first_day=day,
        last_day=day,
        earliest=nine + timedelta(minutes=30),  # the lead time takes 09:00
        latest=nine + timedelta(minutes=150),  # the horizon takes what starts after 11:30
        busy=busy,
    )

    assert [s.strftime("%H:%M") for s in free] == ["09:30", "10:00", "11:30"]


def test_a_long_busy_interval_that_began_earlier_still_blocks():
    day = date(2027, 1, 12)
    nine = datetime(2027, 1, 12, 8, tzinfo=UTC)
    busy = [(nine - timedelta(minutes=30), nine + timedelta(minutes=90)), (nine, nine)]

    free = free_slots(
        tz=PARIS,
        weekly=EVERY_DAY_9_TO_12,
        exceptions=[],
        duration=timedelta(minutes=30),
        first_day=day,
        last_day=day,
        earliest=FAR_PAST,
        latest=FAR_FUTURE,
        busy=sorted(busy),
    )

    assert [s.strftime("%H:%M") for s in free] == ["10:30", "11:00", "11:30"]


@pytest.mark.parametrize("value", ["9:00", "24:00", "12:60", "", "noon"])
def test_times_must_be_hh_mm(value):
    with pytest.raises(ValueError):
        parse_time(value)


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "utc+2", None])
def test_time_zones_must_be_iana_names(name):
    with pytest.raises(ValueError):
        zone(name)
