"""Revoking API tokens: one writer for the command (`yimen token revoke`) and the admin action."""

from django.db import transaction
from django.utils import timezone

from .models import ApiToken


def api_tokens_revoke(*, tokens) -> int:
    """Revoke the still-valid tokens among `tokens` (a queryset); returns how many were revoked."""
    with transaction.atomic():
        return ApiToken.objects.filter(pk__in=tokens.values("pk"), revoked=False).update(
            revoked=True, revoked_at=timezone.now()
        )
