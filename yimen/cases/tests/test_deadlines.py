"""Time limits: counting on the official calendar, choosing policies, and keeping deadlines current.

Dates are real: 2025 国庆 (Oct 1–8 off; Sun Sep 28 and Sat Oct 11 are 调休 workdays) and 2026 春节
(Feb 15–23 off; Sat Feb 14 and Sat Feb 28 are workdays). 2027 has no published schedule yet; the
tests pretend the library does not know it whatever release is installed, and publish a
hypothetical schedule for it.
"""

import datetime as dt
import importlib
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps as django_apps

from yimen.cases import calendar, copies
from yimen.cases.deadlines import (
    DEFAULT_POLICIES,
    calendar_warnings,
    calendar_year_publish,
    cancel_deadlines,
    check_calendar,
    close_deadlines,
    compute_due,
    describe_due,
    due_label,
    extend_deadline,
    known_years_pending_recompute,
    open_deadline,
    policy_for,
    recompute_provisional,
    unknown_years_in_use,
)
from yimen.cases.models import (
    Assignment,
    Case,
    CaseEvent,
    CalendarDay,
    CalendarYear,
    Category,
    Deadline,
    DeadlineState,
    EventKind,
    LimitUnit,
    Step,
    SupervisionOrder,
    TimeLimitPolicy,
)
from yimen.common.errors import Conflict, InvalidInput
from yimen.common.querycount import count_queries
from yimen.regions.models import Centre, Level, Region, Unit

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
REAL_LIBRARY_YEARS = calendar.library_years

# A made-up 2027 schedule in the usual shape: 元旦 on Friday, nine days of 春节, one make-up Saturday.
SCHEDULE_2027 = [
    (dt.date(2027, 1, 1), False, "元旦"),
    *[(dt.date(2027, 2, day), False, "春节") for day in range(6, 15)],
    (dt.date(2027, 2, 20), True, "春节调休"),
]


def at(year, month, day, hour=10, minute=0):
    return dt.datetime(year, month, day, hour, minute, tzinfo=TZ)


def end_of(year, month, day):
    """24:00 of that day, as stored."""
    return dt.datetime.combine(dt.date(year, month, day), dt.time.max, tzinfo=TZ)


@pytest.fixture(autouse=True)
def fresh_calendar_cache():
    # The database is rolled back after each test; the process-wide cache is not.
    calendar.clear_calendar_cache()
    yield
    calendar.clear_calendar_cache()


@pytest.fixture
def year_2027_unknown(monkeypatch):
    monkeypatch.setattr(calendar, "library_years", lambda: range(2004, 2027))


@pytest.fixture
def place():
    city = Region.objects.create(code="9901", name="示范市", level=Level.CITY)
    county = Region.objects.create(code="990101", name="示范区", level=Level.COUNTY, parent=city)
    town = Region.objects.create(code="990101001", name="和美镇", level=Level.TOWNSHIP, parent=county)
    other_county = Region.objects.create(code="990102", name="邻县", level=Level.COUNTY, parent=city)
    centre = Centre.objects.create(region=town, name="和美镇综治中心")
    unit = Unit.objects.create(name="示范区人社局", kind="hrss", region=county)
    return SimpleNamespace(city=city, county=county, town=town, other_county=other_county, centre=centre, unit=unit)


@pytest.fixture
def default_policies():
    TimeLimitPolicy.objects.bulk_create([TimeLimitPolicy(**policy) for policy in DEFAULT_POLICIES])


def make_case(place, *, received_at=None, urgency="annoying", channel="walk_in", category=None, region=None):
    received_at = received_at or at(2025, 9, 29)
    region = region or place.town
    return Case.objects.create(
        number=f"T{Case.objects.count() + 1:05d}", channel=channel, received_at=received_at,
        registering_centre=place.centre, owning_centre=place.centre, owning_code=place.town.code,
        region=region, region_code=region.code, title="欠薪", description="工地拖欠工资",
        urgency=urgency, category=category, status_changed_at=received_at,
    )


def make_assignment(place, case, dispatched_at):
    return Assignment.objects.create(case=case, unit=place.unit, part="lead", dispatched_at=dispatched_at,
                                     **copies.for_new_assignment(case))


# ---------------------------------------------------------------------------------------------
# Counting on the official calendar


def test_working_days_skip_national_day_and_count_the_makeup_saturday():
    due = compute_due(at(2025, 9, 29), 5, LimitUnit.WORKING_DAYS)
    # Sep 30 (1); Oct 1–8 off; Oct 9 (2), Oct 10 (3), Sat Oct 11 调休 (4), Mon Oct 13 (5).
    assert due.at == end_of(2025, 10, 13)
    assert not due.provisional
    assert due_label(due.at) == "2025年10月13日 24:00"


def test_one_working_day_from_the_saturday_before_national_day_is_the_makeup_sunday():
    assert compute_due(at(2025, 9, 27), 1, "working_days").at == end_of(2025, 9, 28)


def test_working_days_across_spring_festival_2026():
    # Friday afternoon before 春节: Saturday Feb 14 is a workday, then nothing until Feb 24.
    assert compute_due(at(2026, 2, 13, 15), 1, "working_days").at == end_of(2026, 2, 14)
    assert compute_due(at(2026, 2, 13, 15), 3, "working_days").at == end_of(2026, 2, 25)


def test_counting_starts_from_the_local_date_not_the_utc_one():
    # 17:00 UTC on Sep 29 is 01:00 on Sep 30 in China: Sep 30 is the start day, not counted.
    start = dt.datetime(2025, 9, 29, 17, 0, tzinfo=dt.timezone.utc)
    assert compute_due(start, 1, "working_days").at == end_of(2025, 10, 9)


def test_natural_days_ending_on_a_holiday_run_to_the_next_working_day():
    # Sep 20 + 15 days = Oct 5, inside 国庆: the period ends at 24:00 on Oct 9 (民法典 第203条).
    assert compute_due(at(2025, 9, 20), 15, "natural_days").at == end_of(2025, 10, 9)


def test_natural_days_ending_on_a_makeup_saturday_end_there():
    assert compute_due(at(2025, 9, 26), 15, "natural_days").at == end_of(2025, 10, 11)


def test_hours_and_minutes_are_exact_elapsed_time_even_on_holidays():
    assert compute_due(at(2025, 10, 1, 22, 30), 10, "hours") == compute_due(at(2025, 10, 1, 22, 30), 600, "minutes")
    due = compute_due(at(2025, 10, 1, 22, 30), 10, "hours")
    assert (due.at, due.provisional) == (at(2025, 10, 2, 8, 30), False)


def test_a_naive_start_is_refused():
    with pytest.raises(ValueError):
        compute_due(dt.datetime(2025, 9, 29, 10), 1, "working_days")


# ---------------------------------------------------------------------------------------------
# A year not published yet: provisional, then recomputed


def test_a_60_working_day_limit_into_2027_is_provisional_until_2027_is_published(place, year_2027_unknown, time_machine):
    time_machine.move_to(at(2026, 11, 23), tick=False)
    TimeLimitPolicy.objects.create(name="重大疑难：60个工作日", step=Step.HANDLE, urgency="grave", amount=60, unit="working_days", warn_before_hours=80)
    case = make_case(place, received_at=at(2026, 11, 23), urgency="grave")

    deadline = open_deadline(case=case, step=Step.HANDLE, starts_at=case.received_at)

    case.refresh_from_db()
    assert (case.due_at, case.due_provisional) == (end_of(2027, 2, 15), True)  # weekends alone
    assert deadline.provisional
    assert describe_due(case.due_at, at(2026, 11, 23), case.due_provisional).endswith("（暂定）")
    assert unknown_years_in_use() == [2027]
    assert any("2027年" in w and "暂定" in w for w in calendar_warnings())
    assert [w.id for w in check_calendar(None)] == ["yimen.W001"]

    recomputed = calendar_year_publish(year=2027, days=SCHEDULE_2027)

    assert recomputed == 1
    case.refresh_from_db()
    # 元旦 and five weekdays of 春节 off, the make-up Saturday Feb 20 worked: Feb 22.
    assert (case.due_at, case.due_provisional) == (end_of(2027, 2, 22), False)
    assert unknown_years_in_use() == []
    assert calendar_warnings() == []
    event = CaseEvent.objects.get(case=case, kind=EventKind.DEADLINES_RECOMPUTED)
    assert "2027年2月15日 24:00（暂定）" in event.reason and "2027年2月22日 24:00" in event.reason


def test_publishing_a_year_moves_the_units_copies_too(place, default_policies, year_2027_unknown, time_machine):
    time_machine.move_to(at(2026, 12, 31), tick=False)
    case = make_case(place, received_at=at(2026, 12, 31))
    assignment = make_assignment(place, case, at(2026, 12, 31))
    open_deadline(case=case, step=Step.SIGN, starts_at=at(2026, 12, 31), assignment=assignment)
    open_deadline(case=case, step=Step.UNIT_HANDLE, starts_at=at(2026, 12, 31), assignment=assignment)
    assignment.refresh_from_db()
    assert assignment.sign_due_at == end_of(2027, 1, 1)  # 元旦 guessed to be a working day
    assert assignment.due_provisional

    calendar_year_publish(year=2027, days=SCHEDULE_2027)

    assignment.refresh_from_db()
    assert assignment.sign_due_at == end_of(2027, 1, 4)
    # Jan 4–8 (5), 11–15 (10), 18–22 (15): one day later than the guess, which counted 元旦.
    assert (assignment.due_at, assignment.due_provisional) == (end_of(2027, 1, 22), False)


def test_a_holiday_published_later_lifts_an_overdue_mark_that_only_the_guess_caused(place, default_policies, year_2027_unknown, time_machine):
    time_machine.move_to(at(2026, 12, 31), tick=False)
    case = make_case(place, received_at=at(2026, 12, 31), urgency="urgent")
    deadline = open_deadline(case=case, step=Step.HANDLE, starts_at=case.received_at)
    assert deadline.due_at == end_of(2027, 1, 1)
    time_machine.move_to(at(2027, 1, 2), tick=False)
    Deadline.objects.filter(pk=deadline.pk).update(overdue_at=at(2027, 1, 2))  # as the sweep would
    Case.objects.filter(pk=case.pk).update(overdue=True)

    calendar_year_publish(year=2027, days=SCHEDULE_2027)

    case.refresh_from_db()
    deadline.refresh_from_db()
    assert (case.due_at, case.overdue) == (end_of(2027, 1, 4), False)
    assert deadline.overdue_at is None
    assert describe_due(case.due_at, at(2027, 1, 2), case.due_provisional) == "剩余2天14小时"


def test_a_calendar_release_that_learns_a_year_leaves_deadlines_to_recompute(place, monkeypatch, time_machine):
    # As it was before the 2026 schedule was published: 2026 unknown.
    monkeypatch.setattr(calendar, "library_years", lambda: range(2004, 2026))
    time_machine.move_to(at(2025, 12, 31), tick=False)
    case = make_case(place, received_at=at(2025, 12, 31))
    open_deadline(case=case, step=Step.HANDLE, starts_at=case.received_at, amount=35, unit="working_days")
    case.refresh_from_db()
    assert (case.due_at, case.due_provisional) == (end_of(2026, 2, 18), True)  # in the middle of 春节

    monkeypatch.setattr(calendar, "library_years", REAL_LIBRARY_YEARS)  # the upgraded release
    calendar.clear_calendar_cache()
    assert known_years_pending_recompute() == [2026]
    assert any("尚待重算" in w for w in calendar_warnings(today=dt.date(2025, 12, 31)))

    assert recompute_provisional(years=known_years_pending_recompute()) == 1

    case.refresh_from_db()
    assert (case.due_at, case.due_provisional) == (end_of(2026, 2, 26), False)


def test_recomputing_many_deadlines_takes_the_same_number_of_queries_as_a_few(place, year_2027_unknown):
    def provisional_deadlines(n):
        rows = []
        for _ in range(n):
            case = make_case(place, received_at=at(2026, 12, 1))
            due = compute_due(case.received_at, 60, "working_days")
            rows.append(Deadline(case=case, step=Step.HANDLE, starts_at=case.received_at, amount=60, unit="working_days",
                                 due_at=due.at, provisional=True, warn_at=due.at))
        Deadline.objects.bulk_create(rows)

    def queries_to_recompute():
        calendar.clear_calendar_cache()
        with count_queries() as queries:
            recompute_provisional(years=[2027])
        Deadline.objects.update(provisional=True)
        return queries

    provisional_deadlines(3)
    few = queries_to_recompute()
    provisional_deadlines(20)
    assert queries_to_recompute() == few


# ---------------------------------------------------------------------------------------------
# Choosing the policy


def _handle_policy(name, **scope):
    return TimeLimitPolicy.objects.create(name=name, step=Step.HANDLE, amount=10, unit="working_days", **scope)


@pytest.fixture
def labour():
    parent = Category.objects.create(code="labour", name="劳资纠纷")
    child = Category.objects.create(code="wages", name="欠薪", parent=parent)
    return SimpleNamespace(parent=parent, child=child)


def test_the_nearer_region_wins_over_the_farther_and_over_none(place):
    _handle_policy("全国")
    _handle_policy("市", region=place.city)
    county = _handle_policy("区", region=place.county)
    assert policy_for(step=Step.HANDLE, region=place.town) == county
    assert policy_for(step=Step.HANDLE, region=place.other_county).name == "市"
    assert policy_for(step=Step.HANDLE).name == "全国"


def test_a_region_beats_a_category_and_urgency(place, labour):
    _handle_policy("欠薪急事", category=labour.child, urgency="urgent")
    _handle_policy("区", region=place.county)
    assert policy_for(step=Step.HANDLE, region=place.town, category=labour.child, urgency="urgent").name == "区"


def test_a_category_policy_covers_its_subcategories_and_the_nearer_wins(place, labour):
    _handle_policy("全部")
    _handle_policy("劳资", category=labour.parent)
    assert policy_for(step=Step.HANDLE, region=place.town, category=labour.child).name == "劳资"
    _handle_policy("欠薪", category=labour.child)
    assert policy_for(step=Step.HANDLE, region=place.town, category=labour.child).name == "欠薪"
    assert policy_for(step=Step.HANDLE, region=place.town, category=labour.parent).name == "劳资"
    assert policy_for(step=Step.HANDLE, region=place.town).name == "全部"


def test_urgency_and_channel_matches_beat_blank_and_a_mismatch_never_applies(place):
    _handle_policy("一般")
    _handle_policy("急事", urgency="urgent")
    _handle_policy("信访", channel="petition")
    assert policy_for(step=Step.HANDLE, urgency="urgent", channel="petition").name == "急事"
    assert policy_for(step=Step.HANDLE, urgency="grave", channel="petition").name == "信访"
    assert policy_for(step=Step.HANDLE, urgency="grave", channel="walk_in").name == "一般"


def test_inactive_policies_and_other_steps_are_ignored(place):
    _handle_policy("停用", active=False)
    TimeLimitPolicy.objects.create(name="签收", step=Step.SIGN, amount=1, unit="working_days")
    assert policy_for(step=Step.HANDLE, region=place.town) is None


def test_policy_for_reads_the_policies_once_and_sees_a_change_at_once(place, labour):
    _handle_policy("全部")
    county = _handle_policy("区欠薪", region=place.county, category=labour.child)
    category = Category.objects.get(pk=labour.child.pk)
    with count_queries() as first:
        assert policy_for(step=Step.HANDLE, region=place.town, category=category).name == "区欠薪"
    assert first == 2  # the active policies and the category tree, once
    with count_queries() as again:
        assert policy_for(step=Step.HANDLE, region=place.town, category=category).name == "区欠薪"
    assert again == 0
    county.active = False
    county.save()
    assert policy_for(step=Step.HANDLE, region=place.town, category=category).name == "全部"


# ---------------------------------------------------------------------------------------------
# Opening, closing, cancelling, extending


def test_an_annoying_matter_gets_15_working_days_warned_at_1600_two_days_before(place, default_policies):
    case = make_case(place, received_at=at(2025, 9, 29))
    deadline = open_deadline(case=case, step=Step.HANDLE, starts_at=case.received_at)
    case.refresh_from_db()
    # Sep 30; Oct 9, 10, 11 (Sat 调休), 13–17, 20–24, 27: the 15th working day is Oct 27.
    assert (case.due_at, case.due_provisional, case.overdue) == (end_of(2025, 10, 27), False, False)
    assert deadline.warn_at == at(2025, 10, 25, 16)


def test_an_urgent_dispatch_must_be_signed_within_10_minutes_and_is_warned_at_once(place, default_policies):
    case = make_case(place, urgency="urgent")
    assignment = make_assignment(place, case, at(2025, 10, 3, 21, 5))
    deadline = open_deadline(case=case, step=Step.SIGN, starts_at=at(2025, 10, 3, 21, 5), assignment=assignment)
    assignment.refresh_from_db()
    assert assignment.sign_due_at == at(2025, 10, 3, 21, 15)  # a holiday evening changes nothing
    assert deadline.warn_at == deadline.starts_at


def test_an_ordinary_dispatch_is_signed_within_a_working_day_and_handled_within_15(place, default_policies):
    case = make_case(place)
    assignment = make_assignment(place, case, at(2025, 9, 30, 16))
    open_deadline(case=case, step=Step.SIGN, starts_at=at(2025, 9, 30, 16), assignment=assignment)
    open_deadline(case=case, step=Step.UNIT_HANDLE, starts_at=at(2025, 9, 30, 16), assignment=assignment)
    assignment.refresh_from_db()
    assert assignment.sign_due_at == end_of(2025, 10, 9)
    assert (assignment.due_at, assignment.due_provisional) == (end_of(2025, 10, 28), False)


def test_a_supervision_order_is_answered_within_3_working_days(place, default_policies):
    case = make_case(place)
    order = SupervisionOrder.objects.create(case=case, unit=place.unit, issued_at=at(2025, 9, 30), content="请加快办理")
    open_deadline(case=case, step=Step.SUPERVISION_ANSWER, starts_at=order.issued_at, supervision=order)
    order.refresh_from_db()
    assert order.answer_due_at == end_of(2025, 10, 11)  # Oct 9, 10 and the make-up Saturday


def test_only_a_petition_gets_the_15_day_decision_limit(place, default_policies):
    petition = make_case(place, received_at=at(2025, 9, 20), channel="petition")
    walk_in = make_case(place, received_at=at(2025, 9, 20))
    deadline = open_deadline(case=petition, step=Step.PETITION_DECIDE, starts_at=petition.received_at)
    assert deadline.due_at == end_of(2025, 10, 9)  # Oct 5 is in 国庆
    assert open_deadline(case=walk_in, step=Step.PETITION_DECIDE, starts_at=walk_in.received_at) is None


def test_no_deadline_is_opened_without_a_policy_or_an_explicit_limit(place):
    case = make_case(place)
    assert open_deadline(case=case, step=Step.HANDLE, starts_at=case.received_at) is None
    assert open_deadline(case=case, step=Step.HANDLE, starts_at=case.received_at, amount=2, unit="hours").due_at == at(2025, 9, 29, 12)


def test_resolving_within_the_limit_counts_as_on_time(place, default_policies):
    case = make_case(place)
    deadline = open_deadline(case=case, step=Step.HANDLE, starts_at=case.received_at)
    assert close_deadlines(case=case, now=at(2025, 10, 27, 23, 59), steps=[Step.HANDLE]) == 1
    case.refresh_from_db()
    deadline.refresh_from_db()
    assert case.resolved_within_limit is True
    assert (deadline.state, deadline.met_at) == (DeadlineState.MET, at(2025, 10, 27, 23, 59))


def test_resolving_after_the_limit_counts_as_late(place, default_policies):
    case = make_case(place)
    open_deadline(case=case, step=Step.HANDLE, starts_at=case.received_at)
    close_deadlines(case=case, now=at(2025, 10, 28, 0, 1), steps=[Step.HANDLE])
    case.refresh_from_db()
    assert case.resolved_within_limit is False


def test_closing_one_units_deadlines_leaves_the_matters_running(place, default_policies):
    case = make_case(place)
    assignment = make_assignment(place, case, at(2025, 9, 29))
    open_deadline(case=case, step=Step.HANDLE, starts_at=case.received_at)
    open_deadline(case=case, step=Step.UNIT_HANDLE, starts_at=at(2025, 9, 29), assignment=assignment)
    close_deadlines(case=case, now=at(2025, 10, 10), assignment=assignment)
    assert set(case.deadlines.values_list("step", "state")) == {(Step.HANDLE, "open"), (Step.UNIT_HANDLE, "met")}
    case.refresh_from_db()
    assert case.resolved_within_limit is None


def test_a_return_cancels_the_signing_limit_only(place, default_policies):
    case = make_case(place)
    assignment = make_assignment(place, case, at(2025, 9, 29))
    open_deadline(case=case, step=Step.SIGN, starts_at=at(2025, 9, 29), assignment=assignment)
    open_deadline(case=case, step=Step.HANDLE, starts_at=case.received_at)
    assert cancel_deadlines(case=case, steps=[Step.SIGN], assignment=assignment) == 1
    assert set(case.deadlines.values_list("step", "state")) == {(Step.SIGN, "cancelled"), (Step.HANDLE, "open")}


def test_an_extension_moves_an_overdue_limit_into_the_future_and_is_recorded(place, default_policies, time_machine):
    case = make_case(place)
    deadline = open_deadline(case=case, step=Step.HANDLE, starts_at=case.received_at)
    time_machine.move_to(at(2025, 10, 28), tick=False)
    Deadline.objects.filter(pk=deadline.pk).update(overdue_at=at(2025, 10, 28), warned_at=at(2025, 10, 25, 16))
    Case.objects.filter(pk=case.pk).update(overdue=True)

    extended = extend_deadline(deadline=deadline, amount=5)

    case.refresh_from_db()
    assert extended.extension == 5
    assert (case.due_at, case.overdue) == (end_of(2025, 11, 3), False)  # Oct 28–31, Nov 3
    assert (extended.overdue_at, extended.warned_at) == (None, None)  # both will be crossed again
    assert describe_due(case.due_at, at(2025, 10, 28)) == "剩余6天14小时"


def test_a_petition_handled_in_60_days_can_be_extended_by_30(place, default_policies):
    case = make_case(place, received_at=at(2025, 8, 5), channel="petition")
    deadline = open_deadline(case=case, step=Step.PETITION_HANDLE, starts_at=case.received_at)
    assert deadline.due_at == end_of(2025, 10, 9)  # day 60 is Oct 4, in 国庆
    assert deadline.policy.max_extension == 30
    assert extend_deadline(deadline=deadline, amount=30).due_at == end_of(2025, 11, 3)


def test_a_finished_limit_cannot_be_extended(place, default_policies):
    case = make_case(place)
    deadline = open_deadline(case=case, step=Step.HANDLE, starts_at=case.received_at)
    with pytest.raises(InvalidInput):
        extend_deadline(deadline=deadline, amount=0)
    close_deadlines(case=case, now=at(2025, 10, 1), steps=[Step.HANDLE])
    with pytest.raises(Conflict):
        extend_deadline(deadline=deadline, amount=3)


# ---------------------------------------------------------------------------------------------
# Showing a limit


@pytest.mark.parametrize(
    ("due", "now", "provisional", "text"),
    [
        (at(2025, 10, 3, 13), at(2025, 10, 1, 10), False, "剩余2天3小时"),
        (at(2025, 10, 1, 10, 45), at(2025, 10, 1, 10), False, "剩余45分钟"),
        (at(2025, 10, 1, 10), at(2025, 10, 2, 12), False, "已超期1天2小时"),
        (end_of(2025, 10, 9), at(2025, 10, 9, 10), False, "剩余14小时"),
        (at(2025, 10, 1, 10), at(2025, 10, 1, 10), False, "已到期"),
        (at(2027, 2, 15, 12), at(2027, 2, 10, 12), True, "剩余5天（暂定）"),
    ],
)
def test_a_limit_reads_as_time_left_or_time_over(due, now, provisional, text):
    assert describe_due(due, now, provisional) == text


# ---------------------------------------------------------------------------------------------
# The default policies


DEFAULT_POLICY_MIGRATIONS = ("0002_default_policies", "0009_urgent_unit_limit", "0020_request_type")


def test_the_data_migrations_install_exactly_the_default_policies():
    migrations = [importlib.import_module(f"yimen.cases.migrations.{name}") for name in DEFAULT_POLICY_MIGRATIONS]
    installed = [policy for migration in migrations for policy in migration.POLICIES]
    assert sorted(installed, key=lambda p: p["name"]) == sorted(DEFAULT_POLICIES, key=lambda p: p["name"])
    for migration in migrations:
        migration.add_policies(django_apps, None)
        migration.add_policies(django_apps, None)  # twice: no duplicates
    assert TimeLimitPolicy.objects.count() == len(DEFAULT_POLICIES)
    for migration in migrations:
        migration.remove_policies(django_apps, None)
    assert not TimeLimitPolicy.objects.exists()


def test_an_urgent_matters_unit_gets_one_working_day_even_when_the_matter_is_already_late(place, default_policies):
    """Issue 12 B.2, as walked: an urgent matter past its own limit must not hand its units 15 days."""
    case = make_case(place, received_at=at(2025, 9, 1), urgency="urgent")
    open_deadline(case=case, step=Step.HANDLE, starts_at=case.received_at)
    assignment = make_assignment(place, case, at(2025, 9, 10))
    unit_limit = open_deadline(case=case, step=Step.UNIT_HANDLE, starts_at=at(2025, 9, 10), assignment=assignment)
    assert (unit_limit.amount, unit_limit.unit) == (1, "working_days")


def test_the_defaults_cover_every_urgency_and_escalate_urgent_and_grave_matters(default_policies):
    # The 五事五办 limits: those naming no request type (the 12345 ones are tested in test_request_type_limits).
    handle = {p.urgency: p for p in TimeLimitPolicy.objects.filter(step=Step.HANDLE, request_type="")}
    assert {u: (p.amount, p.unit) for u, p in handle.items()} == {
        "urgent": (1, "working_days"), "grave": (30, "working_days"), "annoying": (15, "working_days"),
        "worrying": (7, "working_days"), "wish": (30, "working_days"),
    }
    assert {u for u, p in handle.items() if p.escalate_when_overdue} == {"urgent", "grave"}
    assert all(p.legal_basis for p in TimeLimitPolicy.objects.all())


def test_the_calendar_check_is_silent_before_the_tables_exist(monkeypatch):
    from django.db import OperationalError

    from yimen.cases import deadlines

    def no_table(**kwargs):
        raise OperationalError("no such table: cases_deadline")

    monkeypatch.setattr(deadlines, "calendar_warnings", no_table)
    assert check_calendar(None) == []


# ---------------------------------------------------------------------------------------------
# The admin


def test_the_admin_warns_about_an_unknown_year_until_it_is_entered_and_then_recomputes(place, admin_client, year_2027_unknown, time_machine):
    time_machine.move_to(at(2026, 11, 23), tick=False)
    case = make_case(place, received_at=at(2026, 11, 23))
    open_deadline(case=case, step=Step.HANDLE, starts_at=case.received_at, amount=60, unit="working_days")

    page = admin_client.get("/admin/cases/deadline/").content.decode()
    assert "2027年的法定节假日安排尚未录入" in page
    assert "2027年2月15日 24:00（暂定）" in page

    response = admin_client.post(
        "/admin/cases/calendaryear/add/",
        {"year": "2027", "complete": "on", "note": "国办发明电〔2026〕号", "schedule": "2027-01-01 休 元旦\n2027-02-06~2027-02-14 休 春节\n2027-02-20 班 春节调休"},
        follow=True,
    )

    assert "已按新的节假日安排重算1条期限" in response.content.decode()
    case.refresh_from_db()
    assert (case.due_at, case.due_provisional) == (end_of(2027, 2, 22), False)
    assert "尚未录入" not in admin_client.get("/admin/cases/deadline/").content.decode()
    year = CalendarYear.objects.get(year=2027)
    assert "2027-02-20 班 春节调休" in admin_client.get(f"/admin/cases/calendaryear/{year.pk}/change/").content.decode()
    assert '<td class="field-entries">11</td>' in admin_client.get("/admin/cases/calendaryear/").content.decode()


def test_a_year_schedule_with_a_date_from_another_year_is_refused(admin_client):
    response = admin_client.post("/admin/cases/calendaryear/add/", {"year": "2027", "complete": "on", "schedule": "2028-01-01 休 元旦"})
    assert "所有日期都必须在2027年内" in response.content.decode()
    assert not CalendarDay.objects.exists()


def test_a_single_day_entered_in_the_admin_moves_the_deadlines_it_touches(place, default_policies, admin_client):
    case = make_case(place, received_at=at(2025, 10, 9))
    open_deadline(case=case, step=Step.HANDLE, starts_at=case.received_at, amount=1, unit="working_days")
    admin_client.post("/admin/cases/calendarday/add/", {"date": "2025-10-10", "is_workday": "", "note": "台风停工"})
    case.refresh_from_db()
    assert case.due_at == end_of(2025, 10, 11)  # the make-up Saturday


def test_deadlines_are_read_only_in_the_admin(place, admin_client):
    case = make_case(place)
    deadline = open_deadline(case=case, step=Step.HANDLE, starts_at=case.received_at, amount=1, unit="working_days")
    assert admin_client.get(f"/admin/cases/deadline/{deadline.pk}/change/").status_code == 200
    assert admin_client.get("/admin/cases/deadline/add/").status_code == 403
    assert admin_client.post(f"/admin/cases/deadline/{deadline.pk}/change/", {"due_at": "2030-01-01"}).status_code == 403
