"""The move table's targets are the statuses the services produce (rules.MOVES is read, not copied)."""

import pytest

from yimen.cases import transitions as t
from yimen.cases.rules import MOVES, Action


def _resolved(w):
    return t.case_resolve(actor=w.handler, case=w.in_progress(), outcome="resolved", result="已支付")


def _followed_up(w):
    return t.case_follow_up(actor=w.clerk, case=_resolved(w), satisfaction="satisfied")


# action -> (the matter to start from, the service call)
DRIVE = {
    Action.TRIAGE: (lambda w: w.register(), lambda w, c: t.case_triage(actor=w.dispatcher, case=c, risk="yellow", urgency="worrying", risk_reason="12人")),
    Action.DISPATCH: (lambda w: w.register(), lambda w, c: t.case_dispatch(actor=w.dispatcher, case=c, lead_unit=w.hrss)),
    Action.RESOLVE: (lambda w: w.in_progress(), lambda w, c: t.case_resolve(actor=w.handler, case=c, outcome="resolved", result="已支付")),
    Action.RESOLVE_ON_SPOT: (lambda w: w.register(), lambda w, c: t.case_resolve_on_spot(actor=w.clerk, case=c, outcome="resolved", result="当场解答")),
    Action.ARCHIVE: (_followed_up, lambda w, c: t.case_archive(actor=w.clerk, case=c)),
    Action.ESCALATE: (lambda w: w.in_progress(), lambda w, c: t.case_escalate(actor=w.supervisor, case=c, reason="跨镇街")),
    Action.REFER_OUT: (lambda w: w.register(), lambda w, c: t.case_refer_out(actor=w.dispatcher, case=c, target="litigation", reason="已起诉")),
    Action.NOT_ACCEPT: (lambda w: w.register(), lambda w, c: t.case_not_accept(actor=w.clerk, case=c, reason="不属受理范围", where_to_go="法院")),
    Action.WITHDRAW: (lambda w: w.register(), lambda w, c: t.case_withdraw(actor=w.clerk, case=c, reason="当事人撤回")),
    Action.REOPEN: (_resolved, lambda w, c: t.case_reopen(actor=w.supervisor, case=c, reason="群众反映未解决")),
}


def test_every_move_with_a_target_is_driven_here():
    assert set(DRIVE) == {action for action, move in MOVES.items() if move.target is not None}


@pytest.mark.parametrize("action", list(DRIVE), ids=str)
def test_the_service_leaves_the_matter_in_the_move_tables_target(world, action):
    start, drive = DRIVE[action]
    case = drive(world, start(world))
    case.refresh_from_db()
    assert case.status == MOVES[action].target
