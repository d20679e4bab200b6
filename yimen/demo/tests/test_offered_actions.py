"""Offered means possible: every action the workbench and the API offer on a matter succeeds.

A button that answers "本单位没有待回复的督办单" is a broken promise. This walks every demo persona
(one account of each role at each centre level and unit) over a sample of the matters each may see, in
every status, and makes every action `allowed_actions` offers with a valid body — each in a savepoint
rolled back afterwards, so every persona sees the same city.
"""

import random
from collections import defaultdict
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from yimen.accounts.models import Membership
from yimen.cases.actions import ACTIONS
from yimen.cases.models import Case, Status
from yimen.cases.selectors import CaseFilters, case_list_for_user
from yimen.cases.transitions import allowed_actions
from yimen.common.errors import DomainError
from yimen.regions.selectors import dispatchable_units

pytestmark = pytest.mark.django_db

PER_STATUS = 2  # matters of each status per persona: enough to meet every branch, quick enough to run


class _Rollback(Exception):
    pass


def _units(case, how_many):
    return list(dispatchable_units(case.owning_centre).filter(active=True).values_list("pk", flat=True)[:how_many])


def _valid_body(action: str, case: Case) -> dict:
    """A body a careful user would send: every required field filled, nothing the page would not offer."""
    reason = {"reason": "按工作要求办理"}
    units = _units(case, 2)
    return {
        "triage": {"accept_suggestion": True, "risk_reason": "按系统研判建议"},
        "dispatch": {"lead_unit": units[0]},
        "accept": {},
        "return": reason,
        "record_progress": {"note": "已电话联系当事人"},
        "resolve": {"outcome": "resolved", "result": "已协调解决"},
        "resolve_on_spot": {"outcome": "explained", "result": "已当场解释"},
        "follow_up": {"satisfaction": "satisfied"},
        "archive": {},
        "escalate": reason,
        "request_extension": {"amount": 1, "reason": "需补充调查"},
        "approve_extension": {},
        "refuse_extension": reason,
        "supervise": {"content": "请于三日内报告进展"},
        "answer_supervision": {"answer": "已按要求推进"},
        "convene_joint": {"lead_unit": units[0], "units": units, "reason": "需多部门会商"},
        "refer_out": {"target": "litigation", "reason": "建议通过诉讼解决"},
        "not_accept": {"reason": "不属于受理范围", "where_to_go": "区人民法院"},
        "withdraw": reason,
        "reopen": reason,
    }[action]


def _try(user, case, action) -> str | None:
    spec = ACTIONS[action]
    try:
        with transaction.atomic():
            spec.call(user, case, spec.schema(**_valid_body(action, case)))
            raise _Rollback
    except _Rollback:
        return None
    except DomainError as error:
        return f"{error.code}: {error}"


def _personas():
    """One account per (role, place): a clerk of each centre is the same persona as any other."""
    seen, people = set(), []
    for membership in Membership.objects.select_related("user", "region", "unit").order_by("user__username"):
        key = (membership.role, membership.region.level if membership.region_id else None,
               membership.unit.kind if membership.unit_id else None)
        if key not in seen:
            seen.add(key)
            people.append(membership.user)
    return people


def test_every_offered_action_succeeds_for_every_persona_in_every_status(settings):
    settings.YIMEN_DEMO = True
    call_command("demo", "load", "--matters", "80", stdout=StringIO())
    rng = random.Random(12)
    broken, tried = [], defaultdict(int)
    for user in _personas():
        visible = list(case_list_for_user(user=user, filters=CaseFilters()).order_by("pk"))
        by_status = defaultdict(list)
        for case in visible:
            by_status[case.status].append(case)
        for cases in by_status.values():
            for case in rng.sample(cases, min(PER_STATUS, len(cases))):
                case = Case.objects.select_related("owning_centre__region").get(pk=case.pk)
                for action in allowed_actions(user, case):
                    if action not in ACTIONS:  # a resident's own move: not on the staff doors
                        continue
                    tried[action] += 1
                    refusal = _try(user, case, action)
                    if refusal:
                        broken.append(f"{user.username} · {case.number} ({case.status}) · {action} → {refusal}")
    assert not broken, "\n".join(broken)
    # The walk met the whole loop, not a corner of it.
    assert set(tried) >= {"triage", "dispatch", "accept", "return", "resolve", "follow_up", "archive", "escalate",
                          "supervise", "withdraw", "reopen"}, tried
    assert set(Case.objects.values_list("status", flat=True)) == set(Status.values)
