"""Registering a matter (登记受理): the one door every channel comes through.

The window, the residents' pages, the API and the importers build a `CaseInput` and call
`case_register`. All of it is written in one transaction: a matter is either whole or absent.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yimen.common.errors import InvalidInput, PermissionDenied, TooLarge
from yimen.common.words import in_default_language
from yimen.regions.models import Centre, Region

from . import deadlines
from .models import (
    Attachment,
    Case,
    CaseCounter,
    CaseEvent,
    Category,
    Channel,
    EventKind,
    Party,
    PartyKind,
    PartyRole,
    Risk,
    Status,
    Step,
    Tag,
    Urgency,
)
from .search import case_search_write
from .triage_link import case_triage_on_intake, request_type_checked
from .validators import validate_id_number, validate_phone

logger = logging.getLogger(__name__)


@dataclass
class PartyInput:
    name: str
    role: str = PartyRole.APPLICANT
    kind: str = PartyKind.PERSON
    id_number: str = ""
    phone: str = ""
    headcount: int = 1
    address: str = ""


@dataclass
class AttachmentInput:
    name: str
    content: bytes
    content_type: str = ""


@dataclass
class CaseInput:
    channel: str
    region: Region
    title: str
    description: str
    parties: list[PartyInput]
    request: str = ""
    address: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    category: Category | None = None
    urgency: str = ""
    risk: str = ""
    request_type: str = ""  # 诉求类型 code (triage.RequestType); blank: not stated
    amount: Decimal | str | None = None
    headcount: int | None = None
    tags: list[str] = field(default_factory=list)
    attachments: list[AttachmentInput] = field(default_factory=list)
    received_at: datetime | None = None
    external_ref: str = ""
    centre: Centre | None = None


def _clean(data: CaseInput) -> None:
    """Shape and rules of the input, each error naming its field in Chinese."""
    from django.conf import settings

    if data.channel not in Channel.values:
        raise InvalidInput(_("来源渠道无效：%(v)s") % {"v": data.channel}, field="channel")
    data.title = (data.title or "").strip()
    data.description = (data.description or "").strip()
    if not data.description:
        raise InvalidInput(_("请填写事项描述。"), field="description")
    if not data.title:
        data.title = data.description[:30]
    if len(data.title) > 120:
        raise InvalidInput(_("标题不能超过120个字。"), field="title")
    if data.region is None:
        raise InvalidInput(_("请选择事项发生地。"), field="region")
    if data.urgency and data.urgency not in Urgency.values:
        raise InvalidInput(_("紧急程度无效：%(v)s") % {"v": data.urgency}, field="urgency")
    if data.risk and data.risk not in Risk.values:
        raise InvalidInput(_("风险等级无效：%(v)s") % {"v": data.risk}, field="risk")
    data.request_type = request_type_checked(data.request_type)
    if data.amount not in (None, ""):
        try:
            data.amount = Decimal(str(data.amount))
        except InvalidOperation:
            raise InvalidInput(_("涉及金额必须是数字。"), field="amount") from None
        if data.amount < 0:
            raise InvalidInput(_("涉及金额不能为负数。"), field="amount")
    else:
        data.amount = None
    if not data.parties:
        raise InvalidInput(_("请至少填写一名当事人。"), field="parties")
    for index, party in enumerate(data.parties):
        prefix = f"parties[{index}]"
        party.name = (party.name or "").strip()
        if not party.name:
            raise InvalidInput(_("第%(n)d名当事人的姓名/名称未填写。") % {"n": index + 1}, field=f"{prefix}.name")
        if party.role not in PartyRole.values:
            raise InvalidInput(_("当事人身份无效：%(v)s") % {"v": party.role}, field=f"{prefix}.role")
        if party.kind not in PartyKind.values:
            raise InvalidInput(_("当事人类型无效：%(v)s") % {"v": party.kind}, field=f"{prefix}.kind")
        party.id_number = validate_id_number(party.id_number, field=f"{prefix}.id_number")
        party.phone = validate_phone(party.phone, field=f"{prefix}.phone")
        if party.headcount < 1:
            raise InvalidInput(_("人数至少为1。"), field=f"{prefix}.headcount")
    limit = settings.YIMEN_MAX_ATTACHMENT_BYTES
    for attachment in data.attachments:
        if len(attachment.content) > limit:
            raise TooLarge(
                _("附件“%(name)s”超过%(mb)dMB的上限。") % {"name": attachment.name, "mb": limit // (1024 * 1024)},
                field="attachments",
            )


def _next_number(centre: Centre, year: int) -> str:
    """`<centre region code>-<year>-<6-digit sequence>`, unique per centre and year.

    The UPDATE takes the counter row's lock until commit, so concurrent registrations at one centre
    get consecutive numbers without gaps or duplicates.
    """
    for _attempt in range(3):
        with connection.cursor() as cursor:
            # One statement instead of UPDATE then SELECT (RETURNING: PostgreSQL, SQLite ≥ 3.35).
            cursor.execute(
                f"UPDATE {CaseCounter._meta.db_table} SET last = last + 1 WHERE centre_id = %s AND year = %s RETURNING last",
                [centre.pk, year],
            )
            row = cursor.fetchone()
        if row:
            return f"{centre.region.code}-{year}-{row[0]:06d}"
        try:
            with transaction.atomic():
                CaseCounter.objects.create(centre=centre, year=year, last=0)
        except IntegrityError:
            pass  # another registration created it first; loop and increment
    raise RuntimeError("could not allocate a matter number")


def case_register(*, actor, data: CaseInput) -> Case:
    """登记受理.

    1. Check the input (each error names its field) and that the actor may register at that place.
    2. Choose the registering centre: the one given, or the nearest centre above the place.
    3. In one transaction: number, matter (with the triage engine's suggestion and repeat link),
       parties, tags, attachments, the matter's handling limit and the `registered` event.
    """
    from yimen.accounts.scopes import can_register

    from .transitions import centre_for_actor

    _clean(data)
    if actor is not None and not can_register(actor, data.region):
        raise PermissionDenied(_("您无权在“%(region)s”登记事项。") % {"region": data.region.name}, field="region")
    centre = data.centre or centre_for_actor(actor, data.region)
    if not data.region.code.startswith(centre.region.code):
        # Scoping relies on the owning centre being at or above the place (see accounts.scopes).
        raise InvalidInput(_("%(centre)s不能登记其辖区以外的事项。") % {"centre": centre.name}, field="region")
    now = timezone.now()
    received_at = data.received_at or now
    case = Case(
        channel=data.channel,
        external_ref=data.external_ref[:64],
        received_at=received_at,
        registered_by=actor if getattr(actor, "pk", None) else None,
        registering_centre=centre,
        owning_centre=centre,
        owning_code=centre.region.code,
        region=data.region,
        region_code=data.region.code,
        address=data.address[:200],
        latitude=data.latitude,
        longitude=data.longitude,
        title=data.title,
        description=data.description,
        request=data.request.strip(),
        category=data.category,
        domain_class=data.category.domain_class if data.category else "",
        urgency=data.urgency or Urgency.ANNOYING,
        # The registrar's, or blank: like the category, the engine's proposal does not decide it (its
        # type and reasons are in `triage`); the dispatcher may accept it at triage.
        request_type=data.request_type,
        risk=data.risk,  # empty unless the registrar grades it: 待研判 until triage, never blue by default
        amount=data.amount,
        headcount=data.headcount or sum(p.headcount for p in data.parties if p.role == PartyRole.APPLICANT) or 1,
        status=Status.REGISTERED,
        status_changed_at=now,
    )
    # Suggestions and repeat links go in with the INSERT (triage_link: at most two SELECTs). They only
    # read, so they run before the transaction: the write lock (SQLite) and the counter's row lock
    # (PostgreSQL) are not held while the engine works. Or the worker makes them after the commit
    # (YIMEN_TRIAGE_IN_WORKER; case_suggest_pending below): the matter goes in marked 研判中.
    if settings.YIMEN_TRIAGE_ON_INTAKE and settings.YIMEN_TRIAGE_IN_WORKER:
        case.triage_pending = True
        suggested = {}
    else:
        suggested = case_triage_on_intake(case=case, parties=data.parties)
    # Likewise the handling limit (cached policies and calendar): its due time goes in with the INSERT.
    handle = deadlines.plan_handle_deadline(case=case, starts_at=received_at)
    stored_files: list[Attachment] = []
    try:
        _insert(case, data, actor, centre, received_at, now, suggested, handle, stored_files)
    except BaseException:
        # The rows are rolled back; the files written to storage are not, so remove them here.
        for record in stored_files:
            record.file.delete(save=False)
        raise
    return case


def _insert(case, data, actor, centre, received_at, now, suggested, handle, stored_files) -> None:
    with transaction.atomic():
        case.number = _next_number(centre, timezone.localtime(received_at).year)
        case.save(force_insert=True)
        Party.objects.bulk_create([Party(case=case, **vars(p)) for p in data.parties])
        case_search_write(case=case, parties=data.parties)
        if data.tags:
            case.tags.set([Tag.objects.get_or_create(name=name.strip()[:30])[0] for name in data.tags if name.strip()])
        for attachment in data.attachments:
            stored_files.append(attachment_add(case=case, actor=actor, attachment=attachment))
        if handle is not None:
            handle.save(force_insert=True)  # its matter now has an id
        if data.channel == Channel.PETITION:
            deadlines.open_deadline(case=case, step=Step.PETITION_DECIDE, starts_at=received_at)
        CaseEvent.objects.create(
            case=case, kind=EventKind.REGISTERED, actor=case.registered_by, actor_label=str(actor) if actor else "系统",
            to_status=Status.REGISTERED, payload={"channel": data.channel, "centre": centre.name, **suggested}, created_at=now,
        )
        if case.suggested_risk == Risk.RED:
            _notify_leaders_of_red(case, centre, now)


# Matters the worker triages per transaction. The batch's rows stay locked while the engine reads
# (~3 ms a matter), so a dispatcher acting on one of them waits at most ~0.2 s.
SUGGEST_BATCH = 50
_SUGGESTED_FIELDS = [
    "triage", "suggested_risk", "suggested_urgency", "text_simhash", "mh_band0", "mh_band1", "mh_band2", "mh_band3",
    "linked_to", "link_kind", "triage_pending",
]


def case_suggest_pending(*, limit: int = SUGGEST_BATCH) -> int:
    """The proposals registrations left to the worker (YIMEN_TRIAGE_IN_WORKER); returns how many were made.

    One batch, oldest first, in one transaction: claimed with FOR UPDATE SKIP LOCKED (several workers
    share the work; SQLite has one writer anyway), each matter given what `case_triage_on_intake`
    would have given it at registration — compared only with what came before it, its elders in the
    batch included, since they are done first — and a `suggested` event on its timeline; a red
    proposal reaches the centre's leaders as at registration. A worker killed midway leaves its
    batch pending for the next one. A matter the dispatcher has graded meanwhile is triaged all the
    same: its fingerprint and repeat link serve the matters that come after it.
    """
    with transaction.atomic():
        # Claimed by id alone (one short statement), then read whole: the ORM's full matter with its
        # centre cost more to build under FOR UPDATE, row by row, than the proposal itself.
        ids = list(Case.objects.select_for_update(skip_locked=True).filter(triage_pending=True)
                   .order_by("id").values_list("id", flat=True)[:limit])
        if not ids:
            return 0
        cases = list(Case.objects.filter(pk__in=ids).select_related("owning_centre__region", "registering_centre")
                     .prefetch_related("parties").order_by("id"))
        now = timezone.now()
        events = []
        for case in cases:
            try:
                with transaction.atomic():  # a savepoint: one matter the engine cannot read stalls nothing
                    suggested = case_triage_on_intake(case=case, parties=list(case.parties.all()))
                    case.triage_pending = False
                    case.save(update_fields=_SUGGESTED_FIELDS)
            except (OperationalError, InterfaceError):
                raise  # the database went away: the whole batch stays pending for the next run
            except Exception:  # noqa: BLE001 - whatever this one matter's text breaks, the queue goes on
                logger.exception("triage in the worker failed for matter %s; left to the dispatcher", case.pk)
                Case.objects.filter(pk=case.pk).update(triage_pending=False)
                with in_default_language():
                    reason = _("系统研判未能完成，请人工研判。")
                events.append(CaseEvent(case=case, kind=EventKind.SUGGESTED, actor=None, actor_label="系统",
                                        reason=reason, payload={"failed": True}, created_at=now))
                continue
            events.append(CaseEvent(case=case, kind=EventKind.SUGGESTED, actor=None, actor_label="系统",
                                    payload=suggested, created_at=now))
            if case.suggested_risk == Risk.RED:
                _notify_leaders_of_red(case, case.registering_centre, now)
        CaseEvent.objects.bulk_create(events)
    return len(cases)


def _notify_leaders_of_red(case: Case, centre: Centre, now) -> None:
    """A red proposal reaches the centre's leaders at once, not when a dispatcher gets to it.

    One message per leader of the registering centre, in the registration's transaction (outbox):
    the matter and its notices are written together or not at all.
    """
    from yimen.accounts.scopes import LEADER_ROLES, centre_staff_ids
    from yimen.notifications.outbox import outbox_enqueue_many, outbox_message

    leader_ids = centre_staff_ids(region_id=centre.region_id, roles=LEADER_ROLES)
    with in_default_language():  # composed in the site's language, not the registrar's
        subject = _("[%(number)s] 系统建议红色风险，请关注研判") % {"number": case.number}
    outbox_enqueue_many([
        outbox_message(
            kind="red_risk_suggested", subject=subject, body=case.title, case_id=case.pk, recipient_user_id=user_id,
            payload={"case": case.number, "suggested_risk": case.suggested_risk}, now=now,
        )
        for user_id in leader_ids
    ])


def attachment_add(*, case: Case, actor, attachment: AttachmentInput) -> Attachment:
    from django.conf import settings
    from django.core.files.base import ContentFile

    if len(attachment.content) > settings.YIMEN_MAX_ATTACHMENT_BYTES:
        raise TooLarge(_("附件“%(name)s”过大。") % {"name": attachment.name}, field="attachments")
    record = Attachment(
        case=case, original_name=attachment.name[:200], content_type=attachment.content_type[:100],
        size=len(attachment.content), uploaded_by=actor if getattr(actor, "pk", None) else None,
    )
    record.file.save(attachment.name[-80:] or "file", ContentFile(attachment.content), save=False)
    record.save()
    return record
