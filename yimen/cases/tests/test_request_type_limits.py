"""Request types (诉求类型) on matters: stated at intake or at triage, proposed by the engine, and the
12345 handling limits keyed on them (咨询 2 working days, 求助/建议 10, 投诉/举报 15; disputes as before)."""

import pytest

from yimen.cases import deadlines
from yimen.cases import transitions as t
from yimen.cases.deadlines import compute_due, policy_for
from yimen.cases.models import CaseEvent, Deadline, DeadlineState, EventKind, LimitUnit, Step, TimeLimitPolicy, Urgency
from yimen.cases.triage_link import triage_summary
from yimen.common.errors import InvalidInput

CONSULT = "请问灵活就业人员的养老保险每年最低交多少钱，在哪里可以缴纳？"

pytestmark = pytest.mark.usefixtures("lexicon_only")


def _handle(case) -> Deadline:
    return Deadline.objects.get(case=case, step=Step.HANDLE, state=DeadlineState.OPEN)


def _days(case, amount):
    return compute_due(case.received_at, amount, LimitUnit.WORKING_DAYS).at


@pytest.mark.parametrize(
    ("request_type", "urgency", "amount"),
    [
        ("consult", Urgency.ANNOYING, 2), ("help", Urgency.WORRYING, 10), ("suggestion", Urgency.WISH, 10),
        ("complaint", Urgency.ANNOYING, 15), ("report", Urgency.GRAVE, 15),
        # An urgent request keeps the urgent day; a dispute and an unstated type keep the 五事五办 limits.
        ("complaint", Urgency.URGENT, 1), ("dispute", Urgency.WORRYING, 7), ("", Urgency.ANNOYING, 15),
    ],
)
def test_policy_for_picks_the_request_type_policy_over_the_urgency_one(world, request_type, urgency, amount):
    policy = policy_for(step=Step.HANDLE, urgency=urgency, request_type=request_type)
    assert (policy.amount, policy.unit) == (amount, LimitUnit.WORKING_DAYS)
    assert policy.request_type in ("", request_type)


def test_a_policy_for_the_place_still_beats_a_request_type_one(world):
    local = TimeLimitPolicy.objects.create(
        name="本县咨询：1个工作日", step=Step.HANDLE, region=world.county, amount=1, unit=LimitUnit.WORKING_DAYS,
        legal_basis="县规定",
    )
    deadlines._POLICY_TABLES.clear()
    assert policy_for(step=Step.HANDLE, region=world.grid, request_type="consult", urgency=Urgency.ANNOYING) == local
    assert policy_for(step=Step.HANDLE, region=world.county2, request_type="consult").amount == 2


def test_a_consultation_registered_at_intake_gets_two_working_days(world):
    case = world.register(title="咨询养老保险", description=CONSULT, request="", category=None, request_type="consult")
    assert case.request_type == "consult"
    assert case.due_at == _days(case, 2) == _handle(case).due_at
    assert _handle(case).policy.request_type == "consult"
    dispute = world.register()  # a wage dispute, type not stated: the 五事五办 limit as before
    assert dispute.request_type == "" and dispute.due_at == _days(dispute, 15)


def test_the_seeded_limit_switched_off_in_the_admin_no_longer_applies(world):
    TimeLimitPolicy.objects.filter(request_type="consult").update(active=False)
    deadlines._POLICY_TABLES.clear()
    case = world.register(description=CONSULT, category=None, request_type="consult")
    assert case.due_at == _days(case, 15)  # 烦心事, the default urgency


def test_intake_refuses_a_request_type_that_is_not_configured(world):
    with pytest.raises(InvalidInput) as error:
        world.register(request_type="gossip")
    assert error.value.field == "request_type" and "诉求类型" in str(error.value.message)


def test_the_engine_proposes_the_request_type_and_intake_leaves_the_matter_s_own_alone(world):
    case = world.register(title="咨询", description=CONSULT, request="", category=None)
    assert case.request_type == ""  # a proposal is not a decision
    summary = triage_summary(case, user=world.dispatcher)
    assert summary["request_type"]["code"] == "consult" and "请问" in summary["request_type"]["reason"]


def test_triage_sets_the_request_type_and_restarts_the_handling_limit(world):
    case = world.register(description=CONSULT, category=None)
    assert case.due_at == _days(case, 15)
    case = t.case_triage(actor=world.dispatcher, case=case, category=world.labour, request_type="consult")
    case.refresh_from_db()
    assert case.request_type == "consult" and case.due_at == _days(case, 2) == _handle(case).due_at
    assert Deadline.objects.filter(case=case, step=Step.HANDLE, state=DeadlineState.CANCELLED).count() == 1
    assert CaseEvent.objects.get(case=case, kind=EventKind.TRIAGED).payload["request_type"] == "consult"


def test_accepting_the_suggestion_takes_the_proposed_request_type_when_the_matter_has_none(world):
    case = world.register(title="咨询", description=CONSULT, request="", category=None)
    case = t.case_triage(actor=world.dispatcher, case=case, accept_suggestion=True, category=world.labour)
    case.refresh_from_db()
    assert case.request_type == "consult" and case.due_at == _days(case, 2)


def test_accepting_the_suggestion_keeps_a_request_type_already_stated(world):
    case = world.register(description=CONSULT, category=None, request_type="complaint")
    case = t.case_triage(actor=world.dispatcher, case=case, accept_suggestion=True, category=world.labour)
    case.refresh_from_db()
    assert case.request_type == "complaint"


def test_triage_refuses_an_unknown_request_type(world):
    case = world.register()
    with pytest.raises(InvalidInput) as error:
        t.case_triage(actor=world.dispatcher, case=case, category=world.labour, request_type="gossip")
    assert error.value.field == "request_type"


def test_an_administrator_adds_a_request_type_policy_in_the_admin_and_intake_follows(client, world):
    from django.urls import reverse

    client.force_login(world.admin)
    form = client.get(reverse("admin:cases_timelimitpolicy_add")).content.decode()
    assert 'name="request_type"' in form and "求助（help）" in form
    response = client.post(reverse("admin:cases_timelimitpolicy_add"), {
        "name": "本县求助类：3个工作日", "step": Step.HANDLE, "amount": "3", "unit": LimitUnit.WORKING_DAYS,
        "legal_basis": "县规定", "active": "on", "region": str(world.county.pk), "category": "",
        "request_type": "help", "urgency": "", "channel": "", "warn_before_hours": "8", "max_extension": "0",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    case = world.register(description="家里停水两天了，老人孩子没水喝，请帮忙协调", category=None, request_type="help")
    assert case.due_at == _days(case, 3)
    assert _handle(case).policy.name == "本县求助类：3个工作日"
    listing = client.get(reverse("admin:cases_timelimitpolicy_changelist") + "?q=本县求助类").content.decode()
    assert "<td class=\"field-request_type_label\">求助</td>" in listing  # the label, not the code "help"
    filtered = client.get(reverse("admin:cases_timelimitpolicy_changelist") + "?request_type=help").content.decode()
    assert "本县求助类" in filtered and "咨询类" not in filtered and ">求助</a>" in filtered


def test_the_request_type_decision_is_counted_in_the_suggestions_accuracy(world):
    from yimen.cases.triage_link import suggestion_accuracy_for_user
    from yimen.triage.models import SuggestionRecord

    kept = world.register(title="咨询", description=CONSULT, request="", category=None)
    t.case_triage(actor=world.dispatcher, case=kept, accept_suggestion=True, category=world.labour)
    changed = world.register(title="咨询", description=CONSULT, request="", category=None)
    t.case_triage(actor=world.dispatcher, case=changed, category=world.labour, request_type="complaint")

    records = dict(SuggestionRecord.objects.values_list("case_ref", "final_request_type"))
    assert records == {kept.number: "consult", changed.number: "complaint"}
    assert set(SuggestionRecord.objects.values_list("suggested_request_type", flat=True)) == {"consult"}
    report = suggestion_accuracy_for_user(user=world.dispatcher)
    assert report["request_type_accuracy"] == 0.5 and "诉求类型一致率" in report["definition"]
