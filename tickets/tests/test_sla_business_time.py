"""Business-time arithmetic of tickets.sla: pure functions, no database."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from tickets.sla import Calendar, add_business_time, business_seconds_between

SAO_PAULO = ZoneInfo("America/Sao_Paulo")  # no daylight-saving time since 2019
NEW_YORK = ZoneInfo("America/New_York")
HOUR = 3600

# Monday to Friday, 08:00-12:00 and 13:00-18:00.
OFFICE = [(day, time(8), time(12)) for day in range(5)] + [(day, time(13), time(18)) for day in range(5)]


def at(tz, *args):
    return datetime(*args, tzinfo=tz)


def office(tz=SAO_PAULO, holidays=()):
    return Calendar.weekly(tz, OFFICE, holidays)


# 2026-03-02 is a Monday.


def test_around_the_clock_counts_every_second():
    calendar = Calendar(tz=SAO_PAULO)
    start = at(SAO_PAULO, 2026, 3, 7, 23, 30)  # a Saturday night
    assert add_business_time(start, 2 * HOUR, calendar) == at(SAO_PAULO, 2026, 3, 8, 1, 30)
    assert business_seconds_between(start, at(SAO_PAULO, 2026, 3, 8, 1, 30), calendar) == 2 * HOUR


def test_time_inside_a_working_period_is_plain_addition():
    assert add_business_time(at(SAO_PAULO, 2026, 3, 2, 9), 2 * HOUR, office()) == at(SAO_PAULO, 2026, 3, 2, 11)


def test_the_lunch_break_does_not_count():
    assert add_business_time(at(SAO_PAULO, 2026, 3, 2, 11), 2 * HOUR, office()) == at(SAO_PAULO, 2026, 3, 2, 14)
    assert business_seconds_between(at(SAO_PAULO, 2026, 3, 2, 11), at(SAO_PAULO, 2026, 3, 2, 14), office()) == 2 * HOUR


def test_the_night_does_not_count():
    assert add_business_time(at(SAO_PAULO, 2026, 3, 2, 17), 2 * HOUR, office()) == at(SAO_PAULO, 2026, 3, 3, 9)


def test_the_weekend_does_not_count():
    friday_evening = at(SAO_PAULO, 2026, 3, 6, 17)
    monday = at(SAO_PAULO, 2026, 3, 9, 9)
    assert add_business_time(friday_evening, 2 * HOUR, office()) == monday
    assert business_seconds_between(friday_evening, monday, office()) == 2 * HOUR


def test_a_holiday_does_not_count():
    calendar = office(holidays=[date(2026, 3, 9)])
    assert add_business_time(at(SAO_PAULO, 2026, 3, 6, 17), 2 * HOUR, calendar) == at(SAO_PAULO, 2026, 3, 10, 9)
    assert business_seconds_between(at(SAO_PAULO, 2026, 3, 9, 8), at(SAO_PAULO, 2026, 3, 9, 18), calendar) == 0


def test_a_clock_started_at_night_begins_with_the_next_working_period():
    saturday_night = at(SAO_PAULO, 2026, 3, 7, 3)
    assert add_business_time(saturday_night, HOUR, office()) == at(SAO_PAULO, 2026, 3, 9, 9)


def test_a_target_ending_exactly_at_closing_time_is_due_at_closing_time():
    assert add_business_time(at(SAO_PAULO, 2026, 3, 2, 13), 5 * HOUR, office()) == at(SAO_PAULO, 2026, 3, 2, 18)


def test_a_night_shift_runs_across_midnight():
    # 22:00 until midnight ("23:59" means the end of the day) and 00:00-06:00, every day.
    shift = [(day, time(22), time(23, 59)) for day in range(7)] + [(day, time(0), time(6)) for day in range(7)]
    calendar = Calendar.weekly(SAO_PAULO, shift)
    start = at(SAO_PAULO, 2026, 3, 2, 23)
    assert add_business_time(start, 2 * HOUR, calendar) == at(SAO_PAULO, 2026, 3, 3, 1)
    assert business_seconds_between(start, at(SAO_PAULO, 2026, 3, 3, 12), calendar) == 7 * HOUR
    # From 06:00 the next hour of the shift is 22:00-23:00.
    assert add_business_time(at(SAO_PAULO, 2026, 3, 3, 5), 2 * HOUR, calendar) == at(SAO_PAULO, 2026, 3, 3, 23)


def test_overlapping_periods_count_once():
    calendar = Calendar.weekly(SAO_PAULO, [(0, time(8), time(12)), (0, time(11), time(14))])
    assert business_seconds_between(at(SAO_PAULO, 2026, 3, 2, 0), at(SAO_PAULO, 2026, 3, 3, 0), calendar) == 6 * HOUR


def test_sao_paulo_days_are_always_as_long_as_their_hours():
    calendar = Calendar.weekly(SAO_PAULO, [(6, time(0), time(6))])
    # The second Sunday of March and the first of November: DST dates elsewhere, not in Brazil.
    for day in (date(2026, 3, 8), date(2026, 11, 1)):
        start = datetime.combine(day, time(0), tzinfo=SAO_PAULO)
        assert business_seconds_between(start, start + timedelta(days=1), calendar) == 6 * HOUR


def test_spring_forward_day_has_one_hour_less():
    # New York moves from 02:00 EST to 03:00 EDT on 2026-03-08 (a Sunday).
    calendar = Calendar.weekly(NEW_YORK, [(6, time(0), time(6))])
    start = at(NEW_YORK, 2026, 3, 8, 0)
    assert business_seconds_between(start, at(NEW_YORK, 2026, 3, 8, 12), calendar) == 5 * HOUR
    assert add_business_time(start, 5 * HOUR, calendar) == at(NEW_YORK, 2026, 3, 8, 6)
    assert add_business_time(start, 5 * HOUR, calendar) - start.astimezone(UTC) == timedelta(hours=5)


def test_fall_back_day_has_one_hour_more():
    # New York moves from 02:00 EDT back to 01:00 EST on 2026-11-01 (a Sunday).
    calendar = Calendar.weekly(NEW_YORK, [(6, time(0), time(6))])
    start = at(NEW_YORK, 2026, 11, 1, 0)
    assert business_seconds_between(start, at(NEW_YORK, 2026, 11, 1, 12), calendar) == 7 * HOUR
    assert add_business_time(start, 7 * HOUR, calendar) == at(NEW_YORK, 2026, 11, 1, 6)


def test_around_the_clock_across_a_dst_change_counts_real_time():
    calendar = Calendar(tz=NEW_YORK)
    start = at(NEW_YORK, 2026, 3, 8, 0)
    assert business_seconds_between(start, at(NEW_YORK, 2026, 3, 8, 6), calendar) == 5 * HOUR


def test_a_calendar_without_working_time_has_no_deadline():
    calendar = Calendar.weekly(SAO_PAULO, [])
    assert add_business_time(at(SAO_PAULO, 2026, 3, 2, 9), HOUR, calendar) is None
    assert business_seconds_between(at(SAO_PAULO, 2026, 3, 2), at(SAO_PAULO, 2027, 3, 2), calendar) == 0


def test_nothing_to_add_or_an_empty_interval():
    start = at(SAO_PAULO, 2026, 3, 7, 3)
    assert add_business_time(start, 0, office()) == start
    assert add_business_time(start, -60, office()) == start
    assert business_seconds_between(start, start - timedelta(hours=1), office()) == 0


def test_a_long_interval_is_counted_per_day():
    # Three years of office hours: 9 hours a working day, minus nothing.
    start, end = at(SAO_PAULO, 2026, 1, 5), at(SAO_PAULO, 2029, 1, 1)
    weekdays = sum(1 for n in range((end - start).days) if (start + timedelta(days=n)).weekday() < 5)
    assert business_seconds_between(start, end, office()) == weekdays * 9 * HOUR


@settings(max_examples=200, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(NEW_YORK)),
    seconds=st.integers(min_value=1, max_value=200 * HOUR),
)
def test_counting_back_the_added_time_gives_it_again(start, seconds):
    calendar = office(NEW_YORK, holidays=[date(2026, 12, 25), date(2027, 1, 1)])
    due = add_business_time(start, seconds, calendar)
    assert business_seconds_between(start, due, calendar) == seconds
    # And not a second earlier.
    assert business_seconds_between(start, due - timedelta(seconds=1), calendar) == seconds - 1
