"""The official working-day calendar (法定节假日 and 调休 make-up workdays).

Where a date's status comes from, first match wins:
1. a CalendarDay row entered by an administrator (a holiday or a make-up workday);
2. a CalendarYear marked complete: the year was entered in full, so every other day follows the
   weekday rule (Monday–Friday work);
3. the `chinese-calendar` library, for the years it carries data for;
4. otherwise the weekday rule, *provisional*: the State Council publishes each year's schedule late
   in the year before, and until a year is entered its holidays are unknown.

A whole year is read at once and cached in the process. The cache is cleared in this process when a
CalendarDay or CalendarYear row is saved or deleted (the receivers below only clear it), and every
entry expires after CACHE_SECONDS so that other processes (web workers, the task worker) pick up a
change soon after.
"""

import datetime as dt
import threading
import time
from bisect import bisect_right
from dataclasses import dataclass

import chinese_calendar
from chinese_calendar import constants as _library_data
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import CalendarDay, CalendarYear

CACHE_SECONDS = 60
# A working-day count that runs further than this many years has been given a calendar with no
# working days in it (a data-entry error); stop rather than loop.
_MAX_YEARS_AHEAD = 20


def library_years() -> range:
    """The years the installed chinese-calendar release has official data for.

    A function of its own so that tests can pretend the library does not know a year yet.
    """
    years = [d.year for d in _library_data.holidays]
    return range(min(years), max(years) + 1)


@dataclass(frozen=True)
class YearTable:
    """One year, as sorted ordinals: the working days, and the days whose status is a guess."""

    year: int
    workdays: tuple[int, ...]
    provisional_days: tuple[int, ...]
    loaded_at: float

    @property
    def official(self) -> bool:
        return not self.provisional_days

    def is_workday(self, day: dt.date) -> bool:
        ordinal = day.toordinal()
        index = bisect_right(self.workdays, ordinal)
        return index > 0 and self.workdays[index - 1] == ordinal

    def is_provisional(self, day: dt.date) -> bool:
        ordinal = day.toordinal()
        index = bisect_right(self.provisional_days, ordinal)
        return index > 0 and self.provisional_days[index - 1] == ordinal

    def any_provisional(self, after: int, through: int) -> bool:
        """Whether a day in (after, through] (ordinals) is provisional."""
        return bisect_right(self.provisional_days, through) > bisect_right(self.provisional_days, after)


_cache: dict[int, YearTable] = {}
_lock = threading.Lock()


def clear_calendar_cache() -> None:
    with _lock:
        _cache.clear()


def year_table(year: int) -> YearTable:
    table = _cache.get(year)
    if table is None or time.monotonic() - table.loaded_at > CACHE_SECONDS:
        table = _load_year(year)
        with _lock:
            _cache[year] = table
    return table


def _load_year(year: int) -> YearTable:
    rows = dict(CalendarDay.objects.filter(date__year=year).values_list("date", "is_workday"))
    complete = CalendarYear.objects.filter(year=year, complete=True).exists()
    from_library = not complete and year in library_years()
    guessed = not complete and not from_library
    workdays, provisional = [], []
    day, end = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    while day < end:
        if day in rows:
            working = rows[day]
        elif from_library:
            working = chinese_calendar.is_workday(day)
        else:
            working = day.weekday() < 5
            if guessed:
                provisional.append(day.toordinal())
        if working:
            workdays.append(day.toordinal())
        day += dt.timedelta(days=1)
    return YearTable(year, tuple(workdays), tuple(provisional), time.monotonic())


def is_working_day(day: dt.date) -> tuple[bool, bool]:
    """(is a working day, the answer is provisional)."""
    table = year_table(day.year)
    return table.is_workday(day), table.is_provisional(day)


def year_is_official(year: int) -> bool:
    """Whether every day of `year` is known (library data, or entered in full by an administrator)."""
    return year_table(year).official


def nth_working_day_after(day: dt.date, n: int) -> tuple[dt.date, bool]:
    """The n-th working day after `day` (n=0: `day` itself), and whether a day counted is provisional."""
    if n <= 0:
        return day, False
    after, remaining, year = day.toordinal(), n, day.year
    provisional = False
    while year <= day.year + _MAX_YEARS_AHEAD:
        table = year_table(year)
        start = bisect_right(table.workdays, after)
        available = len(table.workdays) - start
        if remaining <= available:
            found = table.workdays[start + remaining - 1]
            provisional = provisional or table.any_provisional(after, found)
            return dt.date.fromordinal(found), provisional
        provisional = provisional or table.any_provisional(after, dt.date(year, 12, 31).toordinal())
        remaining -= available
        after, year = dt.date(year, 12, 31).toordinal(), year + 1
    raise ValueError(f"no {n}th working day within {_MAX_YEARS_AHEAD} years after {day}")


def working_day_on_or_after(day: dt.date) -> tuple[dt.date, bool]:
    """The first working day from `day` on, and whether a day looked at is provisional."""
    working, provisional = is_working_day(day)
    if working:
        return day, provisional
    found, later_provisional = nth_working_day_after(day, 1)
    return found, provisional or later_provisional


# Clearing a cache is the one thing these receivers do; the recomputation of deadlines that a
# calendar change calls for is a service (deadlines.calendar_recompute), called by the admin.
@receiver(post_save, sender=CalendarDay, dispatch_uid="yimen_calendar_day_saved")
@receiver(post_delete, sender=CalendarDay, dispatch_uid="yimen_calendar_day_deleted")
@receiver(post_save, sender=CalendarYear, dispatch_uid="yimen_calendar_year_saved")
@receiver(post_delete, sender=CalendarYear, dispatch_uid="yimen_calendar_year_deleted")
def _calendar_changed(**kwargs) -> None:
    clear_calendar_cache()
    # Another thread may refill the cache from the old rows before this transaction commits.
    transaction.on_commit(clear_calendar_cache)
