"""Playing the planned matters through the real services, so that every event, limit and assignment is real.

The matters are played in the order they were received: `django.utils.timezone.now` is patched with a
clock that the player moves forward step by step, so intake and transitions stamp each event with its
historical time and compute each limit from it. A matter whose next step would fall after the real
present stops where it is: that is how the open backlog of the last weeks comes about, and how the
stalled ones come to be overdue now.
"""

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from yimen.accounts.models import Role
from yimen.cases import transitions as t
from yimen.cases.calendar import is_working_day
from yimen.cases.intake import CaseInput, PartyInput, case_register
from yimen.cases.models import (
    Assignment,
    AssignmentPart,
    AssignmentStatus,
    Case,
    Channel,
    Outcome,
    PartyKind,
    PartyRole,
    ReferralTarget,
    Risk,
    Satisfaction,
    Urgency,
)
from yimen.regions.models import Level, Unit, UnitKind

from .catalogue import RESPONSIBILITIES, rule_for
from .clock import DemoClock, memoized_policy_lookup, patched_now
from .planning import Plan, World, local_tz, weighted
from .stories import Rendered, names, pick, process, render

MINUTE = 1
HOUR = 60
DAY = 24 * 60


class _Stop(Exception):
    """The matter's story ends here (its next step lies in the future, or it is meant to stall)."""


_PACE_DAYS = {Urgency.URGENT: 0.08, Urgency.WORRYING: 1.0, Urgency.ANNOYING: 1.6, Urgency.GRAVE: 3.0, Urgency.WISH: 2.5}
_MEDIATING_KINDS = {UnitKind.MEDIATION_COMMITTEE, UnitKind.JUSTICE_OFFICE, UnitKind.JUSTICE_BUREAU, UnitKind.VILLAGE_COMMITTEE}
_WRONG_KINDS = [UnitKind.HOUSING, UnitKind.MARKET, UnitKind.CIVIL_AFFAIRS, UnitKind.TRANSPORT, UnitKind.AGRICULTURE,
                UnitKind.WATER, UnitKind.EDUCATION, UnitKind.NATURAL_RESOURCES, UnitKind.HRSS]


# ---------------------------------------------------------------------------------------------
# Playing


def _office(moment: dt.datetime, rng: random.Random) -> dt.datetime:
    """The first office minute at or after `moment` (8:30–12:00, 14:00–17:30 on working days)."""
    local = timezone.localtime(moment, local_tz())
    for _ in range(40):
        minutes = local.hour * 60 + local.minute
        working = is_working_day(local.date())[0]
        if working and (510 <= minutes < 720 or 840 <= minutes < 1050):
            return local
        if working and minutes < 510:
            local = local.replace(hour=8, minute=30, second=0) + dt.timedelta(minutes=rng.randint(0, 50))
        elif working and 720 <= minutes < 840:
            local = local.replace(hour=14, minute=0, second=0) + dt.timedelta(minutes=rng.randint(0, 50))
        else:
            local = (local + dt.timedelta(days=1)).replace(hour=8, minute=30, second=0) + dt.timedelta(
                minutes=rng.randint(0, 70))
    return local


@dataclass(frozen=True)
class _Live:
    pk: int
    unit_id: int
    unit: Unit
    part: str
    status: str


class _Services:
    """The transitions module, with each call forgetting what the matter knew of its assignments."""

    def __init__(self, matter: "_Matter"):
        self._matter = matter

    def __getattr__(self, name):
        service = getattr(t, name)

        def call(**kwargs):
            self._matter._live_cache = None
            return service(**kwargs)

        return call


class _Matter:
    """One matter's way through the loop; each step is one service call at its own historical time."""

    def __init__(self, world: World, plan: Plan, clock: DemoClock, limit: dt.datetime, descriptions: set):
        self.w, self.p, self.clock, self.limit = world, plan, clock, limit
        self.rng = random.Random(f"{world.seed}/{plan.index}")
        self.category = world.categories[plan.category]
        self.outcomes = world.outcomes[plan.category]
        place = self._place()
        for _attempt in range(6):
            self.r: Rendered = render(plan.story, rng=self.rng, place=place, received=plan.received_at,
                                      extras=self.outcomes.extras)
            if self.r.description not in descriptions:
                break
        descriptions.add(self.r.description)
        self.urgency = self.r.urgency or world.usual_urgency.get(plan.category, Urgency.ANNOYING)
        self.risk, self.risk_reason = self._risk()
        self.pace = _PACE_DAYS.get(self.urgency, 1.5) * (4 if self.rng.random() < 0.12 else 1)
        self.case: Case | None = None
        self.sessions = 0
        self.svc = _Services(self)
        self._live_cache: list[_Live] | None = None

    # -- helpers -------------------------------------------------------------------------------

    def _place(self) -> dict:
        grid = self.p.grid
        village = self.w.geo.regions[grid.code[:12]]
        township = self.w.geo.regions[grid.code[:9]]
        county = self.w.geo.regions[grid.code[:6]]
        estate = random.Random("estate" + grid.code).choice(names.ESTATES) if self.w.urban(grid) else ""
        return {"village": village.name, "township": township.name, "county": county.name, "grid": grid.name,
                "estate": estate}

    def _risk(self) -> tuple[str, str]:
        risk = self.r.risk
        heads, amount = self.r.headcount, self.r.amount or 0
        if risk == Risk.BLUE and (heads >= 10 or amount >= 200000):
            risk = Risk.YELLOW
        if risk == Risk.YELLOW and heads >= 30 and self.rng.random() < 0.3:
            risk = Risk.RED
        if self.p.fate == "joint" and risk == Risk.BLUE:
            risk = Risk.YELLOW
        if risk == Risk.BLUE:
            return risk, ""
        return risk, self.rng.choice(process.RISK_REASONS[risk]).format(n=max(heads, 10))

    def _pick(self, entries, *, plain_only: bool = False) -> str:
        if plain_only:
            entries = [e for e in entries if isinstance(e, str)] or entries
        return pick(self.rng, entries, story=self.p.story, heads=self.r.headcount, text=self.r.title + self.r.description)

    @property
    def two_sided(self) -> bool:
        return self.r.respondent is not None

    def _fmt(self, text: str, **extra) -> str:
        self.r.slots.update(extra)
        return text.format_map(self.r.slots)

    @property
    def fast(self) -> bool:
        return self.urgency == Urgency.URGENT

    def _wait(self, lo: float, hi: float, *, office: bool = True) -> None:
        """Move the clock on by lo–hi minutes (to the next office minute if `office`); stop at the present."""
        if self.p.compact:
            lo, hi, office = min(lo, 5), min(hi, 40), False
        moment = self.clock.now + dt.timedelta(minutes=self.rng.uniform(lo, hi))
        if office and not self.fast:
            moment = _office(moment, self.rng)
        if moment > self.limit:
            raise _Stop
        self.clock.now = moment

    def _days(self, lo: float, hi: float) -> None:
        self._wait(lo * self.pace * DAY, hi * self.pace * DAY)

    def _step(self, name: str) -> None:
        if self.p.stop_after == name:
            raise _Stop

    def _at(self, role: str):
        return self.w.staff.at(self.case.owning_code, role)

    def _owning_level(self) -> str:
        return self.w.geo.regions[self.case.owning_code].level

    def _live(self) -> list["_Live"]:
        """The live assignments, read again only after a service call may have changed them."""
        if self._live_cache is None:
            rows = Assignment.objects.filter(
                case_id=self.case.pk, status__in=[AssignmentStatus.PENDING, AssignmentStatus.ACCEPTED]
            ).values_list("pk", "unit_id", "part", "status")
            self._live_cache = [_Live(pk, unit_id, self.w.units[unit_id], part, status) for pk, unit_id, part, status in rows]
        return self._live_cache

    def _lead(self) -> Assignment | None:
        return next((a for a in self._live() if a.part == AssignmentPart.LEAD), None)

    def _actor(self, unit_id: int):
        return self.w.staff.unit[unit_id]

    def _units(self) -> tuple[Unit, list[Unit]] | None:
        """Lead and assisting units from the 职责清单 at the owning centre's level."""
        rule = rule_for(self.p.category, self._owning_level())
        if rule is None:
            return None
        lead_kind, assist_kinds = rule
        place = self.case.region_code
        lead = None
        for kind in (lead_kind, UnitKind.MEDIATION_COMMITTEE, UnitKind.TOWNSHIP_OFFICE, UnitKind.JUSTICE_BUREAU):
            lead = self.w.unit_for(kind, self.case.owning_code, place)
            if lead is not None:
                break
        picked = self.rng.sample(assist_kinds, k=min(len(assist_kinds), self.rng.choice((0, 0, 1, 1, 2))))
        assists = [u for k in picked if (u := self.w.unit_for(k, self.case.owning_code, place)) and u.pk != lead.pk]
        return lead, assists

    # -- the steps -----------------------------------------------------------------------------

    def register(self, *, with_category: bool = False) -> None:
        p, r, rng, geo = self.p, self.r, self.rng, self.w.geo
        self.clock.now = p.received_at
        centre_code, actor = self._intake_point()
        county_code = p.grid.code[:6]
        address = self._address()
        applicant_kind, applicant_name = r.applicant
        parties = [PartyInput(
            name=applicant_name,
            kind=PartyKind.ORGANISATION if applicant_kind == "org" else PartyKind.PERSON,
            id_number=(names.id_number(rng, county_code=county_code, female=p.story.female,
                                       age_lo=66 if p.story.elderly else 20, age_hi=89 if p.story.elderly else 62,
                                       year=p.received_at.year)
                       if applicant_kind == "person" and rng.random() < 0.75 else ""),
            phone=names.mobile(rng) if rng.random() < 0.92 else "",
            headcount=r.headcount,
            address=address if applicant_kind == "person" else "",
        )]
        if r.respondent:
            kind, name = r.respondent
            parties.append(PartyInput(
                name=name, role=PartyRole.RESPONDENT,
                kind=PartyKind.ORGANISATION if kind == "org" else PartyKind.PERSON,
                phone=names.mobile(rng) if kind == "person" and rng.random() < 0.5 else "",
            ))
        latitude = p.grid.latitude + Decimal(f"{rng.uniform(-0.0015, 0.0015):.6f}") if p.grid.latitude else None
        longitude = p.grid.longitude + Decimal(f"{rng.uniform(-0.0015, 0.0015):.6f}") if p.grid.longitude else None
        data = CaseInput(
            channel=p.channel, region=p.grid, title=r.title, description=r.description, parties=parties,
            request=r.request, address=address, latitude=latitude, longitude=longitude,
            category=self.category if (with_category or rng.random() < 0.5) else None,
            amount=r.amount, headcount=r.headcount, tags=list(r.tags), received_at=p.received_at,
            external_ref=self._external_ref(), centre=geo.centres[centre_code],
        )
        self.case = case_register(actor=actor, data=data)
        self._step("register")

    def _intake_point(self):
        """Which centre registers the matter, and who types it in."""
        p, staff, rng = self.p, self.w.staff, self.rng
        grid = p.grid.code
        village, township, county = grid[:12], grid[:9], grid[:6]
        village_ok = rule_for(p.category, Level.VILLAGE) is not None and p.fate != "on_spot"
        if p.channel in (Channel.GRID, Channel.SCREENING):
            if village_ok:
                actor = staff.grid[grid] if p.channel == Channel.GRID else staff.centre[(village, Role.DISPATCHER)]
                return village, actor
            actor = staff.grid[grid] if p.channel == Channel.GRID else staff.centre[(township, Role.CLERK)]
            return township, actor
        if p.channel == Channel.HOTLINE:
            return county, staff.hotline[county]
        if p.channel in (Channel.COURT, Channel.PETITION):
            return county, staff.centre[(county, Role.CLERK)]
        if p.channel in (Channel.POLICE, Channel.MONITORING):
            return township, staff.centre[(township, Role.CLERK)]
        roll = rng.random()
        if roll < 0.1 and village_ok and p.channel in (Channel.WALK_IN, Channel.PHONE):
            return village, staff.centre[(village, Role.DISPATCHER)]
        if roll < 0.85:
            return township, staff.centre[(township, Role.CLERK)]
        return county, staff.centre[(county, Role.CLERK)]

    def _address(self) -> str:
        place, rng = self.r.slots.place, self.rng
        if self.w.urban(self.p.grid):
            return f"{place['township']}{place['village']}{place['estate']}{rng.randint(1, 18)}栋{rng.choice(names.ROOMS)}房"
        return f"{place['township']}{place['village']}{rng.randint(1, 9)}组{rng.randint(1, 88)}号"

    def _external_ref(self) -> str:
        year, rng = self.p.received_at.year, self.rng
        return {
            Channel.HOTLINE: f"12345-{year}{rng.randint(10**7, 10**8 - 1)}",
            Channel.POLICE: f"JQ{year}{rng.randint(10**9, 10**10 - 1)}",
            Channel.COURT: f"（{year}）{self.r.slots.place['county'][:2]}民诉前调{rng.randint(100, 2999)}号",
            Channel.PETITION: f"XF{year}{rng.randint(10**6, 10**7 - 1)}",
        }.get(self.p.channel, "")

    def triage(self) -> None:
        self._wait(10, 150)
        self.case = self.svc.case_triage(
            actor=self._at(Role.DISPATCHER), case=self.case, category=self.category, urgency=self.urgency,
            risk=self.risk, risk_reason=self.risk_reason,
        )
        self._step("triage")

    def dispatch(self, *, wrong: bool = False) -> None:
        units = self._units()
        if units is None:  # nothing for the village to do with it: up to the township (大事不出镇)
            self.escalate(reason="超出村级调处范围，提交镇综治中心研判")
            units = self._units()
        lead, assists = units
        if wrong:
            lead = self._wrong_unit(lead) or lead
        keep = [a.unit for a in self._live() if a.status == AssignmentStatus.ACCEPTED and a.unit_id != lead.pk]
        assists = list(dict.fromkeys([u for u in assists if u.pk != lead.pk] + keep))
        duty = (RESPONSIBILITIES.get(self.p.category) or {}).get(
            Level.COUNTY if self._owning_level() == Level.CITY else self._owning_level())
        tasks = {lead.pk: f"牵头办理：{duty[2] if duty else '调查核实、组织化解并反馈结果'}"}
        tasks.update({u.pk: "协助牵头单位开展调查和调解" for u in assists})
        self._wait(5, 60)
        self.case = self.svc.case_dispatch(actor=self._at(Role.DISPATCHER), case=self.case, lead_unit=lead, assist_units=assists,
                                    tasks=tasks)
        self._step("dispatch")

    def _wrong_unit(self, right: Unit) -> Unit | None:
        for kind in self.rng.sample(_WRONG_KINDS, k=len(_WRONG_KINDS)):
            if kind == right.kind:
                continue
            unit = self.w.unit_for(kind, self.case.owning_code, self.case.region_code)
            if unit is not None:
                return unit
        return None

    def accept(self) -> None:
        pending = [a for a in self._live() if a.status == AssignmentStatus.PENDING]
        pending.sort(key=lambda a: a.part != AssignmentPart.LEAD)
        for assignment in pending:
            if assignment.part == AssignmentPart.ASSIST and self.rng.random() < 0.1:
                continue  # an assisting unit that never signs for it
            if self.fast:
                self._wait(2, 9, office=False)
            else:
                self._wait(15, 6 * HOUR)
            self.case = self.svc.assignment_accept(actor=self._actor(assignment.unit_id), case=self.case,
                                            assignment_id=assignment.pk)
        self._step("accept")

    def return_lead(self) -> None:
        lead = self._lead()
        right = self._units()[0]
        self._wait(30, 5 * HOUR)
        reason = self.rng.choice(process.RETURN_REASONS).format(topic=self.category.name, right=right.name)
        self.case = self.svc.assignment_return(actor=self._actor(lead.unit_id), case=self.case, reason=reason, assignment_id=lead.pk)
        self._step("return")

    def work(self, steps: int | None = None, *, failing: bool = False) -> None:
        """Handling steps by the lead (mediation sessions where the lead mediates), now and then by an assistant."""
        steps = steps or self.rng.choice((1, 1, 2, 2, 3))
        for _ in range(steps):
            self._days(0.3, 1.5)
            lead = self._lead()
            if lead is None or lead.status != AssignmentStatus.ACCEPTED:
                return
            actor = self._actor(lead.unit_id)
            if (lead.unit.kind in _MEDIATING_KINDS or failing) and self.two_sided:
                self.sessions += 1
                place = self.rng.choice(process.MEDIATION_PLACES)
                note = self._fmt(self.rng.choice(process.MEDIATION_SESSIONS), no=self.sessions, place=place,
                                 note=self.rng.choice(process.MEDIATION_NOTES[:3] if failing else process.MEDIATION_NOTES))
                # The date defaults to the (demo clock's) day; the method is a MediationMethod code.
                details = {"session": self.sessions, "place": place, "mediators": actor.get_full_name(),
                           "method": self.rng.choice(("face_to_face", "face_to_face", "back_to_back", "online"))}
                self.case = self.svc.case_record_progress(actor=actor, case=self.case, note=note, kind="mediation", details=details)
            else:
                note = self._fmt(self._pick(self.outcomes.progress))
                self.case = self.svc.case_record_progress(actor=actor, case=self.case, note=note)
            self._step("work")
        helper = next((a for a in self._live() if a.part == AssignmentPart.ASSIST and a.status == AssignmentStatus.ACCEPTED), None)
        if helper is not None and self.rng.random() < 0.15:
            self._days(0.1, 0.6)
            note = f"{helper.unit.name}配合：" + self._fmt(self._pick(self.outcomes.progress))
            self.case = self.svc.case_record_progress(actor=self._actor(helper.unit_id), case=self.case, note=note)

    def resolve(self, outcome: str | None = None) -> None:
        self._days(0.2, 1.2)
        lead = self._lead()
        if outcome is None:
            weights = ({Outcome.AGREEMENT: 55, Outcome.RESOLVED: 25, Outcome.EXPLAINED: 12, Outcome.NOT_RESOLVED: 8}
                       if self.two_sided else {Outcome.RESOLVED: 70, Outcome.EXPLAINED: 22, Outcome.NOT_RESOLVED: 8})
            outcome = weighted(self.rng, weights)
        if outcome == Outcome.AGREEMENT and not self.two_sided:
            outcome = Outcome.RESOLVED  # nobody to agree with: the units fixed it
        assists = [a.unit.name for a in self._live() if a.part == AssignmentPart.ASSIST and a.status == AssignmentStatus.ACCEPTED]
        result = self._result(outcome, lead.unit.name, assists)
        self.case = self.svc.case_resolve(actor=self._actor(lead.unit_id), case=self.case, outcome=outcome, result=result)
        self._step("resolve")

    def _result(self, outcome: str, lead: str, assists: list[str]) -> str:
        rng, o = self.rng, self.outcomes
        if outcome == Outcome.AGREEMENT:
            who = lead + (f"会同{'、'.join(assists)}" if assists else "")
            opening = rng.choice((f"经{who}组织双方调解，", f"经{who}多轮协商，",
                                  f"经{max(self.sessions, 1)}次调解，" if self.sessions else f"经{who}调解，"))
            closing = rng.choice(("双方签订人民调解协议书。", "双方签订人民调解协议书，并告知可自协议生效之日起30日内共同申请司法确认。",
                                  "协议已当场履行完毕。", "双方握手言和。"))
            return opening + self._fmt(self._pick(o.remedies)) + "，" + closing
        if outcome == Outcome.RESOLVED:
            return self._fmt(self._pick(o.fixes)) + "。"
        if outcome == Outcome.EXPLAINED:
            return self._fmt(self._pick(o.explains)) + "。"
        if not self.two_sided:
            return "经多方协调，问题暂未彻底解决，已向当事人说明情况，事项纳入网格常态化跟踪。"
        times = f"{self.sessions}次" if self.sessions else "多次"
        return f"经{times}调解，双方分歧较大未能达成协议，已告知当事人可通过诉讼途径解决，事项纳入网格常态化管控。"

    def resolve_on_spot(self) -> None:
        self._wait(5, 40, office=False)
        outcome = Outcome.EXPLAINED if self.rng.random() < 0.4 else Outcome.RESOLVED
        self.case = self.svc.case_resolve_on_spot(actor=self._at(Role.CLERK), case=self.case, outcome=outcome,
                                           result=self._pick(process.ON_SPOT_RESULTS) + "。")
        self._step("resolve")

    def follow_up(self, satisfaction: str | None = None) -> str:
        self._wait(0.5 * DAY, 6 * DAY)
        if satisfaction is None:
            satisfaction = weighted(self.rng, {Satisfaction.SATISFIED: 70, Satisfaction.BASICALLY: 18,
                                                Satisfaction.UNSATISFIED: 7, Satisfaction.UNREACHABLE: 5})
        by_grid = self.rng.random() < 0.55
        actor = self.w.staff.grid[self.p.grid.code] if by_grid else self._at(Role.CLERK)
        # "The money is in my hand" fits only a matter that was settled or fixed.
        settled = self.case.outcome in (Outcome.AGREEMENT, Outcome.RESOLVED)
        comment = self._pick(process.FOLLOW_UP_COMMENTS[satisfaction], plain_only=not settled)
        self.case = self.svc.case_follow_up(actor=actor, case=self.case, satisfaction=satisfaction, comment=comment,
                                     method="visit" if by_grid else "phone")
        self._step("follow_up")
        return satisfaction

    def archive(self) -> None:
        self._wait(2 * DAY, 30 * DAY)
        actor = self._at(Role.CLERK) if self._owning_level() != Level.VILLAGE else self._at(Role.DISPATCHER)
        self.case = self.svc.case_archive(actor=actor, case=self.case, note="材料齐全，立卷归档")
        self._step("archive")

    def close(self) -> None:
        """回访, then 归档 — or, when the resident is not satisfied, round again."""
        if self.follow_up() == Satisfaction.UNSATISFIED:
            self.again()
        elif self.rng.random() < 0.85:
            self.archive()

    def again(self) -> None:
        """After a reopening: dispatch anew, handle, resolve, and this time satisfy."""
        self.dispatch()
        self.accept()
        self.work(self.rng.randint(1, 2))
        self.resolve(self.rng.choice((Outcome.AGREEMENT, Outcome.RESOLVED)))
        self.follow_up(self.rng.choice((Satisfaction.SATISFIED, Satisfaction.BASICALLY)))
        if self.rng.random() < 0.8:
            self.archive()

    def escalate(self, reason: str | None = None) -> None:
        self._wait(30, 1 * DAY)
        role = Role.SUPERVISOR if self._owning_level() != Level.VILLAGE and self.rng.random() < 0.3 else Role.DISPATCHER
        self.case = self.svc.case_escalate(actor=self._at(role), case=self.case,
                                    reason=reason or self.rng.choice(process.ESCALATION_REASONS))
        self._step("escalate")

    def joint(self) -> None:
        units = self._units()
        if units is None:
            self.escalate(reason="群体性、复杂事项，提交镇综治中心联合处置")
            units = self._units()
        lead, assists = units
        extra_kinds = [UnitKind.POLICE_STATION, UnitKind.JUSTICE_OFFICE, UnitKind.PUBLIC_SECURITY, UnitKind.JUSTICE_BUREAU,
                       UnitKind.PETITION, UnitKind.TOWNSHIP_OFFICE, UnitKind.MEDIATION_COMMITTEE]
        rule = rule_for(self.p.category, self._owning_level())
        kinds = list(dict.fromkeys(rule[1] + self.rng.sample(extra_kinds, k=3)))
        others = [u for k in kinds if (u := self.w.unit_for(k, self.case.owning_code, self.case.region_code))]
        others = [u for u in dict.fromkeys(others + assists) if u.pk != lead.pk][: self.rng.randint(2, 4)]
        self._wait(20, 4 * HOUR)
        actor = self._at(Role.DIRECTOR if self.rng.random() < 0.5 else Role.DISPATCHER)
        self.case = self.svc.case_convene_joint(actor=actor, case=self.case, lead_unit=lead, units=[lead, *others],
                                         reason=self.rng.choice(process.JOINT_REASONS))
        self._step("joint")

    def extension(self, approve: bool) -> None:
        self._days(0.5, 2)
        lead = self._lead()
        self.svc.extension_request(actor=self._actor(lead.unit_id), case=self.case, amount=self.rng.choice((3, 5, 5, 7, 10)),
                            reason=self._pick(process.EXTENSION_REASONS), assignment_id=lead.pk)
        self._step("extension_request")
        self._wait(1 * HOUR, 2 * DAY)
        reason = self.rng.choice(process.EXTENSION_APPROVALS if approve else process.EXTENSION_REFUSALS)
        self.svc.extension_decide(actor=self._at(Role.SUPERVISOR), case=self.case, approve=approve, reason=reason)

    def supervise(self) -> None:
        self._wait(1 * DAY, 4 * DAY)
        lead = self._lead()
        order = self.svc.supervision_issue(actor=self._at(Role.SUPERVISOR), case=self.case, unit=lead.unit,
                                    content=self.rng.choice(process.SUPERVISION_CONTENTS))
        self._step("supervise")
        self._wait(1 * HOUR, 2 * DAY)
        self.svc.supervision_answer(actor=self._actor(lead.unit_id), case=self.case, order_id=order.pk,
                             answer=self.rng.choice(process.SUPERVISION_ANSWERS))

    def refer_out(self) -> None:
        target = {"labour": ReferralTarget.ARBITRATION, "injury": ReferralTarget.ARBITRATION,
                  "demolition": ReferralTarget.ADMIN_REVIEW, "other": ReferralTarget.PETITION}.get(
            self.p.category, ReferralTarget.LITIGATION)
        self._wait(1 * HOUR, 3 * DAY)
        self.case = self.svc.case_refer_out(actor=self._at(Role.DISPATCHER), case=self.case, target=target,
                                     reason=self.rng.choice(process.REFERRAL_REASONS[target]))
        self._step("refer_out")

    def not_accept(self) -> None:
        self._wait(10, 90, office=False)
        reason, where = self._pick(process.NOT_ACCEPT).split("||")
        self.case = self.svc.case_not_accept(actor=self._at(Role.CLERK), case=self.case, reason=reason,
                                      where_to_go=where.format(county=self.r.slots.place["county"]))
        self._step("not_accept")

    def withdraw(self) -> None:
        self._wait(2 * HOUR, 4 * DAY)
        self.case = self.svc.case_withdraw(actor=self._at(Role.CLERK), case=self.case,
                                    reason=self._pick(process.WITHDRAW_REASONS))
        self._step("withdraw")

    def reopen(self) -> None:
        self._wait(5 * DAY, 40 * DAY)
        self.case = self.svc.case_reopen(actor=self._at(Role.DISPATCHER), case=self.case,
                                  reason=self.rng.choice(process.REOPEN_REASONS))
        self._step("reopen")

    # -- the fates -----------------------------------------------------------------------------

    def flow_standard(self) -> None:
        self.register()
        self.triage()
        self.dispatch()
        self.accept()
        self.work()
        self.resolve()
        self.close()

    def flow_on_spot(self) -> None:
        self.register(with_category=True)
        self.resolve_on_spot()
        if self.rng.random() < 0.7:
            self.follow_up(self.rng.choice((Satisfaction.SATISFIED, Satisfaction.SATISFIED, Satisfaction.BASICALLY)))
            if self.rng.random() < 0.8:
                self.archive()

    def flow_return(self) -> None:
        self.register()
        self.triage()
        self.dispatch(wrong=True)
        self.return_lead()
        self._wait(20, 4 * HOUR)
        self.dispatch()
        self.accept()
        self.work()
        self.resolve()
        self.close()

    def flow_escalate(self) -> None:
        self.register()
        self.triage()
        self.dispatch()
        self.accept()
        self.work(self.rng.randint(2, 3), failing=True)
        self.escalate()
        self.dispatch()
        self.accept()
        self.work()
        self.resolve(weighted(self.rng, {Outcome.AGREEMENT: 60, Outcome.RESOLVED: 25, Outcome.NOT_RESOLVED: 15}))
        self.close()

    def flow_joint(self) -> None:
        self.register()
        self.triage()
        self.joint()
        self.accept()
        self.work(self.rng.randint(2, 4))
        self.resolve(Outcome.AGREEMENT if self.rng.random() < 0.8 else Outcome.RESOLVED)
        self.close()

    def flow_extension(self) -> None:
        self.register()
        self.triage()
        self.dispatch()
        self.accept()
        self.work(1)
        self.extension(approve=self.rng.random() < 0.75)
        self.work(self.rng.randint(1, 2))
        self.resolve()
        self.close()

    def flow_supervised(self) -> None:
        self.register()
        self.triage()
        self.dispatch()
        self.supervise()
        self.accept()
        self.work()
        self.resolve()
        self.close()

    def flow_reopen(self) -> None:
        self.register()
        self.triage()
        self.dispatch()
        self.accept()
        self.work()
        self.resolve(self.rng.choice((Outcome.AGREEMENT, Outcome.RESOLVED)))
        if self.rng.random() < 0.6:
            self.follow_up(Satisfaction.UNSATISFIED)  # reopens by itself
        else:
            self.follow_up(Satisfaction.SATISFIED)
            self.archive()
            self.reopen()  # it came back
        self.again()

    def flow_refer_out(self) -> None:
        self.register()
        self.triage()
        if self.rng.random() < 0.6:
            self.dispatch()
            self.accept()
            self.work(self.rng.randint(1, 2), failing=True)
        self.refer_out()
        if self.rng.random() < 0.7:
            self.archive()

    def flow_not_accepted(self) -> None:
        self.register(with_category=True)
        self.not_accept()
        if self.rng.random() < 0.6:
            self.archive()

    def flow_withdrawn(self) -> None:
        self.register()
        self.triage()
        if self.rng.random() < 0.5:
            self.dispatch()
            self.accept()
        self.withdraw()
        if self.rng.random() < 0.5:
            self.archive()

    def play(self) -> Case:
        try:
            getattr(self, f"flow_{self.p.fate}")()
        except _Stop:
            pass
        return self.case


def play_matters(world: World, plans: list[Plan], *, real_now: dt.datetime, on_progress=None) -> Counter:
    """Play every plan in order of receipt; returns how many matters ended in each status."""
    clock = DemoClock(real_now)
    limit = real_now - dt.timedelta(minutes=2)
    descriptions: set[str] = set()
    statuses: Counter = Counter()
    with patched_now(clock), memoized_policy_lookup():
        for done, plan in enumerate(plans, start=1):
            case = _Matter(world, plan, clock, limit, descriptions).play()
            statuses[case.status] += 1
            if on_progress is not None:
                on_progress(done, len(plans))
    return statuses


__all__ = ["play_matters"]
