"""The demo's clock: history is written at its own times by standing in for `timezone.now`."""

import datetime as dt
from contextlib import contextmanager
from unittest import mock


class DemoClock:
    """Stands in for `django.utils.timezone.now` while history is written."""

    def __init__(self, now: dt.datetime):
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@contextmanager
def patched_now(clock: DemoClock):
    # The services call `timezone.now()` through the module, so patching the module attribute
    # reaches all of them (intake, transitions, deadlines, outbox) without a dev-only dependency.
    with mock.patch("django.utils.timezone.now", clock):
        yield clock


@contextmanager
def memoized_policy_lookup():
    """Time-limit policies do not change while the demo loads: answer each distinct look-up once.

    Looking the policy up is a sixth of the load time otherwise; the answers are the same either way.
    """
    from yimen.cases import deadlines

    original = getattr(deadlines, "policy_for", None)
    if original is None:
        yield
        return
    from yimen.cases.models import TimeLimitPolicy

    # With no policy naming a region (the defaults), the place cannot change the answer.
    ignore_region = not TimeLimitPolicy.objects.filter(region__isnull=False).exists()
    answers = {}

    def policy_for(*args, **kwargs):
        if args:
            return original(*args, **kwargs)
        key = tuple(sorted((name, None if name == "region" and ignore_region else getattr(value, "pk", value))
                           for name, value in kwargs.items()))
        if key not in answers:
            answers[key] = original(**kwargs)
        return answers[key]

    with mock.patch.object(deadlines, "policy_for", policy_for):
        yield
