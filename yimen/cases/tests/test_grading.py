"""Not yet graded is not blue: before triage a matter is 待研判, the engine's proposal beside it."""

from yimen.cases import transitions as t
from yimen.cases import worklists as wl
from yimen.cases.ledger import columns
from yimen.cases.models import Risk
from yimen.cases.presenting import risk_text
from yimen.notifications.models import OutboxMessage

WAGE_THREAT = "34名工人被拖欠工资共计52万元，包工头失联，工人扬言明天到县政府门口堵路。"
NOISE = "楼上邻居每晚装修噪音扰民，影响休息。"


def _noise(world, n):
    return world.register(title=f"噪音扰民{n}", description=NOISE, request="请求制止噪音", category=None)


def _wage_threat(world):
    return world.register(title="34名工人欠薪扬言堵路", description=WAGE_THREAT, request="请求结清工资", headcount=34)


def test_a_red_wage_threat_registered_after_noise_complaints_is_first_ungraded_and_told_to_leaders(world):
    older = [_noise(world, n) for n in range(3)]
    wage = _wage_threat(world)

    wage.refresh_from_db()
    assert wage.risk == "" and wage.suggested_risk == Risk.RED and wage.suggested_urgency == "urgent"
    assert all(case.risk == "" for case in older)  # not blue: nobody has graded them yet
    assert [c.number for c in wl.centre_queue(user=world.dispatcher)][0] == wage.number
    assert risk_text(wage.risk, wage.suggested_risk) == "待研判（系统建议：红色）"
    # The township centre's leader (its director) is told at once; the noise complaints tell no one.
    notices = OutboxMessage.objects.filter(kind="red_risk_suggested")
    assert [(m.case_id, m.recipient_user_id) for m in notices] == [(wage.pk, world.director.pk)]
    assert "系统建议红色风险" in notices[0].subject


def test_triage_grades_the_matter_blue_only_when_the_dispatcher_says_so_or_leaves_it_blank(world):
    noise = _noise(world, 1)
    wage = _wage_threat(world)
    noise = t.case_triage(actor=world.dispatcher, case=noise)
    wage = t.case_triage(actor=world.dispatcher, case=wage, accept_suggestion=True)
    assert noise.risk == Risk.BLUE and wage.risk == Risk.RED
    # Graded, the matter's own colour is shown and the proposal is no longer the badge.
    assert risk_text(wage.risk, wage.suggested_risk) == "红色"


def test_a_registrar_who_grades_at_the_window_is_respected(world):
    case = world.register(risk=Risk.YELLOW)
    assert case.risk == Risk.YELLOW


def test_the_ledger_risk_column_says_ungraded_with_the_proposal(world):
    wage = _wage_threat(world)
    risk_column = next(c for c in columns() if c.header == "风险等级")
    assert risk_column.value(wage, None) == "待研判（系统建议：红色）"


def test_the_migration_ungrades_only_untriaged_registered_matters_left_at_the_old_default(world):
    import importlib

    from django.apps import apps

    from yimen.cases.models import Case

    ungrade = importlib.import_module("yimen.cases.migrations.0008_case_risk_ungraded").ungrade_untriaged
    old_default = _wage_threat(world)
    by_registrar = world.register(title="登记时定为黄色", risk=Risk.YELLOW)
    triaged = t.case_triage(actor=world.dispatcher, case=_noise(world, 1), risk=Risk.BLUE)
    Case.objects.filter(pk=old_default.pk).update(risk=Risk.BLUE, suggested_risk="", suggested_urgency="")

    ungrade(apps, None)

    risks = dict(Case.objects.values_list("pk", "risk"))
    assert risks == {old_default.pk: "", by_registrar.pk: Risk.YELLOW, triaged.pk: Risk.BLUE}
    old_default.refresh_from_db()
    assert (old_default.suggested_risk, old_default.suggested_urgency) == (Risk.RED, "urgent")
