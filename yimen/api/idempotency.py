"""Idempotency-Key: a retried POST replays the first answer and changes nothing twice.

1. No key: the change runs and its response is sent; nothing is stored.
2. A key seen before (same user): the stored response is sent again, with the same status and body
   and the header `Idempotent-Replayed: true`. The same key on another method/path is refused (409
   idempotency_key_reused): a client that reuses keys would otherwise get a stranger's answer.
3. A new key: the change and the IdempotencyRecord are written in ONE transaction, so either both
   are there or neither. Two retries racing with the same key both run; the second one's insert hits
   the unique constraint (user, key), its whole transaction — the change included — rolls back,
   and it answers with the first one's stored response.
Only successful (2xx) responses are stored: an error changed nothing, so a retry may simply run again.
"""

from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from yimen.cases.models import IdempotencyRecord
from yimen.common.errors import Conflict, InvalidInput

from .errors import json_response, to_json_native

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = IdempotencyRecord._meta.get_field("key").max_length


def _find(user, key: str) -> IdempotencyRecord | None:
    return IdempotencyRecord.objects.filter(user=user, key=key).first()


def _replay(record: IdempotencyRecord, method_path: str):
    if record.method_path != method_path:
        raise Conflict(
            _("该幂等键（Idempotency-Key）已用于另一个请求（%(other)s），请为每个新请求生成新的键。")
            % {"other": record.method_path},
            code="idempotency_key_reused",
            field=HEADER,
        )
    return json_response(record.status_code, record.body, headers={"Idempotent-Replayed": "true"})


def run_once(request, change: Callable[[], tuple[int, dict]]):
    """Run `change` (which returns status and body) at most once per Idempotency-Key."""
    key = request.headers.get(HEADER, "").strip()
    if not key:
        status, body = change()
        return json_response(status, body)
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(_("幂等键（Idempotency-Key）不能超过%(n)d个字符。") % {"n": MAX_KEY_LENGTH}, field=HEADER)
    user = request.auth
    method_path = f"{request.method} {request.path}"[:300]
    record = _find(user, key)
    if record is not None:
        return _replay(record, method_path)
    try:
        with transaction.atomic():
            status, body = change()
            body = to_json_native(body)
            if 200 <= status < 300:
                IdempotencyRecord.objects.create(user=user, key=key, method_path=method_path, status_code=status, body=body)
    except IntegrityError:
        record = _find(user, key)
        if record is None:
            raise  # not our constraint: a real error
        return _replay(record, method_path)
    return json_response(status, body)
