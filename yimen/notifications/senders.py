"""Pluggable senders: how an outbox message leaves the building.

settings.YIMEN_NOTIFICATION_SENDERS lists dotted paths of Sender classes; every message is offered
to each of them in order (fan-out), and a sender whose `accepts()` says no is skipped. The list is
read at call time (see `load_senders`), so `override_settings` works and a restarted worker picks
up a change.

A sender's contract is small: `send(message)` returns when the message was handed over, and raises
on any failure. It never touches the outbox row: the delivery loop (delivery.py) owns the row's
state, retries and backoff.
"""

import hashlib
import hmac
import json
import logging
import time
import urllib.request
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

logger = logging.getLogger("yimen.notifications")

# Keys of OutboxMessage.payload that belong to the delivery machinery, not to the message.
INTERNAL_PAYLOAD_KEYS = frozenset({"_delivered_by"})


class Sender:
    """Base class. Subclasses implement `send`; `accepts` lets a sender skip what it cannot carry."""

    def accepts(self, message) -> bool:
        return True

    def send(self, message) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


def describe_recipient(message) -> str:
    """A human-readable recipient for logs: "单位 青溪县人社局", "中心 桃源镇综治中心", …"""
    parts = []
    if message.recipient_user_id:
        parts.append(f"用户 {message.recipient_user}")
    if message.recipient_unit_id:
        parts.append(f"单位 {message.recipient_unit}")
    if message.recipient_centre_id:
        parts.append(f"中心 {message.recipient_centre}")
    if message.recipient_address:
        parts.append(message.recipient_address)
    return "、".join(parts) or "（无收件人）"


class LogSender(Sender):
    """The embedded-mode default: write the message to the log, where an operator can read it."""

    def send(self, message) -> None:
        logger.info("notification id=%s kind=%s to=%s subject=%s", message.pk, message.kind,
                    describe_recipient(message), message.subject)


# ---------------------------------------------------------------------------------------------
# Webhook


def webhook_body(message) -> dict:
    """The JSON a webhook receives. Stable field names: other systems parse this."""
    return {
        "id": message.pk,
        "kind": message.kind,
        "case": message.case.number if message.case_id else None,
        "subject": message.subject,
        "body": message.body,
        "recipient": {
            "user": message.recipient_user_id,
            "unit": message.recipient_unit_id,
            "centre": message.recipient_centre_id,
            "address": message.recipient_address,
        },
        "payload": {k: v for k, v in (message.payload or {}).items() if k not in INTERNAL_PAYLOAD_KEYS},
        "created_at": message.created_at.isoformat() if message.created_at else None,
    }


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>"; the timestamp inside the MAC stops replays of old bodies."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class WebhookSender(Sender):
    """POST each message as JSON to settings.YIMEN_WEBHOOK_URL.

    Headers: `Idempotency-Key` (the message id: a receiver that remembers it drops the one repeat a
    crash can cause, see docs/background.md), `X-Yimen-Timestamp`, and `X-Yimen-Signature` (see
    `webhook_signature`) when YIMEN_WEBHOOK_SECRET is set. Any non-2xx answer, timeout or network
    error raises, so the delivery loop retries with backoff.
    """

    def send(self, message) -> None:
        url = getattr(settings, "YIMEN_WEBHOOK_URL", "")
        if not url:
            raise ImproperlyConfigured("WebhookSender is enabled but YIMEN_WEBHOOK_URL is empty")
        secret = getattr(settings, "YIMEN_WEBHOOK_SECRET", "")
        timeout = float(getattr(settings, "YIMEN_WEBHOOK_TIMEOUT_SECONDS", 10))
        body = json.dumps(webhook_body(message), ensure_ascii=False).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "yimen-outbox/1",
            "Idempotency-Key": str(message.pk),
            "X-Yimen-Timestamp": timestamp,
        }
        if secret:
            headers["X-Yimen-Signature"] = webhook_signature(secret, timestamp, body)
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        # urlopen raises HTTPError for 4xx/5xx and URLError/TimeoutError for the network. The URL
        # comes from settings, never from a message.
        with urllib.request.urlopen(request, timeout=timeout) as response:
            if not 200 <= response.status < 300:
                raise RuntimeError(f"webhook answered HTTP {response.status}")


# ---------------------------------------------------------------------------------------------
# SMS


def phone_numbers(message) -> list[str]:
    """Mobile numbers for a message: its own address, else the user's, the unit's staff, or the
    centre's staff (people holding a centre role at the centre's own region)."""
    from yimen.accounts.models import Membership
    from yimen.accounts.scopes import CENTRE_ROLES

    if message.recipient_address:
        return [message.recipient_address] if message.recipient_address.lstrip("+").isdigit() else []
    if message.recipient_user_id:
        return [message.recipient_user.phone] if message.recipient_user.phone else []
    members = Membership.objects.filter(user__is_active=True).exclude(user__phone="")
    if message.recipient_unit_id:
        members = members.filter(unit_id=message.recipient_unit_id)
    elif message.recipient_centre_id:
        members = members.filter(region_id=message.recipient_centre.region_id, role__in=CENTRE_ROLES, unit__isnull=True)
    else:
        return []
    return sorted(set(members.values_list("user__phone", flat=True)))


def sms_text(message) -> str:
    site = str(getattr(settings, "YIMEN_SITE_NAME", _("一门")))
    return f"【{site}】{message.subject}"[:300]


class SmsSender(Sender):
    """Adapter for an SMS gateway. Subclass it and implement `send_sms` for a real provider.

    A message to several phones is sent to each; if one fails the whole message is retried, so the
    others may get it twice (SMS gateways rarely take idempotency keys; documented).
    """

    def accepts(self, message) -> bool:
        return bool(phone_numbers(message))

    def send(self, message) -> None:
        text = sms_text(message)
        for phone in phone_numbers(message):
            self.send_sms(phone, text)

    def send_sms(self, phone: str, text: str) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


class ConsoleSmsSender(SmsSender):
    """Embedded mode and demos: the "SMS" goes to the log instead of a gateway."""

    def send_sms(self, phone: str, text: str) -> None:
        logger.info("sms to=%s text=%s", phone, text)


# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=32)
def _sender_class(path: str) -> type[Sender]:
    cls = import_string(path)
    if not (isinstance(cls, type) and issubclass(cls, Sender)):
        raise ImproperlyConfigured(f"{path} in YIMEN_NOTIFICATION_SENDERS is not a Sender class")
    return cls


def load_senders() -> list[tuple[str, Sender]]:
    """(path, instance) for each configured sender, read from settings now."""
    paths = getattr(settings, "YIMEN_NOTIFICATION_SENDERS", ["yimen.notifications.senders.LogSender"])
    if isinstance(paths, str):
        paths = [p for p in paths.split(",") if p]
    return [(path, _sender_class(path)()) for path in paths]
