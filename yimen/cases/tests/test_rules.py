"""The move table and its pure check, exhaustively: every action × status × role."""

import itertools

import pytest

from yimen.accounts.models import Role
from yimen.cases.models import OPEN_STATUSES, Status
from yimen.cases.rules import MOVES, SYSTEM_ACTIONS, Action, check_move, is_allowed
from yimen.common.errors import Conflict, PermissionDenied

TERMINAL = set(Status.values) - set(OPEN_STATUSES)


@pytest.mark.parametrize("action,status,role", list(itertools.product(Action.values, Status.values, Role.values)))
def test_check_move_answers_403_for_role_then_409_for_status(action, status, role):
    move = MOVES[action]
    roles = frozenset({role})
    if role not in move.roles:
        with pytest.raises(PermissionDenied) as raised:
            check_move(action, status, roles)
        assert raised.value.status == 403
    elif status not in move.sources:
        with pytest.raises(Conflict) as raised:
            check_move(action, status, roles)
        # The message names the status the matter is in, in Chinese.
        assert str(Status(status).label) in str(raised.value.message)
        assert raised.value.details["current_status"] == status
    else:
        assert check_move(action, status, roles) is move
    assert is_allowed(action, status, roles) == (role in move.roles and status in move.sources)


def test_every_action_has_a_move_and_every_status_is_reachable():
    assert set(MOVES) == set(Action.values)
    # accept, return and follow-up decide their target in the service (lead or assisting unit; satisfaction).
    targets = {m.target for m in MOVES.values() if m.target} | {Status.IN_PROGRESS, Status.RETURNED, Status.FOLLOWED_UP}
    assert set(Status.values) - {Status.REGISTERED} <= targets


def test_closed_matters_can_only_be_archived_or_reopened():
    for action, move in MOVES.items():
        closed_sources = move.sources & TERMINAL
        if closed_sources:
            assert action in {Action.ARCHIVE, Action.REOPEN, Action.FOLLOW_UP}, action


def test_units_cannot_dispatch_escalate_or_close_matters_and_centres_cannot_accept_for_units():
    unit_roles = {Role.HANDLER, Role.MEDIATOR, Role.EXPERT}
    for action in [Action.DISPATCH, Action.ESCALATE, Action.NOT_ACCEPT, Action.REFER_OUT, Action.ARCHIVE, Action.REOPEN]:
        assert not (MOVES[action].roles & unit_roles), action
    for action in [Action.ACCEPT, Action.RETURN, Action.RESOLVE]:
        assert MOVES[action].roles <= unit_roles, action


def test_nobody_but_leaders_approves_extensions_and_external_systems_make_no_moves():
    assert MOVES[Action.APPROVE_EXTENSION].roles == {Role.SUPERVISOR, Role.DIRECTOR}
    assert not any(Role.EXTERNAL in m.roles for m in MOVES.values())


def test_every_unit_role_works_its_units_assignments_and_experts_too():
    # A law firm's lawyer (expert) whose unit is given a matter signs for it and handles it.
    for action in [Action.ACCEPT, Action.RETURN, Action.RECORD_PROGRESS, Action.RESOLVE, Action.REQUEST_EXTENSION,
                   Action.ANSWER_SUPERVISION]:
        assert MOVES[action].roles == {Role.HANDLER, Role.MEDIATOR, Role.EXPERT}, action


@pytest.mark.parametrize("action", Action.values)
def test_the_system_may_only_escalate_supervise_or_reopen(action):
    if action in SYSTEM_ACTIONS:
        source = next(iter(MOVES[action].sources))
        assert check_move(action, source, frozenset(), system=True)
    else:
        with pytest.raises(PermissionDenied):
            check_move(action, Status.IN_PROGRESS, frozenset(), system=True)
