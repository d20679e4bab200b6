import datetime as dt
import threading
from typing import ClassVar

import pytest
from django.db import connection, connections
from django.test import override_settings
from django.utils import timezone

from yimen.notifications import delivery
from yimen.notifications.delivery import backoff_seconds, outbox_deliver, outbox_retry
from yimen.notifications.models import OutboxMessage, OutboxStatus
from yimen.notifications.outbox import (
    outbox_enqueue,
    outbox_enqueue_many,
    outbox_message,
)
from yimen.notifications.senders import Sender

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 3, 3, 1, 0, tzinfo=dt.UTC)
SECOND = dt.timedelta(seconds=1)

# Test senders, loaded by dotted path like real ones. Each records what it was given.
SENT: list[tuple[str, int]] = []


class Recording(Sender):
    def send(self, message):
        SENT.append(("recording", message.pk))


class Failing(Sender):
    def send(self, message):
        raise ConnectionError("网关不可达")


class FailsOnce(Sender):
    seen: ClassVar[set[int]] = set()

    def send(self, message):
        if message.pk not in FailsOnce.seen:
            FailsOnce.seen.add(message.pk)
            raise TimeoutError("timed out")
        SENT.append(("fails_once", message.pk))


class DeliversAgainWhileSending(Sender):
    """Starts a second delivery pass in the middle of a send: the other worker, at the worst moment."""

    def send(self, message):
        SENT.append(("recording", message.pk))
        SENT.append(("nested", outbox_deliver(now=NOW)))


HERE = __name__
RECORDING = [f"{HERE}.Recording"]


@pytest.fixture(autouse=True)
def _clean():
    SENT.clear()
    FailsOnce.seen.clear()


def _queue(**overrides) -> OutboxMessage:
    data = {"kind": "test", "subject": "[YM-1] 新派单：请在期限内签收", "now": NOW, **overrides}
    return outbox_enqueue(**data)


@override_settings(YIMEN_NOTIFICATION_SENDERS=RECORDING)
def test_it_sends_a_due_message_and_marks_it_sent():
    message = _queue()

    assert outbox_deliver(now=NOW) == 1

    message.refresh_from_db()
    assert (message.status, message.sent_at, message.attempts, message.claimed_until) == (OutboxStatus.SENT, NOW, 1, None)
    assert SENT == [("recording", message.pk)]
    assert outbox_deliver(now=NOW + SECOND) == 0
    assert len(SENT) == 1


@override_settings(YIMEN_NOTIFICATION_SENDERS=RECORDING)
def test_a_message_not_yet_due_waits():
    _queue(now=NOW + dt.timedelta(minutes=5))

    assert outbox_deliver(now=NOW) == 0
    assert SENT == []


@override_settings(YIMEN_NOTIFICATION_SENDERS=[f"{HERE}.Failing"])
def test_a_sender_exception_leaves_the_message_pending_for_a_later_retry():
    message = _queue()

    assert outbox_deliver(now=NOW) == 0

    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING
    assert message.attempts == 1
    assert message.next_attempt_at == NOW + dt.timedelta(seconds=backoff_seconds(1))
    assert message.last_error == "ConnectionError: 网关不可达"
    assert message.claimed_until is None


@override_settings(YIMEN_NOTIFICATION_SENDERS=[f"{HERE}.Failing"], YIMEN_OUTBOX_MAX_ATTEMPTS=4,
                   YIMEN_OUTBOX_BACKOFF_SECONDS=30)
def test_retries_back_off_exponentially_and_give_up_after_the_last_attempt(caplog):
    message = _queue()
    now, waits = NOW, []
    for _ in range(4):
        outbox_deliver(now=now)
        message.refresh_from_db()
        if message.status == OutboxStatus.FAILED:
            break
        waits.append((message.next_attempt_at - now).total_seconds())
        assert outbox_deliver(now=message.next_attempt_at - SECOND) == 0  # not before its time
        now = message.next_attempt_at

    assert waits == [30, 60, 120]
    assert (message.status, message.attempts) == (OutboxStatus.FAILED, 4)
    assert "failed after 4 attempts" in caplog.text
    assert outbox_deliver(now=now + dt.timedelta(days=1)) == 0  # failed rows are left alone


def test_the_backoff_is_capped():
    with override_settings(YIMEN_OUTBOX_BACKOFF_SECONDS=30, YIMEN_OUTBOX_BACKOFF_MAX_SECONDS=3600):
        assert [backoff_seconds(n) for n in (1, 2, 3, 7, 8, 20)] == [30, 60, 120, 1920, 3600, 3600]


@override_settings(YIMEN_NOTIFICATION_SENDERS=RECORDING)
def test_an_operator_can_put_a_failed_message_back():
    message = _queue()
    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxStatus.FAILED, attempts=8)

    assert outbox_retry(ids=[message.pk]) == 1
    assert outbox_deliver(now=timezone.now()) == 1


@override_settings(YIMEN_NOTIFICATION_SENDERS=RECORDING, YIMEN_OUTBOX_LEASE_SECONDS=300)
def test_a_message_claimed_by_a_crashed_worker_is_delivered_again_after_the_lease():
    message = _queue()
    # A worker claimed it and died before recording anything.
    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxStatus.SENDING, claimed_until=NOW + dt.timedelta(seconds=300))

    assert outbox_deliver(now=NOW + dt.timedelta(seconds=299)) == 0  # its lease still holds
    assert outbox_deliver(now=NOW + dt.timedelta(seconds=301)) == 1

    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT
    assert SENT == [("recording", message.pk)]


@override_settings(YIMEN_NOTIFICATION_SENDERS=[f"{HERE}.DeliversAgainWhileSending"])
def test_a_second_delivery_while_the_first_is_sending_does_not_send_twice():
    message = _queue()

    assert outbox_deliver(now=NOW) == 1

    assert SENT == [("recording", message.pk), ("nested", 0)]
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT


@override_settings(YIMEN_NOTIFICATION_SENDERS=RECORDING, YIMEN_OUTBOX_LEASE_SECONDS=60)
def test_a_worker_whose_lease_ran_out_cannot_overwrite_the_newer_claim():
    message = _queue()
    stale = delivery._claim(10, NOW, NOW + dt.timedelta(seconds=60))  # worker A claims, then stalls
    assert [m.pk for m in stale] == [message.pk]

    later = NOW + dt.timedelta(seconds=61)
    with override_settings(YIMEN_NOTIFICATION_SENDERS=[f"{HERE}.Failing"]):
        outbox_deliver(now=later)  # worker B re-claims after the lease; its send fails
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 1)

    # A wakes up and reports success on its old claim: refused, B's record stands.
    assert delivery._ours(stale[0], NOW + dt.timedelta(seconds=60)).update(status=OutboxStatus.SENT) == 0
    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING


@override_settings(YIMEN_NOTIFICATION_SENDERS=[f"{HERE}.Recording", f"{HERE}.FailsOnce"])
def test_a_retry_skips_the_senders_that_already_took_the_message():
    message = _queue()

    outbox_deliver(now=NOW)
    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING
    outbox_deliver(now=message.next_attempt_at)

    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT
    assert SENT == [("recording", message.pk), ("fails_once", message.pk)]


@override_settings(YIMEN_NOTIFICATION_SENDERS=RECORDING)
def test_delivery_takes_a_batch_at_a_time_oldest_first():
    messages = [_queue(now=NOW - dt.timedelta(minutes=n)) for n in range(5)]

    assert outbox_deliver(batch=2, now=NOW) == 2
    assert [pk for _, pk in SENT] == [messages[4].pk, messages[3].pk]
    assert outbox_deliver(batch=10, now=NOW) == 3


def test_bulk_enqueue_skips_messages_already_queued_under_the_same_key():
    outbox_enqueue_many([outbox_message(kind="k", subject="一", now=NOW, dedupe_key="warn:1:1")])
    outbox_enqueue_many([
        outbox_message(kind="k", subject="一", now=NOW, dedupe_key="warn:1:1"),
        outbox_message(kind="k", subject="二", now=NOW, dedupe_key="warn:2:1"),
    ])

    assert sorted(OutboxMessage.objects.values_list("dedupe_key", flat=True)) == ["warn:1:1", "warn:2:1"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent transactions (PostgreSQL)")
@pytest.mark.django_db(transaction=True)
@override_settings(YIMEN_NOTIFICATION_SENDERS=RECORDING)
def test_two_workers_delivering_at_once_send_each_message_once():
    messages = [_queue() for _ in range(60)]
    start = threading.Barrier(2)

    def worker():
        try:
            start.wait()
            while outbox_deliver(batch=7, now=NOW):
                pass
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(pk for _, pk in SENT) == sorted(m.pk for m in messages)
    assert OutboxMessage.objects.filter(status=OutboxStatus.SENT).count() == 60
