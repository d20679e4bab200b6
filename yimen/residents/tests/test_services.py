"""The residents' services: the same intake and transitions as staff, with a ResidentActor."""

import io

import pytest
from django.test import override_settings
from PIL import Image

from yimen.accounts.scopes import ResidentActor
from yimen.cases import transitions as t
from yimen.cases.transitions import closing
from yimen.cases.models import Attachment, CaseEvent, Channel, EventKind, Status
from yimen.common.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RateLimited
from yimen.residents.drafts import draft_add_file, draft_save, draft_start
from yimen.residents.services import (
    ResidentReport,
    rating_reopened,
    resident_case_get,
    resident_case_ids_for_phone,
    resident_case_lookup,
    resident_rate,
    resident_register,
    resident_supplement,
    resident_withdraw,
)
from yimen.residents.uploads import check_upload

PHONE = "13912345678"


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 40, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def _report(world, **overrides):
    data = dict(
        description="隔壁装修每天晚上十点以后还在电钻施工，已经持续两周，沟通无果。",
        request="请协调对方晚上不要施工",
        name="刘女士",
        category=world.neighbour,
        region=world.grid,
        other_party="隔壁302住户",
    )
    data.update(overrides)
    return ResidentReport(**data)


def _register(world, **overrides):
    actor = ResidentActor(phone=PHONE)
    return resident_register(centre=world.centre_township, report=_report(world, **overrides), actor=actor, client_address="10.0.0.8")


def test_a_resident_registers_through_the_same_intake_as_the_window(world):
    case = _register(world)
    assert case.channel == Channel.ONLINE and case.status == Status.REGISTERED
    assert case.owning_centre == world.centre_township and case.region == world.grid
    applicant, respondent = case.parties.order_by("id")
    assert (applicant.name, applicant.phone) == ("刘女士", PHONE)
    assert respondent.name == "隔壁302住户" and respondent.role == "respondent"
    event = case.events.get()
    assert event.kind == EventKind.REGISTERED and event.actor is None and event.actor_label == "群众（139****5678）"
    assert case.due_at is not None  # the matter's handling limit runs from now, as at the window


def test_i_dont_know_where_means_the_centres_own_region(world):
    case = _register(world, region=None)
    assert case.region == world.township


def test_a_place_outside_the_scanned_centre_is_refused_naming_the_field(world):
    with pytest.raises(InvalidInput) as error:
        _register(world, region=world.grid2)
    assert error.value.field == "region"


def test_registration_needs_a_proved_phone(world):
    with pytest.raises(PermissionDenied):
        resident_register(centre=world.centre_township, report=_report(world), actor=ResidentActor(), client_address="10.0.0.8")


def test_the_drafts_files_become_the_matters_attachments_and_the_draft_is_gone(world):
    draft = draft_start(centre=world.centre_township)
    draft_save(draft=draft, data={"description": "x"})
    draft_add_file(draft=draft, upload=check_upload(name="现场.png", content=_png()))
    case = resident_register(centre=world.centre_township, report=_report(world), actor=ResidentActor(phone=PHONE),
                             client_address="10.0.0.8", draft=draft)
    attachment = Attachment.objects.get(case=case)
    assert attachment.original_name == "现场.png" and attachment.content_type == "image/png"
    assert attachment.file.read() == _png()
    from yimen.residents.models import Draft

    assert not Draft.objects.filter(pk=draft.pk).exists()


@override_settings(YIMEN_RATE_REGISTER_PER_PHONE="2/d")
def test_registrations_are_limited_per_phone(world):
    _register(world)
    _register(world)
    with pytest.raises(RateLimited) as error:
        _register(world)
    assert "提交太频繁" in str(error.value)


def test_lookup_by_number_and_code_and_the_same_answer_for_a_wrong_number_or_code(world):
    case = _register(world)
    found = resident_case_lookup(number=case.number, query_code=case.query_code.lower(), client_address="10.0.0.9")
    assert found.pk == case.pk
    with pytest.raises(NotFound) as wrong_code:
        resident_case_lookup(number=case.number, query_code="A" * 20, client_address="10.0.0.9")
    with pytest.raises(NotFound) as wrong_number:
        resident_case_lookup(number="449001001-2026-999999", query_code=case.query_code, client_address="10.0.0.9")
    assert str(wrong_code.value) == str(wrong_number.value) and wrong_code.value.field == "code"


@override_settings(YIMEN_RATE_LOOKUP_PER_NUMBER="3/h")
def test_guessing_codes_for_one_number_is_stopped(world):
    case = _register(world)
    for address in ("1.1.1.1", "2.2.2.2", "3.3.3.3"):
        with pytest.raises(NotFound):
            resident_case_lookup(number=case.number, query_code="WRONG", client_address=address)
    with pytest.raises(RateLimited):
        resident_case_lookup(number=case.number, query_code=case.query_code, client_address="4.4.4.4")


def test_a_resident_sees_only_the_matters_they_proved(world):
    mine, other = _register(world), world.register()
    actor = ResidentActor(case_ids={mine.pk})
    assert resident_case_get(actor=actor, number=mine.number).pk == mine.pk
    with pytest.raises(NotFound):
        resident_case_get(actor=actor, number=other.number)


def test_a_proved_phone_finds_the_matters_where_it_is_a_partys_phone(world):
    mine = _register(world)
    world.register()  # 13800138000's matter
    assert resident_case_ids_for_phone(phone=PHONE) == [mine.pk]
    assert resident_case_ids_for_phone(phone="") == []


def test_supplementing_adds_an_event_the_files_and_tells_the_centre_and_the_units(world):
    from yimen.notifications.models import OutboxMessage

    case = world.dispatched()
    actor = ResidentActor(case_ids={case.pk}, phone="13800138000")
    resident_supplement(actor=actor, case=case, note="包工头换了新号码", files=[check_upload(name="欠条.png", content=_png())])
    event = case.events.get(kind=EventKind.SUPPLEMENTED)
    assert event.reason == "包工头换了新号码" and event.payload["files"] == ["欠条.png"]
    assert case.attachments.get().original_name == "欠条.png"
    told = OutboxMessage.objects.filter(kind="case_supplemented")
    assert {m.recipient_centre_id for m in told if m.recipient_centre_id} == {case.owning_centre_id}
    assert {m.recipient_unit_id for m in told if m.recipient_unit_id} == {world.hrss.pk, world.justice_office.pk}


def test_supplementing_nothing_is_refused_and_a_closed_matter_cannot_be_supplemented(world):
    case = world.register()
    actor = ResidentActor(case_ids={case.pk})
    with pytest.raises(InvalidInput):
        resident_supplement(actor=actor, case=case, note="  ")
    resident_withdraw(actor=actor, case=case, reason="")
    with pytest.raises(Conflict):
        resident_supplement(actor=actor, case=case, note="还有一件事")


def test_a_failed_supplement_leaves_no_file_behind(world, monkeypatch):
    case = world.register()
    actor = ResidentActor(case_ids={case.pk})
    # Patched where case_supplement looks it up (the package only re-exports the services).
    monkeypatch.setattr(closing, "_notify", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("outbox down")))
    with pytest.raises(RuntimeError):
        resident_supplement(actor=actor, case=case, note="补充", files=[check_upload(name="a.png", content=_png())])
    assert not Attachment.objects.filter(case=case).exists()
    assert not CaseEvent.objects.filter(case=case, kind=EventKind.SUPPLEMENTED).exists()


def test_withdrawing_closes_the_matter_with_the_residents_reason(world):
    case = world.dispatched()
    resident_withdraw(actor=ResidentActor(case_ids={case.pk}), case=case, reason="已和对方私下解决")
    case.refresh_from_db()
    assert case.status == Status.WITHDRAWN and not case.assignments.filter(status__in=["pending", "accepted"]).exists()
    assert case.events.last().reason == "已和对方私下解决"


def _resolved(world):
    case = world.in_progress()
    return t.case_resolve(actor=world.handler, case=case, outcome="agreement", result="双方达成还款协议")


def test_a_satisfied_rating_is_the_follow_up(world):
    case = _resolved(world)
    case = resident_rate(actor=ResidentActor(case_ids={case.pk}), case=case, satisfaction="satisfied", comment="")
    assert case.status == Status.FOLLOWED_UP and not rating_reopened(case)
    follow_up = case.follow_ups.get()
    assert follow_up.method == "resident" and follow_up.by is None


def test_an_unsatisfied_rating_reopens_the_matter_by_policy(world):
    case = _resolved(world)
    case = resident_rate(actor=ResidentActor(case_ids={case.pk}), case=case, satisfaction="unsatisfied", comment="钱还没到账")
    assert case.status == Status.PENDING_DISPATCH and rating_reopened(case)


@override_settings(YIMEN_REOPEN_ON_UNSATISFIED=False)
def test_with_the_reopen_policy_off_an_unsatisfied_rating_is_only_recorded(world):
    case = _resolved(world)
    case = resident_rate(actor=ResidentActor(case_ids={case.pk}), case=case, satisfaction="unsatisfied", comment="钱还没到账")
    assert case.status == Status.FOLLOWED_UP and not rating_reopened(case)


def test_a_resident_may_not_answer_unreachable_nor_rate_twice(world):
    case = _resolved(world)
    actor = ResidentActor(case_ids={case.pk})
    with pytest.raises(InvalidInput):
        resident_rate(actor=actor, case=case, satisfaction="unreachable", comment="")
    resident_rate(actor=actor, case=case, satisfaction="basically", comment="")
    with pytest.raises(Conflict):
        resident_rate(actor=actor, case=case, satisfaction="satisfied", comment="")


def test_staff_are_never_offered_the_residents_own_moves(world):
    case = world.register()
    assert "supplement" not in t.allowed_actions(world.admin, case)
    assert "supplement" not in t.allowed_actions(world.dispatcher, case)
