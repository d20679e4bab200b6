import datetime as dt
import hashlib
import hmac
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.test import override_settings

from yimen.notifications.delivery import outbox_deliver
from yimen.notifications.models import OutboxStatus
from yimen.notifications.outbox import outbox_enqueue
from yimen.notifications.senders import (
    ConsoleSmsSender,
    LogSender,
    load_senders,
    phone_numbers,
    webhook_signature,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 3, 3, 1, 0, tzinfo=dt.UTC)


class _Receiver:
    """A webhook receiver on 127.0.0.1 that records each request and answers `status`."""

    def __init__(self, status=200):
        self.requests = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def test_the_log_sender_is_the_embedded_default(world, caplog):
    message = outbox_enqueue(kind="case_escalated", subject="[YM-1] 下级提级事项，请研判派单",
                             recipient_centre=world.centre_county, now=NOW)

    with caplog.at_level(logging.INFO, logger="yimen.notifications"):
        assert outbox_deliver(now=NOW) == 1

    assert [type(s) for _, s in load_senders()] == [LogSender]
    assert "中心 青溪县综治中心" in caplog.text and "下级提级事项" in caplog.text
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT


def test_the_webhook_sender_posts_signed_json_with_an_idempotency_key(world):
    case = world.register()
    message = outbox_enqueue(kind="deadline_overdue", subject=f"[{case.number}] 办理(事项)已超期", case=case,
                             recipient_unit=world.hrss, payload={"step": "handle"}, now=NOW)

    with _Receiver() as receiver, override_settings(
        YIMEN_NOTIFICATION_SENDERS=["yimen.notifications.senders.WebhookSender"],
        YIMEN_WEBHOOK_URL=receiver.url, YIMEN_WEBHOOK_SECRET="s3cret",
    ):
        assert outbox_deliver(now=NOW) == 1

    (headers, body), = receiver.requests
    assert headers["Idempotency-Key"] == str(message.pk)
    assert headers["X-Yimen-Signature"] == webhook_signature("s3cret", headers["X-Yimen-Timestamp"], body)
    expected = "sha256=" + hmac.new(b"s3cret", headers["X-Yimen-Timestamp"].encode() + b"." + body, hashlib.sha256).hexdigest()
    assert headers["X-Yimen-Signature"] == expected
    data = json.loads(body)
    assert data["id"] == message.pk and data["case"] == case.number
    assert data["recipient"]["unit"] == world.hrss.pk
    assert data["payload"] == {"step": "handle"}


def test_a_webhook_answering_an_error_is_retried_later(world):
    message = outbox_enqueue(kind="k", subject="x", now=NOW)

    with _Receiver(status=503) as receiver, override_settings(
        YIMEN_NOTIFICATION_SENDERS=["yimen.notifications.senders.WebhookSender"], YIMEN_WEBHOOK_URL=receiver.url,
    ):
        assert outbox_deliver(now=NOW) == 0

    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 1)
    assert "503" in message.last_error


def test_an_unreachable_webhook_is_retried_later(world):
    message = outbox_enqueue(kind="k", subject="x", now=NOW)

    with override_settings(YIMEN_NOTIFICATION_SENDERS=["yimen.notifications.senders.WebhookSender"],
                           YIMEN_WEBHOOK_URL="http://127.0.0.1:9/closed", YIMEN_WEBHOOK_TIMEOUT_SECONDS=2):
        assert outbox_deliver(now=NOW) == 0

    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING and message.last_error


def test_the_console_sms_sender_texts_the_unit_staff(world, caplog):
    world.handler.phone = "13900000001"
    world.handler.save()
    message = outbox_enqueue(kind="k", subject="[YM-1] 签收临期预警", recipient_unit=world.hrss, now=NOW)
    silent = outbox_enqueue(kind="k", subject="无人可发", recipient_unit=world.housing, now=NOW)

    with caplog.at_level(logging.INFO, logger="yimen.notifications"), override_settings(
        YIMEN_NOTIFICATION_SENDERS=["yimen.notifications.senders.ConsoleSmsSender"],
    ):
        assert outbox_deliver(now=NOW) == 2

    assert phone_numbers(message) == ["13900000001"]
    assert "sms to=13900000001" in caplog.text and "签收临期预警" in caplog.text
    assert "无人可发" not in caplog.text  # nobody with a phone: the SMS sender declines it
    silent.refresh_from_db()
    assert silent.status == OutboxStatus.SENT


def test_senders_are_read_from_settings_at_call_time():
    with override_settings(YIMEN_NOTIFICATION_SENDERS=["yimen.notifications.senders.ConsoleSmsSender"]):
        assert [type(s) for _, s in load_senders()] == [ConsoleSmsSender]
    with override_settings(YIMEN_NOTIFICATION_SENDERS=["yimen.accounts.models.User"]), \
            pytest.raises(Exception, match="not a Sender"):
        load_senders()
