"""The allowed moves of a matter, as data, and the pure function that judges a move.

`MOVES` is the whole table: for every action, the statuses it may start from, the status it leads to
(None: unchanged, or decided by the service, e.g. accept by an assisting unit) and the roles that may
make it. `check_move` knows nothing of the database and is tested exhaustively.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from yimen.accounts.scopes import (
    BOARD_ROLES,
    DISPATCH_ROLES,
    FOLLOW_UP_ROLES,
    FRONT_DESK_ROLES,
    LEADER_ROLES,
    RESIDENT_ROLES,
    UNIT_WORK_ROLES,
)
from yimen.common.errors import Conflict, PermissionDenied

from .models import OPEN_STATUSES, Status


class Action(models.TextChoices):
    TRIAGE = "triage", _("研判")
    DISPATCH = "dispatch", _("派单")
    ACCEPT = "accept", _("签收")
    RETURN = "return", _("退单")
    RECORD_PROGRESS = "record_progress", _("记录办理情况")
    RESOLVE = "resolve", _("办结")
    RESOLVE_ON_SPOT = "resolve_on_spot", _("现场办结")
    FOLLOW_UP = "follow_up", _("回访")
    ARCHIVE = "archive", _("归档")
    ESCALATE = "escalate", _("提级")
    REQUEST_EXTENSION = "request_extension", _("申请延期")
    APPROVE_EXTENSION = "approve_extension", _("批准延期")
    REFUSE_EXTENSION = "refuse_extension", _("驳回延期")
    SUPERVISE = "supervise", _("督办")
    ANSWER_SUPERVISION = "answer_supervision", _("回复督办")
    CONVENE_JOINT = "convene_joint", _("联合办理")
    REFER_OUT = "refer_out", _("转出")
    NOT_ACCEPT = "not_accept", _("不予受理")
    WITHDRAW = "withdraw", _("撤回")
    REOPEN = "reopen", _("重启")
    SUPPLEMENT = "supplement", _("补充材料")


@dataclass(frozen=True)
class Move:
    sources: frozenset
    target: str | None
    roles: frozenset


S = Status
_OPEN = frozenset(OPEN_STATUSES)
# The role column names the groups of yimen.accounts.scopes, never sets of its own.

MOVES: dict[str, Move] = {
    Action.TRIAGE: Move(frozenset({S.REGISTERED}), S.PENDING_DISPATCH, DISPATCH_ROLES),
    Action.DISPATCH: Move(
        frozenset({S.REGISTERED, S.PENDING_DISPATCH, S.RETURNED}), S.DISPATCHED, DISPATCH_ROLES
    ),
    Action.ACCEPT: Move(frozenset({S.DISPATCHED, S.IN_PROGRESS}), None, UNIT_WORK_ROLES),
    Action.RETURN: Move(frozenset({S.DISPATCHED, S.IN_PROGRESS}), None, UNIT_WORK_ROLES),
    Action.RECORD_PROGRESS: Move(frozenset({S.DISPATCHED, S.IN_PROGRESS}), None, UNIT_WORK_ROLES),
    Action.RESOLVE: Move(frozenset({S.IN_PROGRESS}), S.RESOLVED, UNIT_WORK_ROLES),
    Action.RESOLVE_ON_SPOT: Move(
        frozenset({S.REGISTERED, S.PENDING_DISPATCH}), S.RESOLVED, FRONT_DESK_ROLES
    ),
    # A resident's own rating on the residents' pages is the follow-up too (回访验单 by the person served).
    Action.FOLLOW_UP: Move(
        frozenset({S.RESOLVED}), None, FOLLOW_UP_ROLES | RESIDENT_ROLES
    ),
    Action.ARCHIVE: Move(
        frozenset({S.FOLLOWED_UP, S.NOT_ACCEPTED, S.WITHDRAWN, S.REFERRED_OUT}),
        S.ARCHIVED,
        FRONT_DESK_ROLES,
    ),
    Action.ESCALATE: Move(_OPEN, S.PENDING_DISPATCH, BOARD_ROLES),
    Action.REQUEST_EXTENSION: Move(frozenset({S.DISPATCHED, S.IN_PROGRESS}), None, UNIT_WORK_ROLES),
    Action.APPROVE_EXTENSION: Move(frozenset({S.DISPATCHED, S.IN_PROGRESS}), None, LEADER_ROLES),
    Action.REFUSE_EXTENSION: Move(frozenset({S.DISPATCHED, S.IN_PROGRESS}), None, LEADER_ROLES),
    Action.SUPERVISE: Move(_OPEN, None, LEADER_ROLES),
    Action.ANSWER_SUPERVISION: Move(_OPEN, None, UNIT_WORK_ROLES),
    Action.CONVENE_JOINT: Move(
        frozenset({S.REGISTERED, S.PENDING_DISPATCH, S.RETURNED, S.DISPATCHED, S.IN_PROGRESS}),
        None,
        DISPATCH_ROLES,
    ),
    Action.REFER_OUT: Move(
        frozenset({S.REGISTERED, S.PENDING_DISPATCH, S.RETURNED, S.IN_PROGRESS}),
        S.REFERRED_OUT,
        DISPATCH_ROLES,
    ),
    Action.NOT_ACCEPT: Move(
        frozenset({S.REGISTERED, S.PENDING_DISPATCH}), S.NOT_ACCEPTED, FRONT_DESK_ROLES
    ),
    # 撤回 at the party's request: at the window (clerk) or by the resident on the residents' pages.
    Action.WITHDRAW: Move(_OPEN, S.WITHDRAWN, FRONT_DESK_ROLES | RESIDENT_ROLES),
    Action.REOPEN: Move(
        frozenset({S.RESOLVED, S.FOLLOWED_UP, S.ARCHIVED}), S.PENDING_DISPATCH, BOARD_ROLES
    ),
    # Staff record what they learn with record_progress; adding information is the resident's move.
    Action.SUPPLEMENT: Move(_OPEN, None, RESIDENT_ROLES),
}

# Moves only a resident makes, on the residents' pages: staff doors (API, workbench) do not offer them.
RESIDENT_ONLY_ACTIONS = frozenset(a for a, move in MOVES.items() if move.roles == RESIDENT_ROLES)

# The system (deadline sweep, importers) may make these moves without a human role.
SYSTEM_ACTIONS = frozenset({Action.ESCALATE, Action.SUPERVISE, Action.REOPEN})


def check_move(action: str, status: str, roles: frozenset, *, system: bool = False) -> Move:
    """Return the move if `roles` may make `action` from `status`; raise 403 or 409 otherwise.

    The role is judged first: someone who may never make this move learns nothing about the status.
    """
    move = MOVES[action]
    if system:
        if action not in SYSTEM_ACTIONS:
            raise PermissionDenied(_("系统不能执行“%(action)s”。") % {"action": Action(action).label}, code="forbidden_role")
    elif not (roles & move.roles):
        raise PermissionDenied(
            _("您的角色不能对该事项执行“%(action)s”。") % {"action": Action(action).label}, code="forbidden_role"
        )
    if status not in move.sources:
        raise Conflict(
            _("事项当前状态为“%(status)s”，不能执行“%(action)s”。")
            % {"status": Status(status).label, "action": Action(action).label},
            code="invalid_transition",
            current_status=status,
        )
    return move


def is_allowed(action: str, status: str, roles: frozenset) -> bool:
    move = MOVES[action]
    return bool(roles & move.roles) and status in move.sources
