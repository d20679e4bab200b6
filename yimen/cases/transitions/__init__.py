"""The only code that moves a matter through its loop.

Web pages, the API, admin actions, the deadline sweep, importers and management commands all call
these services. Each one:
  1. opens a transaction and re-reads the matter locked (select_for_update), so two people acting at
     the same moment are serialised and the second sees the first one's result;
  2. asks `roles_over_case` (scope) and `check_move` (the table in rules.py) whether the move is allowed;
  3. checks the move's own preconditions (a pending assignment for the actor's unit, a reason …);
  4. writes with update_fields, sets the status the move table names (`ctx.target`), appends a
     CaseEvent, and queues notifications in the outbox, all in the same transaction.
`actor=None` means the system (the sweep); it may only make the moves in rules.SYSTEM_ACTIONS.

One module per area; callers import from here (`from yimen.cases import transitions`):
  _core.py        locking and checking (`_begin`, `_Context`), status, event and outbox writes, input
                  checks, the assignments a unit move needs, `centre_for_actor`
  grading.py      研判 and 派单: case_triage, case_dispatch, case_convene_joint
  unit_work.py    the unit's side: assignment_accept, assignment_return, case_record_progress
  resolution.py   case_resolve, case_resolve_on_spot, case_follow_up, case_reopen, case_archive
  escalation.py   case_escalate, supervision_issue, supervision_answer
  extensions.py   extension_request, extension_decide
  closing.py      leaving early (case_refer_out, case_not_accept, case_withdraw) and case_supplement
  offered.py      allowed_actions: what a user is offered now
A test that replaces a helper patches the module that uses it (e.g. `transitions.closing._notify`),
not this package.
"""

from ._core import ASSIGNMENT_NEEDED, SYSTEM_LABEL, centre_for_actor
from .closing import case_not_accept, case_refer_out, case_supplement, case_withdraw
from .escalation import case_escalate, supervision_answer, supervision_issue
from .extensions import extension_decide, extension_request
from .grading import case_convene_joint, case_dispatch, case_triage
from .offered import allowed_actions
from .resolution import case_archive, case_follow_up, case_reopen, case_resolve, case_resolve_on_spot
from .unit_work import assignment_accept, assignment_return, case_record_progress

__all__ = [
    "ASSIGNMENT_NEEDED",
    "SYSTEM_LABEL",
    "allowed_actions",
    "assignment_accept",
    "assignment_return",
    "case_archive",
    "case_convene_joint",
    "case_dispatch",
    "case_escalate",
    "case_follow_up",
    "case_not_accept",
    "case_record_progress",
    "case_refer_out",
    "case_reopen",
    "case_resolve",
    "case_resolve_on_spot",
    "case_supplement",
    "case_triage",
    "case_withdraw",
    "centre_for_actor",
    "extension_decide",
    "extension_request",
    "supervision_answer",
    "supervision_issue",
]
