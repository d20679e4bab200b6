"""Personal data of parties: shown masked everywhere; seen in full only by a role that needs it,
with a purpose, and every look recorded (个人信息保护法 第六条 最小必要, 第五十一条 安全措施)."""

from django.db import transaction
from django.utils.translation import gettext as _

from yimen.accounts.scopes import can_reveal_personal_data
from yimen.audit.context import current_request
from yimen.audit.models import AuditKind
from yimen.audit.services import audit_record
from yimen.common.errors import InvalidInput, NotFound, PermissionDenied

from .models import Case, Party, RevealAudit

REVEALED_FIELDS = ("id_number", "phone")


def party_reveal(*, actor, case: Case, party_id: int, purpose: str) -> Party:
    """查看当事人完整证件号码和电话.

    1. `case` must already be one the actor may see (the caller loads it through selectors.case_get).
    2. Only roles allowed by scopes.can_reveal_personal_data over this matter; others get 403.
    3. A purpose is required; one RevealAudit row per field shown and one audit-trail event, in one transaction.
    """
    assigned_unit_ids = set(case.assignments.values_list("unit_id", flat=True))
    if not can_reveal_personal_data(actor, case, assigned_unit_ids):
        raise PermissionDenied(_("您的角色不能查看当事人的完整个人信息。"), code="forbidden_role")
    party = Party.objects.filter(case=case, pk=party_id).first()
    if party is None:
        raise NotFound(_("该事项没有这名当事人。"), code="party_not_found")
    purpose = (purpose or "").strip()
    if not purpose:
        raise InvalidInput(_("请说明查看用途（purpose）。"), field="purpose")
    with transaction.atomic():
        RevealAudit.objects.bulk_create(
            [RevealAudit(user=actor, case=case, party=party, field=name, purpose=purpose[:200]) for name in REVEALED_FIELDS]
        )
        audit_record(kind=AuditKind.PERSONAL_DATA_REVEALED, actor=actor, obj=party, request=current_request(),
                     summary=lambda: _("查看事项 %(number)s 当事人 %(name)s 的完整证件号码和电话") % {"number": case.number, "name": party.name},
                     details={"case": case.number, "fields": list(REVEALED_FIELDS), "purpose": purpose[:200]})
    return party
