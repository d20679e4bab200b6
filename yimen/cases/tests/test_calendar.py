"""The working-day calendar: official holidays, 调休 make-up workdays, and years not published yet."""

import datetime as dt

import pytest
from django import forms

from yimen.cases import calendar
from yimen.cases.admin_limits import parse_schedule
from yimen.cases.calendar import is_working_day, nth_working_day_after, year_is_official
from yimen.cases.models import CalendarDay, CalendarYear

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_calendar_cache():
    # The database is rolled back after each test; the process-wide cache is not.
    calendar.clear_calendar_cache()
    yield
    calendar.clear_calendar_cache()


def test_national_day_2025_is_eight_days_off_with_two_makeup_weekend_days():
    assert [is_working_day(dt.date(2025, 10, d))[0] for d in range(1, 9)] == [False] * 8
    assert is_working_day(dt.date(2025, 9, 28)) == (True, False)  # Sunday, 调休
    assert is_working_day(dt.date(2025, 10, 11)) == (True, False)  # Saturday, 调休
    assert is_working_day(dt.date(2025, 10, 12)) == (False, False)  # an ordinary Sunday
    assert is_working_day(dt.date(2025, 10, 9)) == (True, False)


def test_spring_festival_2026_is_nine_days_off_with_two_makeup_saturdays():
    assert [is_working_day(dt.date(2026, 2, d))[0] for d in range(15, 24)] == [False] * 9
    assert is_working_day(dt.date(2026, 2, 14)) == (True, False)
    assert is_working_day(dt.date(2026, 2, 28)) == (True, False)
    assert is_working_day(dt.date(2026, 2, 24)) == (True, False)


def test_a_year_without_official_data_follows_weekends_and_is_provisional(monkeypatch):
    monkeypatch.setattr(calendar, "library_years", lambda: range(2004, 2027))
    assert is_working_day(dt.date(2027, 1, 1)) == (True, True)  # 元旦, not known yet
    assert is_working_day(dt.date(2027, 1, 2)) == (False, True)
    assert not year_is_official(2027)
    assert year_is_official(2026)


def test_a_year_can_be_made_unknown_for_tests_even_when_the_library_knows_it(monkeypatch):
    monkeypatch.setattr(calendar, "library_years", lambda: range(2004, 2026))
    # Chinese New Year's Eve 2026 is a Monday: without the schedule it looks like a working day.
    assert is_working_day(dt.date(2026, 2, 16)) == (True, True)


def test_an_administrators_entry_wins_over_the_library_at_once():
    assert is_working_day(dt.date(2025, 10, 9)) == (True, False)
    entry = CalendarDay.objects.create(date=dt.date(2025, 10, 9), is_workday=False, note="台风停工")
    assert is_working_day(dt.date(2025, 10, 9)) == (False, False)
    entry.delete()
    assert is_working_day(dt.date(2025, 10, 9)) == (True, False)


def test_an_entry_in_an_unknown_year_is_certain_for_its_own_day(monkeypatch):
    monkeypatch.setattr(calendar, "library_years", lambda: range(2004, 2027))
    CalendarDay.objects.create(date=dt.date(2027, 1, 1), is_workday=False, note="元旦")
    assert is_working_day(dt.date(2027, 1, 1)) == (False, False)
    assert is_working_day(dt.date(2027, 1, 4)) == (True, True)
    assert not year_is_official(2027)


def test_a_year_entered_in_full_is_official_and_its_other_days_follow_the_weekday_rule(monkeypatch):
    monkeypatch.setattr(calendar, "library_years", lambda: range(2004, 2027))
    CalendarDay.objects.create(date=dt.date(2027, 1, 1), is_workday=False, note="元旦")
    CalendarYear.objects.create(year=2027, complete=True)
    assert is_working_day(dt.date(2027, 1, 1)) == (False, False)
    assert is_working_day(dt.date(2027, 1, 4)) == (True, False)
    assert is_working_day(dt.date(2027, 1, 9)) == (False, False)
    assert year_is_official(2027)


def test_an_incomplete_year_entry_does_not_make_the_year_official(monkeypatch):
    monkeypatch.setattr(calendar, "library_years", lambda: range(2004, 2027))
    CalendarYear.objects.create(year=2027, complete=False)
    assert is_working_day(dt.date(2027, 1, 4)) == (True, True)


def test_counting_working_days_crosses_into_the_next_year():
    day, provisional = nth_working_day_after(dt.date(2025, 12, 30), 3)
    # 2025-12-31 (1); 2026-01-01..03 元旦 off; 01-04 Sunday 调休 (2); 01-05 Monday (3).
    assert (day, provisional) == (dt.date(2026, 1, 5), False)


def test_the_schedule_box_reads_single_days_and_ranges():
    days = parse_schedule("2027-01-01 休 元旦\n\n2027-02-06~2027-02-08 休 春节\n2027-2-20 班 春节调休\n")
    assert days == [
        (dt.date(2027, 1, 1), False, "元旦"),
        (dt.date(2027, 2, 6), False, "春节"),
        (dt.date(2027, 2, 7), False, "春节"),
        (dt.date(2027, 2, 8), False, "春节"),
        (dt.date(2027, 2, 20), True, "春节调休"),
    ]


def test_the_schedule_box_names_the_line_it_cannot_read():
    with pytest.raises(forms.ValidationError, match="第2行"):
        parse_schedule("2027-01-01 休 元旦\n2027-13-01 休 错误")
