"""The triage engine at intake and triage: suggestions stored, repeats linked, decisions recorded."""

from datetime import timedelta

import pytest
from django.utils import timezone

from yimen.cases import transitions as t
from yimen.cases import triage_link
from yimen.cases.intake import PartyInput
from yimen.cases.models import (
    Case,
    CaseEvent,
    DomainClass,
    EventKind,
    LinkKind,
    Risk,
    Urgency,
)
from yimen.common.errors import InvalidInput
from yimen.common.querycount import count_queries
from yimen.triage import neardup
from yimen.triage.models import SuggestionRecord
from yimen.triage.repeats import simhash

WAGES = "张三等12名工人在桃源镇某工地务工，工资共计8万余元至今未结清，包工头电话不接。"
NOISE = "楼上邻居每天深夜在家里跳绳、拖动家具，噪音很大，多次上门沟通无果，影响家中老人休息。"
FORWARDED = (
    "紧急扩散：桃源镇杏花村某楼盘开发商拖欠42户业主的房产证，业主多次到售楼处交涉无果，"
    "开发商称要等土地手续办完，已经拖了三年，业主准备下周集体到镇政府反映，请有关部门尽快处理。"
)
RED = "某工地包工头拖欠34名工人工资共计24万余元，包工头跑路了，工人扬言要去市政府拉横幅"


pytestmark = pytest.mark.usefixtures("lexicon_only")


def person(name="李四", id_number="", phone=""):
    return [PartyInput(name=name, id_number=id_number, phone=phone)]


def ago(days):
    return timezone.now() - timedelta(days=days)


# ---------------------------------------------------------------------------------------------
# Intake


def test_a_new_matter_carries_its_suggestion_with_signals_explained(world):
    case = world.register(title="", description=WAGES, category=None)
    case.refresh_from_db()
    assert case.triage["category"] == "labour" and case.triage["category_label"] == "劳资/欠薪"
    assert case.triage["category_top3"][0]["code"] == "labour"
    signals = {s["name"]: s for s in case.triage["signals"]}
    assert {"money", "headcount"} <= set(signals)
    assert all(s["explanation"] for s in signals.values())
    assert case.triage["risk"]["code"] == "yellow" and case.triage["risk"]["reason"]
    assert case.triage["units"] and "legal_basis" not in case.triage
    assert case.triage["level"] == "township"
    event = CaseEvent.objects.get(case=case, kind=EventKind.REGISTERED)
    assert event.payload["suggested_category"] == "labour" and event.payload["suggested_risk"] == "yellow"


def test_the_suggestion_does_not_overwrite_what_the_registrar_gave(world):
    case = world.register(description=RED, category=world.neighbour, risk="", urgency="")
    case.refresh_from_db()
    assert case.triage["risk"]["code"] == "red" and case.triage["category"] == "labour"
    # Risk stays ungraded (not blue) until triage; the proposal is kept beside it, not in it.
    assert (case.category, case.risk, case.urgency) == (world.neighbour, "", "annoying")
    assert case.suggested_risk == "red"


def test_the_fingerprints_are_stored_simhash_signed_and_one_column_per_band(world):
    case = world.register(title="", description=WAGES)
    case.refresh_from_db()
    text = triage_link.triage_text(case)
    assert text == WAGES + "\n请求协调支付拖欠工资"  # the title cut from the description is not repeated
    assert triage_link.from_signed64(case.text_simhash) == simhash(text)
    assert triage_link.to_signed64(2**64 - 1) == -1 and triage_link.from_signed64(-1) == 2**64 - 1
    assert triage_link.to_signed64(2**63 - 1) == 2**63 - 1 and triage_link.to_signed64(2**63) == -(2**63)
    assert [case.mh_band0, case.mh_band1, case.mh_band2, case.mh_band3] == neardup.minhash_bands(text)


def test_the_same_party_registering_again_within_the_window_is_linked_as_a_repeat(world):
    first = world.register(description=WAGES)
    again = world.register(description=NOISE)  # another matter, the same ID number and phone
    again.refresh_from_db()
    assert again.linked_to == first and again.link_kind == LinkKind.REPEAT
    (link,) = again.triage["repeats"]
    assert link["ref"] == first.number and link["kind"] == "repeat" and "尾号4477" in link["reason"]
    assert any(s["name"] == "repeat_party" for s in again.triage["signals"])


def test_the_same_phone_alone_is_enough(world):
    first = world.register(description=WAGES, parties=person(phone="13900139000"))
    again = world.register(description=NOISE, parties=person(name="李四妻", phone="13900139000"))
    again.refresh_from_db()
    assert again.linked_to == first and again.link_kind == LinkKind.REPEAT


def test_a_forwarded_message_with_one_word_changed_from_another_person_is_a_duplicate(world):
    first = world.register(title="", description=FORWARDED, parties=person(phone="13900139000"), category=None)
    forwarded = FORWARDED.replace("尽快", "马上")
    again = world.register(title="", description=forwarded, parties=person(name="王五", phone="13700137000"), category=None)
    again.refresh_from_db()
    assert again.linked_to == first and again.link_kind == LinkKind.DUPLICATE
    (link,) = again.triage["repeats"]
    assert link["kind"] == "duplicate" and link["score"] >= 90


def test_a_chain_of_repeats_points_at_its_first_matter(world):
    first = world.register(description=WAGES)
    world.register(description=NOISE)
    third = world.register(description="张三反映工地宿舍漏雨，要求包工头维修。")
    third.refresh_from_db()
    assert third.linked_to == first
    assert len(third.triage["repeats"]) == 2


def test_other_people_with_other_matters_are_not_linked(world):
    world.register(description=WAGES, parties=person(phone="13900139000"))
    other = world.register(description=NOISE, parties=person(name="王五", phone="13700137000"))
    other.refresh_from_db()
    assert other.linked_to is None and other.link_kind == "" and other.triage["repeats"] == []


def test_matters_outside_the_window_are_not_linked(world):
    # Repeat window 180 days, duplicate window 30 days (the engine's defaults).
    world.register(description=WAGES, received_at=ago(200))
    world.register(title="", description=FORWARDED, parties=person(phone="13900139000"), received_at=ago(40))
    same_party = world.register(description=NOISE)
    same_text = world.register(title="", description=FORWARDED, parties=person(name="王五", phone="13700137000"))
    for case in (same_party, same_text):
        case.refresh_from_db()
        assert case.linked_to is None and case.triage["repeats"] == []


def test_a_back_filled_matter_is_compared_only_with_what_came_before_it(world):
    world.register(description=WAGES)
    earlier = world.register(description=NOISE, received_at=ago(3))
    earlier.refresh_from_db()
    assert earlier.linked_to is None


def test_the_suggestion_step_adds_at_most_two_queries_to_registration(world, settings):
    world.register(description=WAGES)  # warm the engine's config and model look-ups

    def queries(**overrides):
        with count_queries() as captured:
            world.register(**overrides)
        return captured

    settings.YIMEN_TRIAGE_ON_INTAKE = False
    without = queries(description=NOISE)
    settings.YIMEN_TRIAGE_ON_INTAKE = True
    assert queries(description=NOISE) <= without + 2


def test_switched_off_intake_stores_no_suggestion_and_links_nothing(world, settings):
    settings.YIMEN_TRIAGE_ON_INTAKE = False
    world.register()
    case = world.register()
    case.refresh_from_db()
    assert case.triage == {} and case.text_simhash is None and case.linked_to is None
    assert "suggested_category" not in CaseEvent.objects.get(case=case, kind=EventKind.REGISTERED).payload


def test_a_failing_engine_never_stops_a_registration(world, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("bad rule")

    monkeypatch.setattr(triage_link, "suggest", broken)
    case = world.register()
    assert Case.objects.get(pk=case.pk).triage == {}


# ---------------------------------------------------------------------------------------------
# The dispatcher decides


def test_an_override_is_recorded_beside_the_suggestion(world):
    case = world.register(title="", description=WAGES, category=None)
    t.case_triage(actor=world.dispatcher, case=case, category=world.neighbour, risk="blue", urgency="wish")
    record = SuggestionRecord.objects.get(case_ref=case.number)
    assert (record.suggested_category, record.final_category) == ("labour", "neighbour")
    # Recorded in the one code list the matter uses too (cases/codes.py): no translation either way.
    assert (record.final_urgency, record.final_domain) == (Urgency.WISH, DomainClass.SAFETY)
    assert not record.category_accepted and not record.all_accepted
    assert record.decided_by_ref == str(world.dispatcher.pk) and record.text.startswith("张三等12名工人")
    event = CaseEvent.objects.get(case=case, kind=EventKind.TRIAGED)
    assert event.payload["accepted_suggestion"] is False and event.payload["suggestion_agreed"] is False


def test_accepting_the_suggestion_fills_the_grades_left_blank(world):
    case = world.register(title="", description=WAGES, category=None)
    case = t.case_triage(actor=world.dispatcher, case=case, accept_suggestion=True)
    case.refresh_from_db()
    assert case.category == world.labour
    assert (case.risk, case.urgency, case.domain_class) == ("yellow", Urgency.WORRYING, DomainClass.LIVELIHOOD)
    assert case.risk_reason.startswith("采纳系统研判建议")
    record = SuggestionRecord.objects.get(case_ref=case.number)
    assert record.category_accepted and record.all_accepted


def test_a_grade_the_dispatcher_gives_wins_over_the_suggestion(world):
    case = world.register(title="", description=RED, category=None)
    case = t.case_triage(
        actor=world.dispatcher, case=case, accept_suggestion=True, category=world.property, risk="yellow", risk_reason="已稳控"
    )
    case.refresh_from_db()
    assert (case.category, case.risk, case.risk_reason) == (world.property, "yellow", "已稳控")
    assert case.urgency == Urgency.URGENT  # left blank, so the suggestion's
    assert case.domain_class == world.property.domain_class  # the chosen category's domain, not the suggestion's
    record = SuggestionRecord.objects.get(case_ref=case.number)
    assert record.suggested_risk == "red" and record.final_risk == "yellow" and not record.category_accepted


def test_accepting_a_red_suggestion_gives_its_reason(world):
    case = world.register(title="", description=RED, category=None)
    case = t.case_triage(actor=world.dispatcher, case=case, accept_suggestion=True)
    assert case.risk == "red" and "红色风险" in case.risk_reason


def test_accepting_needs_a_suggestion(world, settings):
    settings.YIMEN_TRIAGE_ON_INTAKE = False
    case = world.register()
    with pytest.raises(InvalidInput) as error:
        t.case_triage(actor=world.dispatcher, case=case, accept_suggestion=True)
    assert error.value.field == "accept_suggestion"
    t.case_triage(actor=world.dispatcher, case=case, risk="yellow")  # deciding without one still works
    assert not SuggestionRecord.objects.filter(case_ref=case.number).exists()


def test_accuracy_reflects_the_decisions_in_the_users_scope(world):
    accepted = world.register(title="", description=WAGES, category=None)
    t.case_triage(actor=world.dispatcher, case=accepted, accept_suggestion=True)
    overridden = world.register(title="", description=NOISE, category=None, parties=person(phone="13700137000"))
    t.case_triage(actor=world.dispatcher, case=overridden, category=world.neighbour)

    report = triage_link.suggestion_accuracy_for_user(user=world.dispatcher)
    assert report["decisions"] == 2 and report["category_accuracy"] == 0.5
    assert report["by_category"]["labour"]["recall"] == 1.0 and report["lead_unit_accuracy"] is None
    assert "建议准确率" in report["definition"]
    assert triage_link.suggestion_accuracy_for_user(user=world.outsider)["decisions"] == 0
    assert triage_link.suggestion_accuracy_for_user(user=world.admin)["decisions"] == 2
    later = timezone.now() + timedelta(minutes=1)
    assert triage_link.suggestion_accuracy_for_user(user=world.dispatcher, since=later)["decisions"] == 0


def test_a_suggested_wish_is_stored_and_accepted_as_the_matters_own_code(world):
    case = world.register(title="", description="希望在村口装个红绿灯，方便老人孩子过马路", category=None)
    case.refresh_from_db()
    assert case.triage["urgency"]["code"] == case.suggested_urgency == Urgency.WISH
    case = t.case_triage(actor=world.dispatcher, case=case, accept_suggestion=True, category=world.property)
    case.refresh_from_db()
    assert case.urgency == Urgency.WISH
    summary = triage_link.triage_summary(case, user=world.dispatcher)
    assert (summary["urgency"]["code"], summary["urgency"]["label"]) == ("wish", "期盼事·全力办")


# ---------------------------------------------------------------------------------------------
# Resolved on the spot: no dispatcher grades it, yet it counts by category


def test_a_matter_resolved_on_the_spot_without_a_category_takes_the_suggested_one(world):
    case = world.register(title="", description=WAGES, category=None)
    assert case.category is None and case.triage["category"] == "labour"
    t.case_resolve_on_spot(actor=world.clerk, case=case, outcome="explained", result="当场解释了讨薪途径")
    case.refresh_from_db()
    assert (case.category, case.domain_class) == (world.labour, DomainClass.LIVELIHOOD)
    resolved = CaseEvent.objects.get(case=case, kind=EventKind.RESOLVED)
    assert resolved.payload["category"] == world.labour.name and resolved.payload["accepted_suggestion"] is True
    assert Case.objects.filter(category=world.labour, resolved_on_spot=True).count() == 1  # what the figures count


def test_a_matter_resolved_on_the_spot_keeps_the_category_the_clerk_chose(world):
    case = world.register(title="", description=WAGES, category=world.property)  # the engine says labour
    t.case_resolve_on_spot(actor=world.clerk, case=case, outcome="resolved", result="当场协调")
    case.refresh_from_db()
    assert (case.category, case.domain_class) == (world.property, world.property.domain_class)
    assert "category" not in CaseEvent.objects.get(case=case, kind=EventKind.RESOLVED).payload


def test_a_matter_resolved_on_the_spot_is_never_left_awaiting_a_grading(world):
    """Closed without a dispatcher, an ungraded matter takes the engine's proposed risk (待研判 would
    wait for a grading no one will do); a risk the clerk gave is kept."""
    ungraded = world.register(title="", description=WAGES, category=None)
    assert ungraded.risk == "" and ungraded.suggested_risk
    t.case_resolve_on_spot(actor=world.clerk, case=ungraded, outcome="explained", result="当场解释")
    ungraded.refresh_from_db()
    assert ungraded.risk == ungraded.suggested_risk
    resolved = CaseEvent.objects.get(case=ungraded, kind=EventKind.RESOLVED)
    assert resolved.payload["risk"] == ungraded.risk and resolved.payload["accepted_suggestion"] is True

    graded = world.register(title="", description=WAGES, risk=Risk.YELLOW)
    t.case_resolve_on_spot(actor=world.clerk, case=graded, outcome="explained", result="当场解释")
    graded.refresh_from_db()
    assert graded.risk == Risk.YELLOW
    assert "risk" not in CaseEvent.objects.get(case=graded, kind=EventKind.RESOLVED).payload


def test_without_a_suggestion_resolving_on_the_spot_still_works_and_leaves_the_category_open(world, settings):
    settings.YIMEN_TRIAGE_ON_INTAKE = False
    case = world.register(title="", description=WAGES, category=None)
    t.case_resolve_on_spot(actor=world.clerk, case=case, outcome="explained", result="当场解释")
    case.refresh_from_db()
    assert case.status == "resolved" and case.category is None


# ---------------------------------------------------------------------------------------------
# What the doors show


def test_the_detail_summary_masks_numbers_outside_the_users_scope(world):
    elsewhere = world.register(actor=world.other_clerk, region=world.grid2, description=WAGES)
    here = world.register(description=NOISE)  # the same person, now in 桃源镇
    here.refresh_from_db()
    assert here.linked_to == elsewhere

    (mine,) = triage_link.triage_summary(here, user=world.dispatcher)["repeats"]
    assert mine["number"] is None and mine["label"] == "其他辖区事项"
    assert elsewhere.number not in mine["reason"] and "其他辖区事项" in mine["reason"]
    summary = triage_link.triage_summary(here, user=world.dispatcher)
    assert all(elsewhere.number not in s["explanation"] for s in summary["signals"])

    (county,) = triage_link.triage_summary(here, user=world.county_dispatcher)["repeats"]
    assert county["number"] == elsewhere.number and elsewhere.number in county["reason"]


def test_the_summary_speaks_the_cases_apps_codes(world):
    case = world.register(title="", description=WAGES, category=None)
    summary = triage_link.triage_summary(case, user=world.dispatcher)
    assert summary["domain_class"]["code"] == DomainClass.LIVELIHOOD and summary["domain_class"]["label"] == "社会民生"
    assert summary["urgency"]["code"] in Urgency.values
