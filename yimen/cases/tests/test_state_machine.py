"""Random moves through the services (hypothesis state machine), with the loop's invariants after each.

People of the shared world make any staff move on a few matters, legal or not, with good or empty
input, while time passes. After every step:
- an open matter has at most one open handling limit (Deadline of step HANDLE, state open);
- a move that succeeded wrote exactly its CaseEvent(s), from the status before to the status after,
  and started from a status the move table (rules.MOVES) allows and ended where the table leads;
- a move that was refused (DomainError) changed nothing: no matter's status, events, assignments,
  limits, extensions or supervision orders;
- a move the table forbids for the actor's roles over the matter is always refused.
Reproducible: a fixed seed (derandomize) and no example database.
"""

import datetime as dt

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule, run_state_machine_as_test

from yimen.accounts.scopes import can_see_case, roles_over_case
from yimen.api.actions import STAFF_ACTIONS
from yimen.cases import transitions as t
from yimen.cases.models import (
    OPEN_STATUSES,
    Case,
    CaseEvent,
    Deadline,
    DeadlineState,
    EventKind,
    Extension,
    Outcome,
    ReferralTarget,
    Satisfaction,
    Status,
    Step,
    SupervisionOrder,
)
from yimen.cases.rules import MOVES, Action, is_allowed
from yimen.common.errors import DomainError

PEOPLE = [
    "clerk", "dispatcher", "director", "supervisor", "county_dispatcher", "handler", "handler2",
    "housing_handler", "justice_handler", "grid_worker", "outsider",
]
# Units the township may dispatch to, and one it may not (石门镇's). Hypothesis favours the first and
# the last of a list, so both ends are usable units.
UNITS = ["hrss", "justice_office", "shimen_justice", "mediation_committee", "housing", "hrss"]
# Mostly good text, sometimes empty or blank (a required reason missing is a refusal).
TEXTS = st.sampled_from(["已电话联系双方", "", "需调取考勤记录，请求协调", "  ", "已电话联系双方"])

# The events each move writes, in order (follow-up: a reopening after an unsatisfied rating).
EVENTS = {
    Action.TRIAGE: [EventKind.TRIAGED],
    Action.DISPATCH: [EventKind.DISPATCHED],
    Action.ACCEPT: [EventKind.ACCEPTED],
    Action.RETURN: [EventKind.RETURNED],
    Action.RECORD_PROGRESS: [EventKind.PROGRESS_RECORDED],
    Action.RESOLVE: [EventKind.RESOLVED],
    Action.RESOLVE_ON_SPOT: [EventKind.RESOLVED],
    Action.FOLLOW_UP: [EventKind.FOLLOWED_UP],
    Action.ARCHIVE: [EventKind.ARCHIVED],
    Action.ESCALATE: [EventKind.ESCALATED],
    Action.REQUEST_EXTENSION: [EventKind.EXTENSION_REQUESTED],
    Action.APPROVE_EXTENSION: [EventKind.EXTENSION_APPROVED],
    Action.REFUSE_EXTENSION: [EventKind.EXTENSION_REFUSED],
    Action.SUPERVISE: [EventKind.SUPERVISED],
    Action.ANSWER_SUPERVISION: [EventKind.SUPERVISION_ANSWERED],
    Action.CONVENE_JOINT: [EventKind.JOINT_CONVENED],
    Action.REFER_OUT: [EventKind.REFERRED_OUT],
    Action.NOT_ACCEPT: [EventKind.NOT_ACCEPTED],
    Action.WITHDRAW: [EventKind.WITHDRAWN],
    Action.REOPEN: [EventKind.REOPENED],
}
assert set(EVENTS) == set(STAFF_ACTIONS)

# Where a move whose table target is None (decided by the service) may lead from `previous`.
UNDECIDED_TARGETS = {
    Action.ACCEPT: {Status.IN_PROGRESS},  # by the lead; an assisting unit leaves the status as it was
    Action.RETURN: {Status.RETURNED},  # by the lead; likewise
    Action.FOLLOW_UP: {Status.FOLLOWED_UP, Status.PENDING_DISPATCH},  # unsatisfied: reopened
    Action.CONVENE_JOINT: {Status.DISPATCHED, Status.IN_PROGRESS},
}


def _inputs(action: str, world, draw) -> dict:
    """Keyword arguments for the service of `action`: sometimes good, sometimes empty or wrong."""
    def unit(label):
        return getattr(world, draw(st.sampled_from(UNITS), label=label))

    if action == Action.TRIAGE:
        return {"category": draw(st.sampled_from([None, world.labour, world.neighbour]), label="category"),
                "urgency": draw(st.sampled_from(["", "worrying", "urgent", "nonsense"]), label="urgency"),
                "risk": draw(st.sampled_from(["", "yellow", "red"]), label="risk"),
                "risk_reason": draw(TEXTS, label="risk_reason")}
    if action == Action.DISPATCH:
        return {"lead_unit": unit("lead_unit"), "assist_units": [unit("assist") for _ in range(draw(st.integers(0, 2)))],
                "reason": draw(TEXTS, label="reason")}
    if action == Action.CONVENE_JOINT:
        return {"lead_unit": unit("lead_unit"), "units": [unit("unit") for _ in range(draw(st.integers(0, 2)))],
                "reason": draw(TEXTS, label="reason")}
    if action in (Action.RESOLVE, Action.RESOLVE_ON_SPOT):
        return {"outcome": draw(st.sampled_from([*Outcome.values, "nonsense"]), label="outcome"),
                "result": draw(TEXTS, label="result")}
    if action == Action.FOLLOW_UP:
        return {"satisfaction": draw(st.sampled_from([*Satisfaction.values, "nonsense"]), label="satisfaction"),
                "comment": draw(TEXTS, label="comment")}
    if action == Action.REQUEST_EXTENSION:
        return {"amount": draw(st.sampled_from([-1, 0, 1, 3, 400]), label="amount"), "reason": draw(TEXTS, label="reason")}
    if action in (Action.APPROVE_EXTENSION, Action.REFUSE_EXTENSION):
        return {"approve": action == Action.APPROVE_EXTENSION, "reason": draw(TEXTS, label="reason")}
    if action == Action.SUPERVISE:
        return {"content": draw(TEXTS, label="content"), "unit": draw(st.sampled_from([None, world.hrss, world.housing]))}
    if action == Action.ANSWER_SUPERVISION:
        return {"answer": draw(TEXTS, label="answer")}
    if action == Action.REFER_OUT:
        return {"target": draw(st.sampled_from([*ReferralTarget.values, "nonsense"]), label="target"),
                "reason": draw(TEXTS, label="reason")}
    if action == Action.NOT_ACCEPT:
        return {"reason": draw(TEXTS, label="reason"), "where_to_go": draw(TEXTS, label="where_to_go")}
    if action == Action.RECORD_PROGRESS:
        return {"note": draw(TEXTS, label="note")}
    if action == Action.ARCHIVE:
        return {"note": draw(TEXTS, label="note")}
    if action == Action.ACCEPT:
        return {}
    return {"reason": draw(TEXTS, label="reason")}  # return, escalate, withdraw, reopen


SERVICES = {
    Action.TRIAGE: t.case_triage,
    Action.DISPATCH: t.case_dispatch,
    Action.ACCEPT: t.assignment_accept,
    Action.RETURN: t.assignment_return,
    Action.RECORD_PROGRESS: t.case_record_progress,
    Action.RESOLVE: t.case_resolve,
    Action.RESOLVE_ON_SPOT: t.case_resolve_on_spot,
    Action.FOLLOW_UP: t.case_follow_up,
    Action.ARCHIVE: t.case_archive,
    Action.ESCALATE: t.case_escalate,
    Action.REQUEST_EXTENSION: t.extension_request,
    Action.APPROVE_EXTENSION: t.extension_decide,
    Action.REFUSE_EXTENSION: t.extension_decide,
    Action.SUPERVISE: t.supervision_issue,
    Action.ANSWER_SUPERVISION: t.supervision_answer,
    Action.CONVENE_JOINT: t.case_convene_joint,
    Action.REFER_OUT: t.case_refer_out,
    Action.NOT_ACCEPT: t.case_not_accept,
    Action.WITHDRAW: t.case_withdraw,
    Action.REOPEN: t.case_reopen,
}


def _table_allows(world, person: str, action: str, case: Case, assigned: set[int]) -> bool:
    """rules.MOVES allows `person` to make `action` on `case` now (seen through their data scope)."""
    actor = getattr(world, person)
    return can_see_case(actor, case, assigned) and is_allowed(action, case.status, roles_over_case(actor, case, assigned))


def _snapshot(case_ids) -> dict:
    """Everything a move may change, per matter."""
    snap = {}
    for case in Case.objects.filter(pk__in=case_ids).order_by("pk"):
        snap[case.pk] = {
            "status": case.status,
            "owning_centre": case.owning_centre_id,
            "events": list(case.events.order_by("pk").values_list("pk", flat=True)),
            "assignments": list(case.assignments.order_by("pk").values_list("pk", "unit_id", "part", "status")),
            "deadlines": list(Deadline.objects.filter(case=case).order_by("pk").values_list("pk", "step", "state", "due_at")),
            "extensions": list(Extension.objects.filter(case=case).order_by("pk").values_list("pk", "status")),
            "orders": list(SupervisionOrder.objects.filter(case=case).order_by("pk").values_list("pk", "status")),
        }
    return snap


def _machine(world, traveller):
    class MatterLoop(RuleBasedStateMachine):
        """A few matters of 桃源镇, moved at random by the world's people."""

        def __init__(self):
            super().__init__()
            # Each run starts from the same world: its matters are rolled back in teardown.
            self._atomic = transaction.atomic()
            self._atomic.__enter__()
            self.case_ids = []

        def teardown(self):
            transaction.set_rollback(True)
            self._atomic.__exit__(None, None, None)

        @initialize()
        def register_two_matters(self):
            self.case_ids += [world.register().pk, world.register(title="邻里漏水纠纷", category=world.neighbour).pk]

        @precondition(lambda self: len(self.case_ids) < 4)
        @rule()
        def register_another_matter(self):
            self.case_ids.append(world.register(title="物业费纠纷", category=world.property).pk)

        @rule(hours=st.sampled_from([1, 20, 72]))
        def time_passes(self, hours):
            traveller.shift(dt.timedelta(hours=hours))

        @rule(data=st.data())
        def someone_makes_a_move(self, data):
            case = Case.objects.get(pk=self.case_ids[data.draw(st.integers(0, len(self.case_ids) - 1), label="matter")])
            # Mostly a move the table allows someone to make now, by such a person, so matters travel
            # the whole loop; otherwise any move by anyone.
            assigned = set(case.assignments.values_list("unit_id", flat=True))
            allowed = {(a, p) for a in STAFF_ACTIONS for p in PEOPLE if _table_allows(world, p, a, case, assigned)}
            if allowed and data.draw(st.integers(0, 3), label="likely") > 0:
                action, who = data.draw(st.sampled_from(sorted(allowed)), label="allowed move")
            else:
                action = data.draw(st.sampled_from(STAFF_ACTIONS), label="action")
                who = data.draw(st.sampled_from(PEOPLE), label="who")
            actor = getattr(world, who)
            kwargs = _inputs(action, world, data.draw)
            table_allows = (action, who) in allowed
            before = _snapshot(self.case_ids)
            try:
                SERVICES[action](actor=actor, case=case, **kwargs)
            except DomainError as refused:
                after = _snapshot(self.case_ids)
                assert after == before, f"{who} {action} was refused ({refused.message}) but changed the matters"
                return
            assert table_allows, f"{who} made {action} from {before[case.pk]['status']}, which the move table forbids"
            self._check_move(action, kwargs, case.pk, before, _snapshot(self.case_ids))

        def _check_move(self, action, kwargs, case_id, before, after):
            previous, status = before[case_id]["status"], after[case_id]["status"]
            move = MOVES[action]
            assert previous in move.sources, (action, previous)
            target = {move.target} if move.target else UNDECIDED_TARGETS.get(action, set()) | {previous}
            assert status in target, (action, previous, status)
            new = before[case_id]["events"]
            new = list(CaseEvent.objects.filter(case_id=case_id).exclude(pk__in=new).order_by("pk"))
            expected = list(EVENTS[action])
            if action == Action.FOLLOW_UP and status == Status.PENDING_DISPATCH:
                expected.append(EventKind.REOPENED)
            assert [e.kind for e in new] == expected, (action, [e.kind for e in new])
            assert new[0].from_status == previous and new[-1].to_status == status
            for other in set(after) - {case_id}:
                assert after[other] == before.get(other, after[other]), f"{action} on one matter changed another"

        @invariant()
        def an_open_matter_has_at_most_one_open_handling_limit(self):
            for case in Case.objects.filter(pk__in=self.case_ids, status__in=OPEN_STATUSES):
                open_limits = Deadline.objects.filter(case=case, step=Step.HANDLE, state=DeadlineState.OPEN).count()
                assert open_limits <= 1, f"{case.number} ({case.status}) has {open_limits} open handling limits"

    return MatterLoop


@pytest.mark.django_db
def test_random_moves_keep_the_loops_invariants(world):
    with time_machine.travel(dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False) as traveller:
        run_state_machine_as_test(
            _machine(world, traveller),
            settings=settings(
                max_examples=20, stateful_step_count=30, derandomize=True, database=None, deadline=None,
                suppress_health_check=list(HealthCheck),
            ),
        )
