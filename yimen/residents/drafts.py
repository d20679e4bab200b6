"""Unfinished registrations, kept in the database so nothing typed or uploaded is lost.

A resident who gets a validation error, or whose page is reloaded after a server restart, finds
the form as they left it, without JavaScript: the web layer keeps the draft's random token in the
session and reads the draft back with `draft_for`. Files already checked by uploads.check_upload
wait in default storage (MEDIA_ROOT, never served publicly) until the registration is sent.
"""

import datetime as dt
import logging
import secrets

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yimen.cases.intake import AttachmentInput
from yimen.common.errors import InvalidInput

from .models import Draft, DraftFile
from .uploads import CheckedUpload

logger = logging.getLogger("yimen.residents")

# A form has a dozen fields; the caps stop a crafted POST from storing megabytes per draft.
_MAX_FIELDS = 50
_MAX_VALUE = 5000


def draft_for(*, token: str | None, centre) -> Draft | None:
    """The draft behind `token` if it belongs to `centre` and has not expired, else None."""
    if not token:
        return None
    fresh_since = timezone.now() - dt.timedelta(days=settings.YIMEN_RESIDENT_DRAFT_DAYS)
    return Draft.objects.filter(token=token, centre=centre, updated_at__gte=fresh_since).first()


def draft_start(*, centre) -> Draft:
    # 32 random bytes → 43 url-safe characters: unguessable, so the token alone may open the draft.
    return Draft.objects.create(token=secrets.token_urlsafe(32), centre=centre)


def draft_save(*, draft: Draft, data: dict) -> None:
    """Replace what the draft remembers with `data`; only text values are kept, each capped."""
    kept = {}
    for name, value in data.items():
        if isinstance(name, str) and isinstance(value, str) and len(kept) < _MAX_FIELDS:
            # PostgreSQL's jsonb cannot hold NUL characters.
            kept[name[:100]] = value.replace("\x00", "")[:_MAX_VALUE]
    draft.data = kept
    draft.save(update_fields=["data", "updated_at"])


def draft_add_file(*, draft: Draft, upload: CheckedUpload) -> DraftFile:
    """Store a checked file with the draft; refuse past settings.YIMEN_RESIDENT_MAX_FILES."""
    limit = settings.YIMEN_RESIDENT_MAX_FILES
    with transaction.atomic():
        # Lock the draft so two uploads sent at once cannot both pass the count.
        Draft.objects.select_for_update().filter(pk=draft.pk).exists()
        if DraftFile.objects.filter(draft=draft).count() >= limit:
            raise InvalidInput(_("最多上传%(n)d个文件。") % {"n": limit}, field="files")
        record = DraftFile(
            draft=draft, original_name=upload.name[:100], content_type=upload.content_type,
            size=len(upload.content),
        )
        extension = upload.name.rpartition(".")[2]
        record.file.save(f"{secrets.token_hex(12)}.{extension}", ContentFile(upload.content), save=False)
        try:
            record.save()
            draft.save(update_fields=["updated_at"])
        except Exception:
            _delete_files([record.file.name])
            raise
    return record


def draft_remove_file(*, draft: Draft, file_id: int) -> None:
    """Remove one file; removing a file that is already gone does nothing (a double click)."""
    record = DraftFile.objects.filter(draft=draft, pk=file_id).first()
    if record is not None:
        record.delete()
        _delete_files_on_commit([record.file.name])


def draft_attachments(draft: Draft) -> list[AttachmentInput]:
    """The draft's files, read back, in upload order, ready for cases.intake."""
    attachments = []
    for record in DraftFile.objects.filter(draft=draft).order_by("pk"):
        try:
            with record.file.open("rb") as stored:
                content = stored.read()
        except FileNotFoundError:
            # Storage lost the file (disk restored from an older backup …): drop the row so the
            # list the resident sees is true again, and ask for the file once more.
            logger.warning("draft file %s is missing from storage", record.file.name)
            record.delete()
            raise InvalidInput(
                _("文件“%(name)s”没有保存成功，请重新上传。") % {"name": record.original_name}, field="files"
            ) from None
        attachments.append(AttachmentInput(name=record.original_name, content=content, content_type=record.content_type))
    return attachments


def draft_discard(*, draft: Draft) -> None:
    """Forget the draft and its files, e.g. once the registration was sent."""
    names = list(DraftFile.objects.filter(draft=draft).values_list("file", flat=True))
    Draft.objects.filter(pk=draft.pk).delete()
    _delete_files_on_commit(names)


def draft_purge(*, now=None) -> int:
    """Delete drafts untouched for settings.YIMEN_RESIDENT_DRAFT_DAYS, with their files."""
    now = now or timezone.now()
    stale = Draft.objects.filter(updated_at__lt=now - dt.timedelta(days=settings.YIMEN_RESIDENT_DRAFT_DAYS))
    with transaction.atomic():
        names = list(DraftFile.objects.filter(draft__in=stale).values_list("file", flat=True))
        _deleted, per_model = stale.delete()
        _delete_files_on_commit(names)
    return per_model.get(Draft._meta.label, 0)


def _delete_files_on_commit(names: list[str]) -> None:
    # Only once the rows are gone for good: a rolled-back registration keeps its draft intact.
    transaction.on_commit(lambda: _delete_files(names))


def _delete_files(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            logger.warning("could not delete stored draft file %s", name, exc_info=True)
