"""What a resident can do on the residents' pages (解纷码), as services.

Nothing here re-implements a rule: registering goes through `cases.intake.case_register` and every
move through `cases.transitions`, with a `ResidentActor` as the actor, so the move table, the
deadlines, the events and the outbox are the ones staff use. What is added is what only residents
need: a proved phone, rate limits per phone and per address, and one answer for "wrong number or
wrong code" so that a matter number alone reveals nothing.
"""

import hmac
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from yimen.accounts.scopes import ResidentActor
from yimen.cases import transitions
from yimen.cases.intake import AttachmentInput, CaseInput, PartyInput, case_register
from yimen.cases.models import Case, Category, Channel, Party, PartyKind, PartyRole, Satisfaction, Status
from yimen.cases.presenting import RESIDENT_RATING_METHOD
from yimen.common.errors import InvalidInput, NotFound, PermissionDenied
from yimen.regions.models import Centre, Region

from .drafts import draft_attachments, draft_discard
from .throttle import throttle_hit

# What a resident may answer when rating; 未联系上 is a staff outcome, not an answer.
RESIDENT_SATISFACTION = (Satisfaction.SATISFIED, Satisfaction.BASICALLY, Satisfaction.UNSATISFIED)
PHONE_MATTERS_LIMIT = 50


@dataclass
class ResidentReport:
    """What a resident tells us, in their words (the form's shape is checked by the web form)."""

    description: str
    request: str
    name: str
    category: Category | None = None
    region: Region | None = None  # None: "I don't know where exactly": the centre's own region
    address: str = ""
    other_party: str = ""
    headcount: int = 1


def resident_register(*, centre: Centre, report: ResidentReport, actor: ResidentActor, client_address: str, draft=None) -> Case:
    """登记 from a phone.

    1. The phone must have been proved with a one-time code (the actor carries it).
    2. Rate limits: registrations per phone and per address.
    3. The same intake as the window: channel 网上(解纷码), at the scanned centre, the files kept in the
       draft become the matter's attachments; then the draft is discarded.
    """
    if not actor.phone:
        raise PermissionDenied(_("请先验证手机号。"), field="phone")
    message = _("提交太频繁")
    throttle_hit(scope="register-phone", key=actor.phone, rate=settings.YIMEN_RATE_REGISTER_PER_PHONE, message=message)
    throttle_hit(scope="register-address", key=client_address, rate=settings.YIMEN_RATE_REGISTER_PER_ADDRESS, message=message)
    parties = [PartyInput(name=report.name, phone=actor.phone, headcount=max(report.headcount, 1))]
    if report.other_party.strip():
        parties.append(PartyInput(name=report.other_party.strip()[:100], role=PartyRole.RESPONDENT, kind=PartyKind.PERSON))
    data = CaseInput(
        channel=Channel.ONLINE,
        centre=centre,
        region=report.region or centre.region,
        title="",
        description=report.description,
        request=report.request,
        category=report.category,
        address=report.address,
        parties=parties,
        attachments=draft_attachments(draft) if draft is not None else [],
    )
    case = case_register(actor=actor, data=data)
    if draft is not None:
        draft_discard(draft=draft)
    return case


def resident_case_lookup(*, number: str, query_code: str, client_address: str) -> Case:
    """Number + query code → the matter. Wrong number and wrong code get the same answer."""
    number = (number or "").strip()
    code = "".join((query_code or "").split()).upper()
    message = _("查询太频繁")
    throttle_hit(scope="lookup-address", key=client_address, rate=settings.YIMEN_RATE_LOOKUP_PER_ADDRESS, message=message)
    if number:
        throttle_hit(scope="lookup-number", key=number, rate=settings.YIMEN_RATE_LOOKUP_PER_NUMBER, message=message)
    case = Case.objects.filter(number=number).only("pk", "number", "query_code").first() if number and code else None
    if case is None or not hmac.compare_digest(case.query_code.encode(), code.encode()):
        raise NotFound(_("事项编号或查询码不正确。请核对受理回执上的编号和查询码。"), field="code")
    return case


def resident_case_ids_for_phone(*, phone: str) -> list[int]:
    """The matters where the proved phone is a party's phone, newest first (index party_phone)."""
    if not phone:
        return []
    is_party = Exists(Party.objects.filter(case=OuterRef("pk"), phone=phone))
    return list(Case.objects.filter(is_party).order_by("-received_at").values_list("pk", flat=True)[:PHONE_MATTERS_LIMIT])


def resident_phone_matters(*, phone: str) -> list[Case]:
    """The proved phone's matters for its list (number, received, status): two queries in all."""
    ids = resident_case_ids_for_phone(phone=phone)
    return list(Case.objects.filter(pk__in=ids).order_by("-received_at", "-pk").only("number", "received_at", "status"))


def resident_case_get(*, actor: ResidentActor, number: str) -> Case:
    """A matter the resident proved, with what its page shows; 404 for anything else."""
    case = (
        Case.objects.filter(number=number, pk__in=sorted(actor.case_ids))
        .select_related("owning_centre__region", "category")
        .first()
    )
    if case is None:
        raise NotFound(_("找不到这件事项，请重新输入编号和查询码。"))
    return case


def resident_case_page(case: Case):
    """The matter as its resident sees it: two queries besides the matter (events, assignments+units)."""
    from yimen.cases.models import Assignment, CaseEvent

    from .presenting import resident_case_view

    events = list(CaseEvent.objects.filter(case=case).order_by("created_at", "id"))
    assignments = list(Assignment.objects.filter(case=case).select_related("unit"))
    return resident_case_view(case, events, assignments)


def resident_supplement(*, actor: ResidentActor, case: Case, note: str, files=()) -> Case:
    """补充材料: text and files already checked by content (uploads.check_upload)."""
    attachments = [AttachmentInput(name=f.name, content=f.content, content_type=f.content_type) for f in files]
    return transitions.case_supplement(actor=actor, case=case, note=note, attachments=attachments)


def resident_withdraw(*, actor: ResidentActor, case: Case, reason: str) -> Case:
    reason = (reason or "").strip() or _("群众本人申请撤回")
    return transitions.case_withdraw(actor=actor, case=case, reason=reason)


def resident_rate(*, actor: ResidentActor, case: Case, satisfaction: str, comment: str) -> Case:
    """评价: the resident's own follow-up. 不满意 reopens the matter when the policy says so."""
    if satisfaction not in RESIDENT_SATISFACTION:
        raise InvalidInput(_("请选择满意、基本满意或不满意。"), field="satisfaction")
    return transitions.case_follow_up(
        actor=actor, case=case, satisfaction=satisfaction, comment=comment or "", method=RESIDENT_RATING_METHOD
    )


def rating_reopened(case: Case) -> bool:
    """After a rating: did it send the matter back for handling (the reopen policy)?"""
    return case.status == Status.PENDING_DISPATCH and case.reopen_count > 0
