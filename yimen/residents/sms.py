"""How a one-time code reaches a resident's phone.

Codes are sent synchronously, while the resident waits on the page, so a sender must return
within a few seconds and raise on any failure (the caller then tells the resident to try again).

settings.YIMEN_SMS_SENDER names the sender class by dotted path and is read at every send, so
`override_settings` works. The embedded default, LogSmsSender, writes the text to the log, which
is where a demo user reads the code.

Writing a gateway adapter (Aliyun, Tencent Cloud, an operator's SMS platform …):

    # mycentre/sms.py
    from yimen.residents.sms import SmsSender

    class GatewaySmsSender(SmsSender):
        def send(self, *, phone: str, text: str) -> None:
            # Call the gateway with a short timeout (the resident is waiting); raise if it
            # refuses or does not answer, return normally once it has accepted the message.
            ...

then set YIMEN_SMS_SENDER=mycentre.sms.GatewaySmsSender. The class is built with no arguments;
read credentials from django.conf.settings or the environment inside `send`. Never log the text
in an adapter: it carries the code.
"""

import logging
import re

from django.conf import settings
from django.utils.module_loading import import_string

from yimen.cases.models import mask_phone

logger = logging.getLogger("yimen.residents")


class SmsSender:
    """Base class: `send` returns once the gateway accepted the message and raises otherwise."""

    def send(self, *, phone: str, text: str) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


class LogSmsSender(SmsSender):
    """Embedded mode: the log is the phone. The text (with the code) is logged in full on purpose."""

    def send(self, *, phone: str, text: str) -> None:
        logger.info("SMS to %s: %s", mask_phone(phone), text)


class MemorySmsSender(SmsSender):
    """Tests and browser tests: messages collect in `outbox`, shared by every instance."""

    outbox: list[tuple[str, str]] = []

    def send(self, *, phone: str, text: str) -> None:
        MemorySmsSender.outbox.append((phone, text))

    @classmethod
    def last_code_for(cls, phone: str) -> str | None:
        """The 6-digit code of the newest message to `phone`, or None."""
        wanted = re.sub(r"\D", "", phone)
        for to, text in reversed(cls.outbox):
            if to == wanted:
                match = re.search(r"(?<!\d)\d{6}(?!\d)", text)
                return match[0] if match else None
        return None


def load_sms_sender() -> SmsSender:
    return import_string(settings.YIMEN_SMS_SENDER)()
