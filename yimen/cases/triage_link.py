"""智能研判 wired into the matter's loop: suggestions at intake, repeats, the dispatcher's decision.

The engine (yimen.triage) proposes; registrars and dispatchers decide. This module is where the
cases app meets it:

* `case_triage_on_intake` — at registration, the proposal (without legal basis), the text
  fingerprint and the link to an earlier matter of the same party or with the same text;
* `DbHistory` — the engine's `History` over our tables, two indexed queries per registration;
* `suggestion_fill` / `triage_decision_record` — used by `transitions.case_triage`: grades the
  dispatcher leaves blank may come from the proposal, and every decision is recorded beside it;
  `suggested_category` — the proposed category, also what a matter resolved on the spot without
  one is given (`transitions.case_resolve_on_spot`);
* `triage_summary`, `case_suggestion`, `suggestion_accuracy_for_user` — reads for the doors, with
  numbers of matters outside the user's scope masked.

The engine's grades are named in the cases app's codes (`yimen/cases/codes.py`, one list for both);
its near-duplicate fingerprint is `triage.neardup.minhash_bands`, stored here in one column per band.
"""

import logging
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import NamedTuple

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rapidfuzz import fuzz, process

from yimen.accounts.scopes import can_see_case, sees_everything
from yimen.common.errors import InvalidInput
from yimen.common.words import in_default_language
from yimen.triage import neardup
from yimen.triage.engine import suggest
from yimen.triage.repeats import PriorMatter, fingerprint_text, simhash

from .models import RESOLVED_OUTCOMES, Case, Category, DomainClass, Party, Risk, Urgency
from .selectors import category_active_by_code

logger = logging.getLogger(__name__)

HIDDEN_MATTER = gettext_lazy("其他辖区事项")

# Duplicate candidates: the MinHash LSH bands of `triage.neardup`, one indexed column per band.
_BAND_FIELDS = ("mh_band0", "mh_band1", "mh_band2", "mh_band3")
assert len(_BAND_FIELDS) == neardup.BANDS
# A prolific petitioner's history is bounded: the newest matters are the ones that matter.
_PARTY_ROWS_LIMIT = 200
# Duplicate candidates are confirmed one by one (~20 µs each); the newest 20 are enough, because every
# linked matter points at the first of its chain, so finding any member of the chain finds the first.
_CANDIDATES_LIMIT = 20
_RESOLVED_POOL = 200


def to_signed64(h: int) -> int:
    """An unsigned 64-bit fingerprint as the signed value a BIGINT column holds."""
    return h - (1 << 64) if h >= (1 << 63) else h


def from_signed64(v: int) -> int:
    return v + (1 << 64) if v < 0 else v


def triage_text(case) -> str:
    """What the engine reads: title, description and request (a title cut from the description is dropped)."""
    title = (case.title or "").strip()
    description = (case.description or "").strip()
    parts = [description, (case.request or "").strip()]
    if title and not description.startswith(title):
        parts.insert(0, title)
    return "\n".join(p for p in parts if p)


def _party_ids(parties) -> list[str]:
    return [v for p in parties for v in (p.id_number, p.phone) if v]


# ---------------------------------------------------------------------------------------------
# History over the database


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _aware(value) -> datetime:
    """A DateTimeField read by raw SQL: SQLite gives a naive (UTC) value or text, PostgreSQL an aware one."""
    if isinstance(value, str):
        value = parse_datetime(value)
    return timezone.make_aware(value, connection.timezone) if timezone.is_naive(value) else value


@dataclass(frozen=True)
class _Seen:
    pk: int
    linked_to_id: int | None
    region_code: str


class DbHistory:
    """The engine's `History` over Case and Party, one query per question.

    `until` bounds the window at the matter's own reception (a back-filled matter is compared with
    what came before it); `exclude_pk` leaves the matter itself out. `resolved_scope`, a scoped
    Case queryset, enables `similar_resolved` for the handling guide. What was read is remembered
    in `seen` (ref → pk, chain root, place) for linking and masking.
    """

    def __init__(self, *, until: datetime | None = None, exclude_pk: int | None = None, resolved_scope=None):
        self.until = until
        self.exclude_pk = exclude_pk
        self.resolved_scope = resolved_scope
        self.seen: dict[str, _Seen] = {}
        self._bands: dict[str, list[int]] = {}

    def bands(self, text: str) -> list[int]:
        """`neardup.minhash_bands(text)`, computed once however often it is asked for."""
        if text not in self._bands:
            self._bands[text] = neardup.minhash_bands(text)
        return self._bands[text]

    # The two look-ups run on every registration. They are written in SQL (as the sweep's are) because
    # building them through the ORM cost ~0.5–1 ms each on the bench machine, ten times the query
    # itself: most of the suggestion step's budget. Table names come from the models.

    def _run(self, sql: str, where: list[str], params: list, since: datetime, limit: int) -> list[tuple]:
        ops = connection.ops
        where.append("c.received_at >= %s")
        params.append(ops.adapt_datetimefield_value(since))
        if self.until is not None:
            where.append("c.received_at <= %s")
            params.append(ops.adapt_datetimefield_value(self.until))
        if self.exclude_pk is not None:
            where.append("c.id <> %s")
            params.append(self.exclude_pk)
        sql = sql.format(case=_table(Case), party=_table(Party), category=_table(Category), where=" AND ".join(where))
        with connection.cursor() as cursor:
            cursor.execute(sql + " ORDER BY c.received_at DESC LIMIT %s", [*params, limit])
            return cursor.fetchall()

    def by_party(self, keys, *, since: datetime) -> list[PriorMatter]:
        """One query: parties with these ID numbers or phones, joined to their matters in the window."""
        ids = [k.split(":", 1)[1] for k in keys if k.startswith("id:")]
        phones = [k.split(":", 1)[1] for k in keys if k.startswith("phone:")]
        who, params = [], []
        # The `<> ''` terms let SQLite use the partial indexes party_id_number / party_phone.
        for column, values in (("id_number", ids), ("phone", phones)):
            if values:
                who.append(f"(p.{column} IN ({', '.join(['%s'] * len(values))}) AND p.{column} <> '')")
                params += values
        if not who:
            return []
        rows = self._run(
            "SELECT c.id, c.number, c.received_at, k.code, c.region_code, c.linked_to_id, p.id_number, p.phone "
            "FROM {party} p JOIN {case} c ON c.id = p.case_id LEFT JOIN {category} k ON k.id = c.category_id "
            "WHERE {where}",
            [f"({' OR '.join(who)})"], params, since, _PARTY_ROWS_LIMIT,
        )
        found: dict[str, PriorMatter] = {}
        for pk, number, received_at, category, region_code, linked_to_id, id_number, phone in rows:
            self.seen[number] = _Seen(pk, linked_to_id, region_code)
            keys_here = ((f"id:{id_number}",) if id_number else ()) + ((f"phone:{phone}",) if phone else ())
            prior = found.get(number)
            found[number] = PriorMatter(
                ref=number, text="", received_at=_aware(received_at), category=category or "",
                party_keys=(prior.party_keys if prior else ()) + keys_here,
            )
        return list(found.values())

    def candidates(self, text: str, *, since: datetime, limit: int = _CANDIDATES_LIMIT) -> list[PriorMatter]:
        """One query: matters in the window sharing any MinHash band with `text` (one index per band)."""
        bands = self.bands(text)
        rows = self._run(
            "SELECT c.id, c.number, c.title, c.description, c.request, c.received_at, k.code, c.region_code, "
            "c.linked_to_id FROM {case} c LEFT JOIN {category} k ON k.id = c.category_id WHERE {where}",
            [f"({' OR '.join(f'c.{name} = %s' for name in _BAND_FIELDS)})"], list(bands), since, limit,
        )
        out = []
        for pk, number, title, description, request, received_at, category, region_code, linked_to_id in rows:
            self.seen[number] = _Seen(pk, linked_to_id, region_code)
            text_ = triage_text(SimpleNamespace(title=title, description=description, request=request))
            out.append(PriorMatter(ref=number, text=text_, received_at=_aware(received_at), category=category or ""))
        return out

    def similar_resolved(self, text: str, *, category: str, limit: int = 3) -> list[PriorMatter]:
        """Resolved matters of the category in the user's scope most like `text` (the guide's examples)."""
        if self.resolved_scope is None:
            return []
        qs = self.resolved_scope.filter(outcome__in=RESOLVED_OUTCOMES)
        if category:
            qs = qs.filter(category__code=category)
        if self.exclude_pk is not None:
            qs = qs.exclude(pk=self.exclude_pk)
        pool = [
            PriorMatter(ref=r["number"], text=triage_text(SimpleNamespace(**r)), received_at=r["received_at"],
                        category=category, resolved=True, outcome=r["result"])
            for r in qs.order_by("-received_at").values("number", "title", "description", "request", "received_at",
                                                          "result")[:_RESOLVED_POOL]
        ]
        if not pool:
            return []
        hits = process.extract(fingerprint_text(text), [fingerprint_text(m.text) for m in pool], scorer=fuzz.ratio, limit=limit)
        return [pool[pos] for _, score, pos in hits if score > 0]


# ---------------------------------------------------------------------------------------------
# Intake


def case_triage_on_intake(*, case: Case, parties) -> dict:
    """Fill the triage fields of a matter about to be inserted; returns what the `registered` event notes.

    Called by `intake.case_register` just before its transaction, before the row (and its number) exist,
    so the fields go in with the INSERT (no UPDATE), neither the matter nor its parties can match
    themselves, and the number counter's lock is not held meanwhile. Costs at most two indexed
    SELECTs (same party, same text).

    1. Suggest from title + description + request at the owning centre's level, without legal
       retrieval (its index takes seconds to load; the suggestions endpoint does that).
    2. Store the proposal, the engine's SimHash and the MinHash bands later matters are looked up by.
    3. Link the matter to the chain of the earliest earlier matter found (repeat or duplicate).
    The registrar's category, urgency and risk are left alone: a suggestion is not a decision (its
    risk colour and urgency are copied to suggested_risk / suggested_urgency, shown as provisional).
    """
    if not getattr(settings, "YIMEN_TRIAGE_ON_INTAKE", True):
        return {}
    history = DbHistory(until=case.received_at, exclude_pk=case.pk)
    try:
        s = suggest(
            triage_text(case), level=case.owning_centre.region.level, party_ids=_party_ids(parties), history=history,
            with_legal=False, now=case.received_at, exclude_ref=case.number or None,
        )
    except DatabaseError:
        raise
    except Exception:  # a broken rule or model must never stop a resident's matter being registered
        logger.exception("triage failed at intake; the matter is registered without suggestions")
        return {}
    stored = s.as_dict()
    del stored["legal_basis"], stored["normalized_text"]
    stored["suggested_at"] = timezone.now().isoformat()
    for link in stored["repeats"]:
        link["region_code"] = history.seen[link["ref"]].region_code
    case.triage = stored
    case.suggested_risk = s.risk.value
    case.suggested_urgency = stored["urgency"]["code"]
    case.text_simhash = to_signed64(simhash(s.normalized))
    for name, value in zip(_BAND_FIELDS, history.bands(s.normalized)):
        setattr(case, name, value)
    if s.repeats:
        first = min(s.repeats, key=lambda link: link.received_at)
        seen = history.seen[first.ref]
        case.linked_to_id, case.link_kind = seen.linked_to_id or seen.pk, first.kind
    # Numbers stay out of the event: the timeline is shown to everyone who sees this matter.
    return {"suggested_category": s.category, "suggested_risk": s.risk.value, "repeats": len(s.repeats)}


# ---------------------------------------------------------------------------------------------
# The dispatcher decides (called by transitions.case_triage)


class Grades(NamedTuple):
    category: Category | None
    urgency: str
    risk: str
    domain_class: str
    risk_reason: str
    request_type: str = ""


def suggestion_fill(
    case: Case, *, category, urgency: str, risk: str, domain_class: str, risk_reason: str, request_type: str = ""
) -> Grades:
    """The grades the dispatcher left blank, taken from the proposal stored at intake.

    The domain follows the suggested category only: when the dispatcher chose another category,
    the category's own domain applies (as without a suggestion). A request type is taken from the
    proposal only while that type is still active; the matter's own stated type is never replaced.
    """
    t = case.triage or {}
    if not t.get("category"):
        raise InvalidInput(_("该事项没有系统研判建议，请直接填写研判结果。"), field="accept_suggestion")
    if category is None:
        category, suggested_domain = suggested_category(case)
        domain_class = domain_class or suggested_domain
    if not risk:
        risk = t["risk"]["code"]
        if not risk_reason.strip():
            with in_default_language():  # stored with the decision
                risk_reason = _("采纳系统研判建议：%(reason)s") % {"reason": t["risk"].get("reason") or t["risk"]["label"]}
    if not request_type and not case.request_type:
        proposed = (t.get("request_type") or {}).get("code", "")
        request_type = proposed if proposed in request_type_labels() else ""
    return Grades(category, urgency or t["urgency"]["code"], risk, domain_class, risk_reason, request_type)


# ---------------------------------------------------------------------------------------------
# Request types (诉求类型): the triage app's data; a matter carries the code


def request_type_labels() -> dict[str, str]:
    """The active request types, code → label, in their configured order (the engine's cached config)."""
    from yimen.triage.config import get_config

    return {t.code: t.label for t in get_config().request_types}


def request_type_checked(code: str, *, field: str = "request_type") -> str:
    """`code` stripped, or InvalidInput when it names no active request type; blank stays blank."""
    code = (code or "").strip()
    if code and code not in request_type_labels():
        raise InvalidInput(_("诉求类型无效：%(v)s") % {"v": code}, field=field)
    return code


def suggested_category(case: Case) -> tuple[Category | None, str]:
    """The category the engine proposed at intake, if it is in the tree and active, with the domain it
    proposed beside it; (None, "") when there is no such proposal."""
    t = case.triage or {}
    category = category_active_by_code(t["category"]) if t.get("category") else None
    if category is None:
        return None, ""
    return category, (t.get("domain_class") or {}).get("code", "")


def triage_decision_record(*, case: Case, actor, note: str = ""):
    """Record the dispatcher's grades beside the proposal (learning loop); None when there is nothing to compare.

    A matter triaged without a category is not recorded: there is no category decision to count.
    """
    from yimen.triage.learning import record_decision

    if not case.triage or case.category_id is None:
        return None
    return record_decision(
        case_ref=case.number,
        suggestion={**case.triage, "original": triage_text(case)},
        final_category=case.category.code,
        final_risk=case.risk,
        final_urgency=case.urgency,
        final_domain=case.domain_class,
        final_request_type=case.request_type,
        decided_by=getattr(actor, "pk", "") or "",
        note=note.strip()[:300],
    )


# ---------------------------------------------------------------------------------------------
# Reads for the doors


def _may_see_place(user, region_code: str) -> bool:
    """Scope by place alone (no query): centre and place roles. Unit roles see a matter only through
    its assignments, which the detail does not load for linked matters; theirs stay masked there."""
    return can_see_case(user, SimpleNamespace(region_code=region_code), set())


def _mask(text: str, hidden: set[str]) -> str:
    for ref in hidden:
        text = text.replace(ref, str(HIDDEN_MATTER))
    return text


def _grade(g: dict, choices) -> dict:
    code = g.get("code", "")
    try:
        label = str(choices(code).label)
    except ValueError:
        label = g.get("label", code)
    return {"code": code, "label": label, "reason": g.get("reason", ""), "decided_by": list(g.get("decided_by", []))}


def _request_type(r: dict | None) -> dict | None:
    """The proposed request type, labelled as the type is named now (an admin may have renamed it)."""
    if not r:
        return None
    return {
        "code": r["code"], "label": request_type_labels().get(r["code"], r.get("label", r["code"])),
        "reason": r.get("reason", ""), "cues": list(r.get("cues", [])), "tied": list(r.get("tied", [])),
    }


def _present(d: dict, visible: set[str]) -> dict:
    """A proposal (stored or fresh) labelled in the user's language, other places' numbers masked."""
    hidden = {r["ref"] for r in d.get("repeats", [])} - visible
    return {
        "category": d["category"],
        "category_label": d.get("category_label", ""),
        "category_top3": d.get("category_top3", []),
        "category_tied": d.get("category_tied", []),
        "request_type": _request_type(d.get("request_type")),
        "risk": _grade(d["risk"], Risk),
        "urgency": _grade(d["urgency"], Urgency),
        "domain_class": _grade(d["domain_class"], DomainClass),
        "signals": [
            {"name": s["name"], "label": s["label"], "value": s.get("value"), "weight": s.get("weight", 0),
             "explanation": _mask(s.get("explanation", ""), hidden)}
            for s in d.get("signals", [])
        ],
        "units": d.get("units", []),
        "repeats": [
            {"number": r["ref"] if r["ref"] in visible else None,
             "label": r["ref"] if r["ref"] in visible else str(HIDDEN_MATTER),
             "kind": r["kind"], "kind_label": r.get("kind_label", ""), "score": r.get("score", 0),
             "reason": _mask(r.get("reason", ""), hidden), "received_at": r["received_at"]}
            for r in d.get("repeats", [])
        ],
        "suggested_at": d.get("suggested_at"),
    }


def triage_summary(case: Case, *, user) -> dict | None:
    """The proposal stored at intake, for the matter's detail; None if there is none. No query."""
    t = case.triage
    if not t or not t.get("category"):
        return None
    visible = {r["ref"] for r in t.get("repeats", []) if _may_see_place(user, r.get("region_code", ""))}
    return _present(t, visible)


def case_suggestion(*, case: Case, user) -> dict:
    """The full proposal computed now: with legal basis and the handling guide (what GET …/suggestions shows).

    The first call in a process loads the statute index (seconds; `yimen triage build-index` caches
    it on disk beforehand). Repeats are searched across all places, as at intake; numbers the user
    may not see are masked. Similar resolved cases come from the user's scope only.
    """
    from yimen.triage.config import get_config
    from yimen.triage.guidance import build_guide

    from .selectors import case_visible_qs

    history = DbHistory(until=case.received_at, exclude_pk=case.pk, resolved_scope=case_visible_qs(user))
    s = suggest(
        triage_text(case), level=case.owning_centre.region.level, party_ids=_party_ids(case.parties.all()),
        history=history, with_legal=True, now=case.received_at, exclude_ref=case.number,
    )
    guide = build_guide(s, config=get_config(), history=history).as_dict()
    refs = [r.ref for r in s.repeats]
    visible = set(case_visible_qs(user).filter(number__in=refs).values_list("number", flat=True)) if refs else set()
    d = s.as_dict()
    d["suggested_at"] = timezone.now().isoformat()
    data = _present(d, visible)
    data.update(
        category_reason=d["category_reason"],
        legal_basis=d["legal_basis"],
        guidance=guide,
        model_version=d["model_version"],
        rules_version=d["rules_version"],
    )
    return data


def suggestion_accuracy_for_user(*, user, since: datetime | None = None, until: datetime | None = None) -> dict:
    """`triage.learning`'s accuracy over the decisions on matters the user may see, decided in [since, until).

    Scoped with a subquery on Case.number (never a list of numbers in Python). The lead unit is
    named at dispatch, after triage, so its agreement is not measured yet and is left out.
    """
    from yimen.triage.learning import accuracy_from_records
    from yimen.triage.models import SuggestionRecord

    from .selectors import case_visible_qs

    fields = [f.name for f in SuggestionRecord._meta.fields if f.name.startswith(("suggested_", "final_"))]
    qs = SuggestionRecord.objects.all()
    if since is not None:
        qs = qs.filter(decided_at__gte=since)
    if until is not None:
        qs = qs.filter(decided_at__lt=until)
    if not sees_everything(user):
        qs = qs.filter(case_ref__in=case_visible_qs(user).values("number"))
    report = accuracy_from_records(qs.values(*fields, "all_accepted")).as_dict()
    report["lead_unit_accuracy"] = None
    report["definition"] += _("牵头单位在派单时确定，暂不计入；“全部采纳”指类别、风险等级、五事分类和领域均与建议一致。")
    report.update(since=since, until=until)
    return report


def matter_categories_for_engine_categories(sender, *, categories, **kwargs) -> None:
    """The engine created categories (a ledger's own labels, `training.model_labels_create_categories`):
    give the matters' tree the same codes, so that a matter can take what the model proposes.

    Connected in `CasesConfig.ready`; runs inside the engine's transaction. An existing category of
    that code is left as an administrator made it (reactivated if it was switched off, since the
    administrator has just asked for it again).
    """
    for code, label, domain in categories:
        category, made = Category.objects.get_or_create(
            code=code, defaults={"name": label[:40], "domain_class": domain or DomainClass.LIVELIHOOD, "ordering": 900}
        )
        if not made and not category.active:
            category.active = True
            category.save(update_fields=["active"])
