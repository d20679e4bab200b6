"""Periodic clean-up of the residents' door: nothing here is worth keeping for long."""

import datetime as dt

from django.utils import timezone

from .drafts import draft_purge
from .models import PhoneCode
from .throttle import throttle_purge

# A code lives minutes; a day more keeps "did the code go out?" answerable for support.
_KEEP_PHONE_CODES = dt.timedelta(days=1)


def residents_housekeeping(*, now=None) -> dict:
    """Delete old rate-limit counters, expired drafts (with their files) and old phone codes."""
    now = now or timezone.now()
    codes, _detail = PhoneCode.objects.filter(created_at__lt=now - _KEEP_PHONE_CODES).delete()
    return {
        "throttle_buckets": throttle_purge(now=now),
        "drafts": draft_purge(now=now),
        "phone_codes": codes,
    }
