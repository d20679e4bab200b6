"""A matter as its resident reads it: plain words, who handles it and by when, the result — and
none of the remarks staff keep inside (return reasons, handling notes, orders, staff names)."""

from yimen.cases import transitions as t
from yimen.cases.models import Assignment, CaseEvent, Status
from yimen.common.querycount import count_queries
from yimen.residents.presenting import resident_case_view, resident_status_words

RESULT = "包工头已结清全部工资8万元，工人确认收到。"


def _view(case):
    case.refresh_from_db()
    events = list(CaseEvent.objects.filter(case=case).order_by("created_at", "id"))
    assignments = list(Assignment.objects.filter(case=case).select_related("unit"))
    return resident_case_view(case, events, assignments)


def _titles(view) -> list[str]:
    return [step.title for step in view.steps]


def _all_text(view) -> str:
    parts = [view.status_words, view.result, view.due, *view.handlers]
    parts += [f"{step.title} {step.text}" for step in view.steps]
    return " ".join(parts)


def test_every_status_has_words_a_resident_understands():
    for status in Status:
        assert resident_status_words(status), status


def test_the_steps_read_received_handed_over_accepted_resolved(world):
    case = world.in_progress()
    case = t.case_resolve(actor=world.handler, case=case, outcome="resolved", result=RESULT)
    view = _view(case)
    assert _titles(view) == ["已收到您的反映", "已交给办理单位", "办理单位已接手", "已办结（问题已解决）"]
    assert view.steps[0].text == "桃源镇综治中心"
    assert view.steps[1].text == "青溪县人力资源和社会保障局、桃源镇司法所"
    assert view.steps[3].text == RESULT and view.result == RESULT
    assert view.status_words == "已办结，请您评价"


def test_return_reasons_handling_notes_orders_and_staff_names_stay_inside(world):
    case = world.dispatched()
    t.assignment_return(actor=world.justice_handler, case=case, reason="退单：不属本所职责")
    t.assignment_accept(actor=world.handler, case=case)
    t.case_record_progress(actor=world.handler, case=case, note="约谈包工头李某，其称资金未到位")
    t.supervision_issue(actor=world.supervisor, case=case, content="督办：三日内约谈到位")
    view = _view(case)
    text = _all_text(view)
    for inside in ("不属本所职责", "李某", "资金未到位", "三日内约谈", "王派单", "吴承办", "陈司法", "钱督办", "李窗口"):
        assert inside not in text, inside
    assert _titles(view)[2:] == ["协办单位有调整", "办理单位已接手", "有新的办理进展", "上级已督促加快办理"]
    # The unit that returned its part no longer counts among those handling the matter.
    assert view.handlers == ["青溪县人力资源和社会保障局（牵头单位）"]


def test_a_returned_lead_means_a_new_unit_is_being_found(world):
    case = t.assignment_return(actor=world.handler, case=world.dispatched(), reason="非本局职责，请改派住建局")
    view = _view(case)
    assert view.steps[-1].title == "正在重新安排办理单位" and view.steps[-1].text == ""
    assert view.status_words == "正在重新安排办理单位" and "住建局" not in _all_text(view)


def test_an_escalation_names_the_centre_that_took_it_over(world):
    case = t.case_escalate(actor=world.dispatcher, case=world.register(), reason="涉及多部门，镇级无法协调")
    view = _view(case)
    assert view.steps[-1].title == "已提交上级中心协调" and view.steps[-1].text == "青溪县综治中心"
    assert "多部门" not in _all_text(view) and view.centre == "青溪县综治中心"


def test_an_explanation_is_not_called_an_unreasonable_request(world):
    case = t.case_resolve(actor=world.handler, case=world.in_progress(), outcome="explained", result="已向申请人解释政策")
    view = _view(case)
    assert view.steps[-1].title == "已办结（已向您答复说明）"
    assert "不合理" not in _all_text(view)


def test_a_staff_follow_up_shows_the_answer_but_not_the_callers_note(world):
    case = t.case_resolve(actor=world.handler, case=world.in_progress(), outcome="resolved", result=RESULT)
    t.case_follow_up(actor=world.clerk, case=case, satisfaction="basically", comment="回访员备注：语气不耐烦", method="phone")
    view = _view(case)
    assert (view.steps[-1].title, view.steps[-1].text) == ("中心已回访", "基本满意")
    assert view.satisfaction == "基本满意" and "语气不耐烦" not in _all_text(view)


def test_the_residents_own_rating_shows_with_their_comment_and_the_reopening(world, settings):
    from yimen.accounts.scopes import ResidentActor
    from yimen.residents.services import resident_rate

    case = t.case_resolve(actor=world.handler, case=world.in_progress(), outcome="resolved", result=RESULT)
    resident_rate(actor=ResidentActor(case_ids={case.pk}), case=case, satisfaction="unsatisfied", comment="只给了一半")
    view = _view(case)
    assert _titles(view)[-2:] == ["您的评价", "重新办理"]
    assert view.steps[-2].text == "不满意：只给了一半"
    assert view.status_words == "已收到，正在安排办理单位" and view.due  # handling again, with a new limit


def test_a_refusal_says_where_to_go_as_written(world):
    case = t.case_not_accept(actor=world.clerk, case=world.register(), reason="属于劳动仲裁受理范围。", where_to_go="请持合同到青溪县劳动人事争议仲裁委员会申请仲裁")
    view = _view(case)
    assert view.steps[-1].text == "属于劳动仲裁受理范围。告知去向：请持合同到青溪县劳动人事争议仲裁委员会申请仲裁"


def test_the_due_time_shows_while_the_matter_is_open_and_marks_a_provisional_one(world):
    case = world.in_progress()
    view = _view(case)
    assert view.due.startswith(f"{case.due_at.year}年") and not view.due_provisional
    case.due_provisional = True
    view = resident_case_view(case, [], [])
    assert view.due.endswith("（暂定）") and view.due_provisional
    closed = t.case_withdraw(actor=world.clerk, case=case, reason="当事人撤回")
    assert _view(closed).due == "" and not _view(closed).due_provisional


def test_what_a_resident_may_do_follows_the_matters_state(world):
    open_view = _view(world.in_progress())
    assert (open_view.can_supplement, open_view.can_withdraw, open_view.can_rate) == (True, True, False)
    resolved = t.case_resolve(actor=world.handler, case=world.in_progress(), outcome="resolved", result=RESULT)
    view = _view(resolved)
    assert (view.can_supplement, view.can_withdraw, view.can_rate) == (False, False, True)


def test_presenting_costs_no_query(world):
    case = world.in_progress()
    events = list(CaseEvent.objects.filter(case=case))
    assignments = list(Assignment.objects.filter(case=case).select_related("unit"))
    case = type(case).objects.select_related("owning_centre").get(pk=case.pk)
    with count_queries() as queries:
        resident_case_view(case, events, assignments)
    assert queries == 0
