import datetime as dt
import re
import threading

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, connections

from yimen.common.errors import RateLimited
from yimen.residents.models import ThrottleBucket
from yimen.residents.throttle import parse_byte_rate, parse_rate, throttle_hit, throttle_purge, throttle_spend_bytes

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2025, 3, 3, 10, 48, tzinfo=dt.UTC)  # 12 minutes before the hour's window ends


def hit(key="13800138000", rate="5/h", now=T0):
    throttle_hit(scope="sms-phone", key=key, rate=rate, message="获取验证码太频繁", now=now)


@pytest.mark.parametrize(
    ("rate", "parsed"),
    [("5/h", (5, 3600)), ("30/s", (30, 1)), ("2/m", (2, 60)), ("10/d", (10, 86400)), (" 5 / H ", (5, 3600)),
     ("", (0, 0)), ("off", (0, 0))],
)
def test_rates_read_as_count_per_unit(rate, parsed):
    assert parse_rate(rate) == parsed


@pytest.mark.parametrize("rate", ["5", "5/hour", "x/h", "0/h", "-1/h", "5/h/d", "五/h"])
def test_a_malformed_rate_is_a_configuration_error_naming_the_value(rate):
    with pytest.raises(ImproperlyConfigured, match=re.escape(repr(rate))):
        parse_rate(rate)


def test_the_sixth_hit_in_an_hour_is_refused_saying_when_to_try_again():
    for _ in range(5):
        hit()
    with pytest.raises(RateLimited) as refused:
        hit()
    assert str(refused.value) == "获取验证码太频繁，请约12分钟后再试。"
    assert refused.value.details["retry_after"] == 12 * 60
    assert refused.value.status == 429


def test_a_refused_hit_is_not_counted_and_the_next_window_starts_afresh():
    for _ in range(5):
        hit()
    for _ in range(3):
        with pytest.raises(RateLimited):
            hit()
    assert ThrottleBucket.objects.get().count == 5
    next_window = T0 + dt.timedelta(minutes=12)
    for _ in range(5):
        hit(now=next_window)
    with pytest.raises(RateLimited):
        hit(now=next_window)


def test_other_keys_and_scopes_have_their_own_count():
    for _ in range(5):
        hit()
    hit(key="13900139000")
    throttle_hit(scope="sms-address", key="13800138000", rate="5/h", message="太频繁", now=T0)


def test_the_wait_is_said_in_seconds_minutes_or_hours():
    half_minute = T0 + dt.timedelta(seconds=30)
    throttle_hit(scope="s", key="k", rate="1/m", message="太频繁。", now=half_minute)
    with pytest.raises(RateLimited, match="^太频繁，请约30秒后再试。$"):
        throttle_hit(scope="s", key="k", rate="1/m", message="太频繁。", now=half_minute)
    throttle_hit(scope="d", key="k", rate="1/d", message="太频繁", now=T0)
    with pytest.raises(RateLimited, match="请约14小时后再试。"):  # the day window ends at midnight UTC
        throttle_hit(scope="d", key="k", rate="1/d", message="太频繁", now=T0)


def test_keys_are_stored_hashed_so_the_table_holds_no_phone_number():
    hit()
    bucket = ThrottleBucket.objects.get()
    assert "13800138000" not in bucket.key and len(bucket.key) == 64


def test_an_off_rate_never_refuses_and_stores_nothing():
    for _ in range(50):
        hit(rate="off")
    assert not ThrottleBucket.objects.exists()


def test_purge_deletes_old_buckets_and_keeps_the_last_day():
    hit(now=T0 - dt.timedelta(days=3))
    hit(now=T0 - dt.timedelta(hours=20))
    hit(now=T0)
    assert throttle_purge(now=T0) == 1
    assert ThrottleBucket.objects.count() == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent transactions (PostgreSQL)")
@pytest.mark.django_db(transaction=True)
def test_hits_from_many_processes_at_once_never_pass_the_limit():
    start = threading.Barrier(12)
    allowed, refused, errors = [], [], []

    def run():
        try:
            start.wait()
            hit()
            allowed.append(1)
        except RateLimited:
            refused.append(1)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert (len(allowed), len(refused)) == (5, 7)
    assert ThrottleBucket.objects.get().count == 5


def test_a_mistyped_rate_setting_is_reported_at_start_up(settings):
    from yimen.residents.apps import check_rate_settings

    assert check_rate_settings() == []
    settings.YIMEN_RATE_SMS_PER_PHONE = "5 per hour"
    problems = check_rate_settings()
    assert [p.id for p in problems] == ["yimen.residents.E001"] and "YIMEN_RATE_SMS_PER_PHONE" in problems[0].msg


# -- byte budgets (residents' uploads) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "parsed"),
    [("100MB/h", (102400, 3600)), ("50 mb / h", (51200, 3600)), ("1GB/d", (1024 * 1024, 86400)), ("512KB/m", (512, 60)),
     ("off", (0, 0)), ("", (0, 0))],
)
def test_byte_budgets_read_as_size_per_unit(rate, parsed):
    assert parse_byte_rate(rate) == parsed


@pytest.mark.parametrize("rate", ["100/h", "100M/h", "0MB/h", "10TB/h", "MB/h"])
def test_a_malformed_byte_budget_is_a_configuration_error(rate):
    with pytest.raises(ImproperlyConfigured, match="Byte budget"):
        parse_byte_rate(rate)


def spend(size, key="10.0.0.1", rate="10KB/h", now=T0):
    throttle_spend_bytes(scope="upload-address", key=key, rate=rate, size=size, message="上传太多", field="files", now=now)


def test_bytes_count_against_the_budget_and_what_would_pass_it_is_refused_uncounted():
    spend(4 * 1024)
    spend(5 * 1024)
    with pytest.raises(RateLimited, match="上传太多，请约12分钟后再试。") as refused:
        spend(2 * 1024)
    assert refused.value.field == "files" and refused.value.details["retry_after"] == 12 * 60
    spend(1024)  # the refused 2 KB were not counted: 1 KB still fits
    with pytest.raises(RateLimited):
        spend(1)
    spend(10 * 1024, now=T0 + dt.timedelta(minutes=12))  # the next window starts afresh


def test_a_file_larger_than_the_whole_budget_is_refused_at_once():
    with pytest.raises(RateLimited):
        spend(11 * 1024)
    assert not ThrottleBucket.objects.exists()


def test_a_mistyped_byte_budget_setting_is_reported_at_start_up(settings):
    from yimen.residents.apps import check_rate_settings

    settings.YIMEN_RATE_UPLOAD_BYTES_PER_SESSION = "50 megabytes"
    [error] = check_rate_settings()
    assert "YIMEN_RATE_UPLOAD_BYTES_PER_SESSION" in error.msg
