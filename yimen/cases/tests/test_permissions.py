"""The permission matrix: every move × every persona, inside and outside their scope.

Each action is tried on a matter prepared in a status the move may start from, so that the answer
depends only on who is asking: the move succeeds, or 403 (may see, may not act), or 404 (may not
even learn that the matter exists), or 409 where the persona's own unit has nothing to act on.
"""

import pytest

from yimen.accounts.scopes import ResidentActor
from yimen.cases import transitions as t
from yimen.cases.models import Status
from yimen.cases.rules import Action
from yimen.common.errors import Conflict, NotFound, PermissionDenied

PERSONAS = [
    "clerk", "dispatcher", "director", "supervisor", "county_dispatcher", "handler", "justice_handler",
    "mediator", "expert", "grid_worker", "external", "outsider", "other_clerk", "resident", "other_resident",
]
# Personas who cannot see a 桃源镇 matter dispatched to the county labour bureau and the 司法所.
# A resident proves one matter (number + query code); another resident's proof opens nothing here.
OUTSIDE = {"outsider", "other_clerk", "mediator", "other_resident"}

# Before dispatch no unit has a part in the matter, so unit staff cannot see it.
BEFORE_DISPATCH = {
    Action.TRIAGE, Action.DISPATCH, Action.RESOLVE_ON_SPOT, Action.NOT_ACCEPT, Action.ESCALATE,
    Action.CONVENE_JOINT, Action.REFER_OUT, Action.WITHDRAW, Action.SUPPLEMENT,
}
UNIT_PERSONAS = {"handler", "justice_handler", "expert"}
CENTRE = {"dispatcher", "director", "county_dispatcher"}
EXPECTED_OK = {
    Action.TRIAGE: CENTRE,
    Action.DISPATCH: CENTRE,
    Action.ACCEPT: {"handler", "justice_handler", "expert"},
    Action.RETURN: {"handler", "justice_handler", "expert"},
    Action.RECORD_PROGRESS: {"handler"},
    Action.RESOLVE: {"handler"},
    Action.RESOLVE_ON_SPOT: CENTRE | {"clerk"},
    Action.FOLLOW_UP: CENTRE | {"clerk", "supervisor", "grid_worker", "resident"},
    Action.ARCHIVE: CENTRE | {"clerk"},
    Action.ESCALATE: CENTRE | {"supervisor"},
    Action.REQUEST_EXTENSION: {"handler", "justice_handler", "expert"},
    Action.APPROVE_EXTENSION: {"supervisor", "director"},
    Action.REFUSE_EXTENSION: {"supervisor", "director"},
    Action.SUPERVISE: {"supervisor", "director"},
    Action.ANSWER_SUPERVISION: {"handler"},
    Action.CONVENE_JOINT: CENTRE,
    Action.REFER_OUT: CENTRE,
    Action.NOT_ACCEPT: CENTRE | {"clerk"},
    Action.WITHDRAW: CENTRE | {"clerk", "resident"},
    Action.REOPEN: CENTRE | {"supervisor"},
    Action.SUPPLEMENT: {"resident"},
}
# Inside scope, with the right role, but the persona's unit has nothing to act on: 409.
EXPECTED_CONFLICT = {
    (Action.RECORD_PROGRESS, "justice_handler"),  # its assignment is not accepted yet
    (Action.ANSWER_SUPERVISION, "justice_handler"),  # the order went to the lead unit
    # The expert of the 司法所 works its assignments as its handler does.
    (Action.RECORD_PROGRESS, "expert"),
    (Action.ANSWER_SUPERVISION, "expert"),
}
# Inside scope with a unit role, but not the lead: refused as a role matter.
EXPECTED_FORBIDDEN_EXTRA = {(Action.RESOLVE, "justice_handler"), (Action.RESOLVE, "expert")}


def _prepare(world, action):
    """A matter in a status `action` may start from, and the keyword arguments for the service."""
    w = world
    if action in (Action.TRIAGE, Action.RESOLVE_ON_SPOT, Action.NOT_ACCEPT, Action.SUPPLEMENT):
        case = w.register()
    elif action in (Action.DISPATCH,):
        case = w.register()
    elif action in (Action.ACCEPT, Action.RETURN):
        case = w.dispatched()
    elif action in (Action.RECORD_PROGRESS, Action.RESOLVE, Action.REQUEST_EXTENSION, Action.SUPERVISE):
        case = w.in_progress()
    elif action in (Action.APPROVE_EXTENSION, Action.REFUSE_EXTENSION):
        case = w.in_progress()
        t.extension_request(actor=w.handler, case=case, amount=5, reason="需调取工地考勤记录")
    elif action == Action.ANSWER_SUPERVISION:
        case = w.in_progress()
        t.supervision_issue(actor=w.supervisor, case=case, content="请三日内反馈进展")
    elif action in (Action.FOLLOW_UP, Action.REOPEN):
        case = w.in_progress()
        case = t.case_resolve(actor=w.handler, case=case, outcome="agreement", result="双方达成还款协议")
    elif action == Action.ARCHIVE:
        case = w.in_progress()
        case = t.case_resolve(actor=w.handler, case=case, outcome="agreement", result="已支付")
        case = t.case_follow_up(actor=w.clerk, case=case, satisfaction="satisfied")
    else:  # escalate, convene_joint, refer_out, withdraw: awaiting dispatch
        case = t.case_triage(actor=w.dispatcher, case=w.register())
    kwargs = {
        Action.TRIAGE: dict(fn=t.case_triage, risk="yellow"),
        Action.DISPATCH: dict(fn=t.case_dispatch, lead_unit=w.hrss),
        Action.ACCEPT: dict(fn=t.assignment_accept),
        Action.RETURN: dict(fn=t.assignment_return, reason="不属于本单位职责"),
        Action.RECORD_PROGRESS: dict(fn=t.case_record_progress, note="约谈包工头"),
        Action.RESOLVE: dict(fn=t.case_resolve, outcome="resolved", result="工资已发放"),
        Action.RESOLVE_ON_SPOT: dict(fn=t.case_resolve_on_spot, outcome="explained", result="现场解释政策"),
        Action.FOLLOW_UP: dict(fn=t.case_follow_up, satisfaction="satisfied"),
        Action.ARCHIVE: dict(fn=t.case_archive),
        Action.ESCALATE: dict(fn=t.case_escalate, reason="涉及人数多，镇级难以化解"),
        Action.REQUEST_EXTENSION: dict(fn=t.extension_request, amount=3, reason="待鉴定"),
        Action.APPROVE_EXTENSION: dict(fn=t.extension_decide, approve=True),
        Action.REFUSE_EXTENSION: dict(fn=t.extension_decide, approve=False, reason="理由不充分"),
        Action.SUPERVISE: dict(fn=t.supervision_issue, content="请加快办理"),
        Action.ANSWER_SUPERVISION: dict(fn=t.supervision_answer, answer="已约谈并制定还款计划"),
        Action.CONVENE_JOINT: dict(fn=t.case_convene_joint, lead_unit=w.hrss, units=[w.justice_office, w.police_station], reason="群体性欠薪"),
        Action.REFER_OUT: dict(fn=t.case_refer_out, target="arbitration", reason="引导申请劳动仲裁"),
        Action.NOT_ACCEPT: dict(fn=t.case_not_accept, reason="属于法院执行事项", where_to_go="青溪县人民法院执行局"),
        Action.WITHDRAW: dict(fn=t.case_withdraw, reason="当事人自行和解"),
        Action.REOPEN: dict(fn=t.case_reopen, reason="包工头再次拖欠"),
        Action.SUPPLEMENT: dict(fn=t.case_supplement, note="补充：包工头的新电话 139 0000 0000"),
    }[action]
    return case, kwargs


def _actor(world, persona, case):
    if persona == "resident":
        return ResidentActor(case_ids={case.pk}, phone="13800138000")
    if persona == "other_resident":
        return ResidentActor(case_ids={case.pk + 1_000_000}, phone="13900139000")
    return getattr(world, persona)


@pytest.mark.parametrize("action", list(Action))
def test_permission_matrix(world, action):
    outcomes = {}
    for persona in PERSONAS:
        case, kwargs = _prepare(world, action)
        fn = kwargs.pop("fn")
        status_before = case.status
        try:
            fn(actor=_actor(world, persona, case), case=case, **kwargs)
            outcomes[persona] = "ok"
        except NotFound:
            outcomes[persona] = 404
        except PermissionDenied:
            outcomes[persona] = 403
        except Conflict:
            outcomes[persona] = 409
        if outcomes[persona] != "ok":
            case.refresh_from_db()
            assert case.status == status_before, f"{persona} was refused but the matter moved"
    expected = {}
    for persona in PERSONAS:
        if persona in OUTSIDE or (action in BEFORE_DISPATCH and persona in UNIT_PERSONAS):
            expected[persona] = 404
        elif (action, persona) in EXPECTED_CONFLICT:
            expected[persona] = 409
        elif persona in EXPECTED_OK[action] and (action, persona) not in EXPECTED_FORBIDDEN_EXTRA:
            expected[persona] = "ok"
        else:
            expected[persona] = 403
    assert outcomes == expected


def test_township_loses_the_hand_after_escalation_but_still_sees_the_matter(world):
    case = t.case_triage(actor=world.dispatcher, case=world.register())
    case = t.case_escalate(actor=world.dispatcher, case=case, reason="涉及多部门")
    assert case.owning_centre == world.centre_county
    assert case.status == Status.PENDING_DISPATCH
    with pytest.raises(PermissionDenied):
        t.case_dispatch(actor=world.dispatcher, case=case, lead_unit=world.hrss)
    t.case_dispatch(actor=world.county_dispatcher, case=case, lead_unit=world.hrss)
    from yimen.cases.selectors import case_get

    assert case_get(user=world.dispatcher, number=case.number).number == case.number
    with pytest.raises(NotFound):
        case_get(user=world.outsider, number=case.number)
