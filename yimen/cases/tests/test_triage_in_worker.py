"""YIMEN_TRIAGE_IN_WORKER: the registration commits without its proposal, the worker makes it after.

What a user notices: the matter is registered at once and says 研判中; seconds later (the worker's
"pending triage" job) it carries the same proposal, repeat link and red notice it would have had
inline, with a 系统研判建议 entry on its timeline; nothing is lost when the worker fails midway.
"""

import pytest
from django.db import OperationalError

from yimen.cases import intake, jobs, triage_link
from yimen.cases.models import Case, CaseEvent, EventKind, LinkKind, Risk
from yimen.notifications.models import OutboxMessage

RED = "某工地包工头拖欠34名工人工资共计24万余元，包工头跑路了，工人扬言要去市政府拉横幅"


pytestmark = pytest.mark.usefixtures("lexicon_only")


@pytest.fixture
def in_worker(settings):
    settings.YIMEN_TRIAGE_IN_WORKER = True
    return settings


def _comparable(triage: dict) -> dict:
    return {k: v for k, v in triage.items() if k != "suggested_at"}


def test_the_matter_is_registered_pending_and_the_worker_gives_it_the_inline_proposal(world, settings, in_worker):
    pending = world.register(title="", description=RED, category=None)
    pending.refresh_from_db()
    assert pending.triage_pending and pending.triage == {} and pending.suggested_risk == ""
    registered = CaseEvent.objects.get(case=pending, kind=EventKind.REGISTERED)
    assert "suggested_risk" not in registered.payload
    assert not OutboxMessage.objects.filter(kind="red_risk_suggested").exists()  # nothing told yet

    assert intake.case_suggest_pending() == 1
    pending.refresh_from_db()
    assert not pending.triage_pending
    assert pending.suggested_risk == Risk.RED and pending.triage["category"] == "labour"
    assert pending.text_simhash is not None and pending.mh_band0 is not None
    event = CaseEvent.objects.get(case=pending, kind=EventKind.SUGGESTED)
    assert event.payload == {"suggested_category": "labour", "suggested_risk": "red", "repeats": 0}
    assert event.actor_label == "系统"
    # The red proposal reaches the registering centre's leader, as it would have at registration.
    notices = OutboxMessage.objects.filter(kind="red_risk_suggested")
    assert [(m.case_id, m.recipient_user_id) for m in notices] == [(pending.pk, world.director.pk)]

    # The same text registered inline gets the same proposal (compared with the same earlier matters:
    # none, since the inline one is compared only with what came before it and excludes itself).
    settings.YIMEN_TRIAGE_IN_WORKER = False
    Case.objects.filter(pk=pending.pk).update(text_simhash=None, mh_band0=None, mh_band1=None, mh_band2=None, mh_band3=None)
    inline = world.register(title="", description=RED + "。", category=None)
    inline.refresh_from_db()
    assert _comparable(inline.triage)["risk"] == _comparable(pending.triage)["risk"]
    assert inline.triage["category_top3"] == pending.triage["category_top3"]
    assert intake.case_suggest_pending() == 0  # nothing was pending


def test_a_later_repeat_is_linked_to_the_first_when_both_were_pending(world, in_worker):
    first = world.register()
    second = world.register(description="张三等12名工人又来反映：工地工资8万余元仍未结清，包工头电话不接。")
    assert Case.objects.filter(triage_pending=True).count() == 2
    assert jobs.suggest_pending() == 2
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.linked_to_id is None
    assert second.linked_to_id == first.pk and second.link_kind in (LinkKind.REPEAT, LinkKind.DUPLICATE)
    assert second.triage["repeats"][0]["ref"] == first.number


def test_the_job_works_through_more_than_one_batch(world, in_worker, monkeypatch):
    monkeypatch.setattr(intake, "SUGGEST_BATCH", 2)
    for n in range(5):
        world.register(description=f"邻居第{n}次在楼道堆放杂物，多次沟通无果。")
    assert jobs.suggest_pending() == 5
    assert not Case.objects.filter(triage_pending=True).exists()
    assert CaseEvent.objects.filter(kind=EventKind.SUGGESTED).count() == 5


def test_a_failure_midway_leaves_the_matter_pending_for_the_next_pass(world, in_worker, monkeypatch):
    case = world.register()
    real = triage_link.case_triage_on_intake

    def broken(**kwargs):
        raise OperationalError("connection lost")

    monkeypatch.setattr(intake, "case_triage_on_intake", broken)
    with pytest.raises(OperationalError):
        intake.case_suggest_pending()
    case.refresh_from_db()
    assert case.triage_pending and not CaseEvent.objects.filter(case=case, kind=EventKind.SUGGESTED).exists()

    monkeypatch.setattr(intake, "case_triage_on_intake", real)
    assert intake.case_suggest_pending() == 1
    case.refresh_from_db()
    assert not case.triage_pending and case.triage["category"] == "labour"


def test_a_matter_the_engine_cannot_read_is_left_to_the_dispatcher_and_the_queue_goes_on(world, in_worker, monkeypatch):
    """A matter whose text breaks the engine (a bug, a value too long for a column) must not stall the
    queue: claimed first every time, it would stop every proposal after it."""
    poison, fine = world.register(title="甲"), world.register(title="乙")
    real = triage_link.case_triage_on_intake

    def fails_on_poison(*, case, parties):
        if case.pk == poison.pk:
            raise ValueError("the engine broke on this text")
        return real(case=case, parties=parties)

    monkeypatch.setattr(intake, "case_triage_on_intake", fails_on_poison)
    assert intake.case_suggest_pending() == 2
    poison.refresh_from_db()
    fine.refresh_from_db()
    assert not poison.triage_pending and poison.triage == {}
    failed = CaseEvent.objects.get(case=poison, kind=EventKind.SUGGESTED)
    assert failed.payload == {"failed": True} and "人工研判" in failed.reason
    assert not fine.triage_pending and fine.triage["category"] == "labour"
    assert intake.case_suggest_pending() == 0  # nothing is left to claim again


def test_the_matter_page_and_the_api_say_pending_until_the_worker_has_been(world, client, in_worker):
    from yimen.accounts.models import ApiToken

    case = world.register()
    client.force_login(world.dispatcher)
    page = client.get(f"/cases/{case.number}/").content.decode()
    assert "研判中" in page and "系统正在生成研判建议" in page
    token = ApiToken.issue(world.dispatcher, name="t")[1]
    detail = client.get(f"/api/v1/cases/{case.number}", headers={"Authorization": f"Bearer {token}"}).json()
    assert detail["triage_pending"] is True and detail["triage"] is None

    intake.case_suggest_pending()
    page = client.get(f"/cases/{case.number}/").content.decode()
    assert "系统正在生成研判建议" not in page and "建议类别" in page and "系统研判建议" in page
    detail = client.get(f"/api/v1/cases/{case.number}", headers={"Authorization": f"Bearer {token}"}).json()
    assert detail["triage_pending"] is False and detail["triage"]["category"] == "labour"
    assert "系统研判建议" in [e["kind_label"] for e in detail["timeline"]]


def test_with_triage_off_nothing_is_left_pending(world, settings, in_worker):
    settings.YIMEN_TRIAGE_ON_INTAKE = False
    case = world.register()
    case.refresh_from_db()
    assert not case.triage_pending and case.triage == {}
