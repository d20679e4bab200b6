"""Fixed-window rate limits kept in the database.

The web server runs several processes (gunicorn), so a per-process cache would let each of them
allow the full rate; the database is the one place they all see. A window is aligned to the epoch
("5/h" counts 10:00–11:00), so every process computes the same window without talking to the others.

A rate is "<count>/<unit>" with unit s, m, h or d; "" or "off" switches the limit off. A byte budget
is "<size>/<unit>" with size in KB, MB or GB ("100MB/h"), counted in kibibytes (parse_byte_rate).
"""

import datetime as dt
import hashlib
import math
import re

from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from yimen.common.errors import RateLimited

from .models import ThrottleBucket

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# The longest window parse_rate allows; purge keeps buckets for a day after their window ends.
_LONGEST_WINDOW = dt.timedelta(days=1)
_KEEP_AFTER_WINDOW = dt.timedelta(days=1)


def parse_rate(rate: str) -> tuple[int, int]:
    """ "5/h" → (5, 3600); "" or "off" → (0, 0), meaning no limit."""
    text = (rate or "").strip().lower()
    if text in ("", "off"):
        return 0, 0
    match = re.fullmatch(r"([0-9]+)\s*/\s*([smhd])", text)
    if not match or int(match[1]) < 1:
        raise ImproperlyConfigured(
            f"Rate {rate!r} is not '<count>/<s|m|h|d>' with a count of at least 1 (use 'off' for no limit)."
        )
    return int(match[1]), _UNITS[match[2]]


_SIZES = {"kb": 1, "mb": 1024, "gb": 1024 * 1024}


def parse_byte_rate(rate: str) -> tuple[int, int]:
    """ "100MB/h" → (102400, 3600): kibibytes per period; "" or "off" → (0, 0), meaning no budget."""
    text = (rate or "").strip().lower()
    if text in ("", "off"):
        return 0, 0
    match = re.fullmatch(r"([0-9]+)\s*(kb|mb|gb)\s*/\s*([smhd])", text)
    if not match or int(match[1]) < 1:
        raise ImproperlyConfigured(
            f"Byte budget {rate!r} is not '<size><KB|MB|GB>/<s|m|h|d>' with a size of at least 1 (use 'off' for none)."
        )
    return int(match[1]) * _SIZES[match[2]], _UNITS[match[3]]


def throttle_hit(*, scope: str, key: str, rate: str, message: str, now=None) -> None:
    """Count one hit of `key` in the current window, or refuse it with RateLimited.

    A refused attempt is not counted, so a resident who waits out the window gets the full rate.
    """
    limit, period = parse_rate(rate)
    _spend(scope=scope, key=key, limit=limit, period=period, amount=1, message=message, now=now)


def throttle_spend_bytes(*, scope: str, key: str, rate: str, size: int, message: str, field=None, now=None) -> None:
    """Count `size` bytes of `key` against a byte budget (parse_byte_rate), or refuse them all with
    RateLimited: what would pass the budget is not counted, so a smaller file may still fit."""
    limit, period = parse_byte_rate(rate)
    amount = max(1, math.ceil(size / 1024))
    _spend(scope=scope, key=key, limit=limit, period=period, amount=amount, message=message, now=now, field=field)


def _spend(*, scope, key, limit, period, amount, message, now, field=None) -> None:
    if not limit:
        return
    now = now or timezone.now()
    start = _window_start(now, period)
    bucket = dict(scope=scope, key=_digest(key), window_start=start)
    if amount <= limit:
        if _increment(bucket, limit, amount):
            return
        try:
            # Savepoint: on PostgreSQL a failed INSERT would otherwise break the caller's transaction.
            with transaction.atomic():
                ThrottleBucket.objects.create(**bucket, count=amount)
            return
        except IntegrityError:
            pass
        # The row exists: another process created it just now, or the window is full.
        if _increment(bucket, limit, amount):
            return
    wait = max(1, math.ceil((start + dt.timedelta(seconds=period) - now).total_seconds()))
    raise RateLimited(_join(message, _wait_words(wait)), retry_after=wait, field=field)


def throttle_purge(*, now=None) -> int:
    """Delete buckets whose window ended more than a day ago; returns how many."""
    now = now or timezone.now()
    cutoff = now - _KEEP_AFTER_WINDOW - _LONGEST_WINDOW
    deleted, _detail = ThrottleBucket.objects.filter(window_start__lt=cutoff).delete()
    return deleted


def _increment(bucket: dict, limit: int, amount: int = 1) -> bool:
    # One conditional UPDATE: the database serialises concurrent hits, so the count never passes
    # the limit however many processes hit at once.
    return ThrottleBucket.objects.filter(**bucket, count__lte=limit - amount).update(count=F("count") + amount) == 1


def _window_start(now: dt.datetime, period: int) -> dt.datetime:
    epoch = int(now.timestamp())
    return dt.datetime.fromtimestamp(epoch - epoch % period, tz=dt.UTC)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _wait_words(seconds: int) -> str:
    if seconds < 60:
        return ngettext("请约%(n)d秒后再试。", "请约%(n)d秒后再试。", seconds) % {"n": seconds}
    if seconds <= 90 * 60:
        minutes = math.ceil(seconds / 60)
        return ngettext("请约%(n)d分钟后再试。", "请约%(n)d分钟后再试。", minutes) % {"n": minutes}
    hours = math.ceil(seconds / 3600)
    return ngettext("请约%(n)d小时后再试。", "请约%(n)d小时后再试。", hours) % {"n": hours}


def _join(message: str, suffix: str) -> str:
    # "…过于频繁，请约5分钟后再试。": one sentence in Chinese, two in English.
    return _("%(message)s，%(wait)s") % {"message": str(message).rstrip("。，,.!！ "), "wait": suffix}
