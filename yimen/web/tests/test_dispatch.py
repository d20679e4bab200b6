"""The dispatcher's view: suggestions or the responsibility list, each unit's limit before
confirming, dispatch, triage and joint handling (吹哨报到), for the owning centre only."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from yimen.cases import deadlines
from yimen.cases import transitions as t
from yimen.cases.models import Assignment, CaseEvent, Responsibility
from yimen.common.querycount import count_queries
from yimen.regions.models import Unit, UnitKind

# A Monday morning in a year whose holidays are known, so the limits below are exact.
MONDAY = dt.datetime(2025, 3, 3, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture
def frozen():
    with time_machine.travel(MONDAY, tick=False):
        yield


def _url(case):
    return reverse("web:case_dispatch", args=[case.number])


def _get(client, user, case, **extra):
    client.force_login(user)
    return client.get(_url(case), **extra)


def _post(client, user, case, data, **extra):
    client.force_login(user)
    return client.post(_url(case), data, **extra)


def _checked(html: str, name: str) -> set[str]:
    """What the dispatch form has checked (the joint-handling form below has its own)."""
    form = html[html.index('id="dispatch-form"'):]
    form = form[: form.index("</form>")]
    return set(re.findall(rf'name="{name}" value="(\d+)"[^>]*checked', form))


def test_the_dispatcher_sees_the_triage_suggestion_and_the_units_it_names_preselected(client, world, frozen):
    case = world.register()
    response = _get(client, world.dispatcher, case)
    html = response.content.decode()
    assert response.status_code == 200
    assert "系统研判建议" in html and "人力资源和社会保障局（牵头单位）" in html
    assert _checked(html, "lead_unit") >= {str(world.hrss.pk)}
    assert str(world.justice_office.pk) in _checked(html, "assist_units")
    assert "确认派单" in html and "联合办理（吹哨报到）" in html and "分析研判" in html


def test_without_a_suggestion_the_responsibility_list_is_shown_and_preselected(client, world, settings, frozen):
    settings.YIMEN_TRIAGE_ON_INTAKE = False
    Responsibility.objects.create(category=world.labour, level="township", unit_kind=UnitKind.HRSS, part="lead", duty="劳动保障监察")
    Responsibility.objects.create(category=world.labour, level="township", unit_kind=UnitKind.JUSTICE_OFFICE, part="assist", duty="法律援助")
    case = world.register()
    assert not case.triage
    html = _get(client, world.dispatcher, case).content.decode()
    assert 'id="triage-h"' not in html
    assert "劳动保障监察" in html and "法律援助" in html
    assert _checked(html, "lead_unit") == {str(world.hrss.pk)}
    assert _checked(html, "assist_units") == {str(world.justice_office.pk)}


def test_each_chosen_units_limit_is_shown_before_confirming(client, world, frozen):
    case = world.register()
    limits = deadlines.preview_assignment_deadlines(case=case, starts_at=timezone.now())
    assert [p.step for p in limits] == ["sign", "unit_handle"]
    html = _get(client, world.dispatcher, case).content.decode()
    preview = html[html.index('id="dispatch-preview"'):]
    preview = preview[: preview.index("</table>")]
    for limit in limits:
        assert limit.due_label in preview
    assert "2025年3月4日 24:00" in preview  # signing: 1 working day
    assert "签收期限" in preview and "青溪县人力资源和社会保障局" in preview


def test_the_preview_fragment_follows_the_selection_by_htmx(client, world, frozen):
    case = world.register()
    response = _post(client, world.dispatcher, case, {
        "action": "dispatch", "op": "preview", "lead_unit": world.police_station.pk,
        "assist_units": [world.mediation_committee.pk],
    }, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html and 'id="dispatch-preview"' in html
    assert "桃源派出所" in html and "桃源镇人民调解委员会" in html and "青溪县人力资源和社会保障局" not in html
    assert "2025年3月4日 24:00" in html
    assert not Assignment.objects.exists()


def test_without_javascript_the_preview_button_redraws_the_page_keeping_the_choice(client, world, frozen):
    case = world.register()
    response = _post(client, world.dispatcher, case, {
        "action": "dispatch", "op": "preview", "lead_unit": world.police_station.pk, "task_" + str(world.police_station.pk): "维持秩序",
    })
    html = response.content.decode()
    assert response.status_code == 200 and "<html" in html
    assert _checked(html, "lead_unit") == {str(world.police_station.pk)}
    assert "维持秩序" in html and "2025年3月4日 24:00" in html
    assert not Assignment.objects.exists()
    case.refresh_from_db()
    assert case.status == "registered"


def test_confirming_creates_the_assignments_with_the_previewed_limits(client, world, frozen):
    case = world.register()
    limits = {p.step: p.due.at for p in deadlines.preview_assignment_deadlines(case=case, starts_at=timezone.now())}
    response = _post(client, world.dispatcher, case, {
        "action": "dispatch", "op": "confirm", "status_seen": "registered", "lead_unit": world.hrss.pk,
        "assist_units": [world.justice_office.pk, world.hrss.pk], f"task_{world.hrss.pk}": "核实欠薪", "reason": "按职责派单",
    })
    assert response.status_code == 302 and response["Location"] == reverse("web:case_detail", args=[case.number])
    case.refresh_from_db()
    assert case.status == "dispatched"
    rows = {a.unit_id: a for a in Assignment.objects.filter(case=case)}
    assert set(rows) == {world.hrss.pk, world.justice_office.pk}
    assert rows[world.hrss.pk].part == "lead" and rows[world.hrss.pk].task == "核实欠薪"
    for a in rows.values():
        assert a.sign_due_at == limits["sign"] and a.due_at == limits["unit_handle"]
    assert CaseEvent.objects.filter(case=case, kind="dispatched", actor=world.dispatcher, reason="按职责派单").exists()


def test_confirming_without_a_lead_keeps_the_choice_and_says_which_field(client, world):
    case = world.register()
    response = _post(client, world.dispatcher, case, {
        "action": "dispatch", "op": "confirm", "assist_units": [world.justice_office.pk], "reason": "先派司法所",
    })
    html = response.content.decode()
    assert response.status_code == 400
    assert "请填写牵头单位" in html and "先派司法所" in html
    assert _checked(html, "assist_units") == {str(world.justice_office.pk)}


def test_a_unit_outside_the_centres_reach_is_refused_by_the_service(client, world):
    case = world.register()
    response = _post(client, world.dispatcher, case, {"action": "dispatch", "lead_unit": world.minghu_hrss.pk})
    assert response.status_code == 400
    assert "不在桃源镇综治中心的派单范围内" in response.content.decode()
    assert not Assignment.objects.exists()


def test_a_stale_dispatch_is_refused_with_the_current_status(client, world):
    case = world.register()
    t.case_dispatch(actor=world.director, case=case, lead_unit=world.hrss)
    response = _post(client, world.dispatcher, case, {
        "action": "dispatch", "status_seen": "registered", "lead_unit": world.police_station.pk, "reason": "派出所牵头",
    })
    html = response.content.decode()
    assert response.status_code == 409
    assert "该事项已被他人处理，当前状态为“待签收”" in html and "派出所牵头" in html
    assert not Assignment.objects.filter(unit=world.police_station).exists()


def test_a_returned_matter_is_dispatched_again_from_the_same_view(client, world):
    case = world.dispatched()
    t.assignment_return(actor=world.handler, case=case, reason="不属本单位")
    html = _get(client, world.dispatcher, case).content.decode()
    assert "确认派单" in html and "不属本单位" in html
    response = _post(client, world.dispatcher, case, {"action": "dispatch", "status_seen": "returned", "lead_unit": world.housing.pk})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "dispatched"


# ---------------------------------------------------------------------------------------------
# Triage and joint handling


def test_triage_on_the_dispatch_view_records_the_grading_and_comes_back_here(client, world):
    case = world.register()
    response = _post(client, world.dispatcher, case, {
        "action": "triage", "status_seen": "registered", "category": "labour", "urgency": "urgent", "risk": "yellow",
        "risk_reason": "人数多", "next": _url(case),
    })
    assert response.status_code == 302 and response["Location"] == _url(case)
    case.refresh_from_db()
    assert (case.status, case.urgency, case.risk) == ("pending_dispatch", "urgent", "yellow")
    assert CaseEvent.objects.filter(case=case, kind="triaged").exists()
    html = client.get(_url(case)).content.decode()
    assert "确认研判" not in html and "确认派单" in html  # graded: now it is dispatched


def test_a_red_risk_without_a_reason_is_refused_on_the_reason_field(client, world):
    case = world.register()
    response = _post(client, world.dispatcher, case, {"action": "triage", "category": "labour", "risk": "red"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "定为红色风险须说明研判理由" in html
    assert '<option value="red" selected>' in html


def test_accepting_the_suggestion_takes_the_engines_grades(client, world):
    case = world.register()
    response = _post(client, world.dispatcher, case, {"action": "triage", "accept_suggestion": "on"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.risk == case.triage["risk"]["code"]


def test_convening_joint_handling_names_a_lead_and_several_units(client, world):
    case = world.register()
    response = _post(client, world.dispatcher, case, {
        "action": "convene_joint", "status_seen": "registered", "lead_unit": world.hrss.pk,
        "units": [world.justice_office.pk, world.police_station.pk], "reason": "群体欠薪，吹哨报到",
        f"task_{world.police_station.pk}": "维持现场秩序",
    })
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.is_joint and case.status == "dispatched"
    parts = dict(Assignment.objects.filter(case=case).values_list("unit_id", "part"))
    assert parts == {world.hrss.pk: "lead", world.justice_office.pk: "assist", world.police_station.pk: "assist"}
    assert Assignment.objects.get(case=case, unit=world.police_station).task == "维持现场秩序"
    assert CaseEvent.objects.filter(case=case, kind="joint_convened", reason="群体欠薪，吹哨报到").exists()


def test_convening_with_only_the_lead_is_refused_keeping_the_reason(client, world):
    case = world.register()
    response = _post(client, world.dispatcher, case, {
        "action": "convene_joint", "lead_unit": world.hrss.pk, "units": [world.hrss.pk], "reason": "需要会商",
    })
    html = response.content.decode()
    assert response.status_code == 400
    assert "联合办理至少需要牵头单位之外的一个协办单位" in html and "需要会商" in html


# ---------------------------------------------------------------------------------------------
# Who may open it


def test_people_who_may_not_dispatch_are_refused_and_strangers_see_nothing(client, world):
    case = world.register()
    assert _get(client, world.clerk, case).status_code == 403
    assert _get(client, world.other_clerk, case).status_code == 404
    assert _get(client, world.outsider, case).status_code == 404
    dispatched = world.dispatched(title="已派")
    assert _get(client, world.handler, dispatched).status_code == 403


def test_once_dispatched_the_view_offers_joint_handling_but_not_a_second_dispatch(client, world):
    case = world.dispatched()
    html = _get(client, world.dispatcher, case).content.decode()
    assert "确认召集" in html and "确认派单" not in html


# ---------------------------------------------------------------------------------------------
# Queries


def _count(client, user, case) -> int:
    client.force_login(user)
    client.get(_url(case))
    with count_queries() as queries:
        response = client.get(_url(case))
    assert response.status_code == 200
    return queries


def test_the_dispatch_view_needs_the_same_number_of_queries_however_many_units(client, world):
    few = world.register()
    first = _count(client, world.dispatcher, few)
    for i in range(8):
        Unit.objects.create(name=f"桃源镇第{i}办公室", kind=UnitKind.CIVIL_AFFAIRS,
                            region=world.township)
    Responsibility.objects.create(category=world.labour, level="township", unit_kind=UnitKind.HRSS, part="lead")
    many = world.register(title="第二件")
    assert _count(client, world.dispatcher, many) == first


def _picker_names(html: str) -> list[str]:
    form = html[html.index('id="dispatch-form"'):]
    form = form[: form.index("</form>")]
    return re.findall(r'data-unit-name="([^"]+)"', form)


def test_the_unit_picker_filters_by_name_and_kind_with_the_suggested_units_first(client, world):
    for i in range(6):
        Unit.objects.create(name=f"桃源镇第{i}办公室", kind=UnitKind.CIVIL_AFFAIRS, region=world.township)
    Responsibility.objects.create(category=world.labour, level="township", unit_kind=UnitKind.HRSS, part="lead", duty="劳动保障监察")
    case = world.register()
    html = _get(client, world.dispatcher, case).content.decode()
    names = _picker_names(html)
    assert names[0] == world.hrss.name and "桃源镇第5办公室" in names  # the responsible unit first, all shown
    assert 'name="unit_q"' in html and 'name="unit_kind"' in html and "web/case.js" in html

    by_name = _picker_names(_get(client, world.dispatcher, case, data={"unit_q": "第3"}).content.decode())
    # The preselected (checked) units stay shown, first; of the others only the match.
    assert by_name[0] == world.hrss.name and by_name[-1] == "桃源镇第3办公室"
    assert not any(f"桃源镇第{i}办公室" in by_name for i in (0, 1, 2, 4, 5))
    by_kind = _picker_names(_get(client, world.dispatcher, case, data={"unit_kind": UnitKind.CIVIL_AFFAIRS}).content.decode())
    assert by_kind[0] == world.hrss.name and by_kind[-6:] == [f"桃源镇第{i}办公室" for i in range(6)]
    assert len(by_kind) < len(names)
