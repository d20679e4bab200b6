"""智能研判 wired into the matter's loop: suggestions at intake, repeats, the dispatcher's decision.

The engine (yimen.triage) proposes; registrars and dispatchers decide. This module is where the
cases app meets it:

* `case_triage_on_intake` — at registration, the proposal (without legal basis), the text
  fingerprint and the link to an earlier matter of the same party or with the same text;
* `DbHistory` — the engine's `History` over our tables, two indexed queries per registration;
* `suggestion_fill` / `triage_decision_record` — used by `transitions.case_triage`: grades the
  dispatcher leaves blank may come from the proposal, and every decision is recorded beside it;
* `triage_summary`, `case_suggestion`, `suggestion_accuracy_for_user` — reads for the doors, with
  numbers of matters outside the user's scope masked.

The engine names urgency and domain classes in its own words (`wishes`, `social_livelihood` …);
the maps below are the one place they are translated to the cases app's choices and back.
"""

import hashlib
import logging
import zlib
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any, NamedTuple

import numpy as np
from django.conf import settings
from django.db import DatabaseError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from rapidfuzz import fuzz, process

from yimen.accounts.scopes import can_see_case, sees_everything
from yimen.common.errors import InvalidInput
from yimen.triage.engine import suggest
from yimen.triage.repeats import PriorMatter, fingerprint_text, simhash

from .models import RESOLVED_OUTCOMES, Case, Category, DomainClass, Party, Risk, Urgency

logger = logging.getLogger(__name__)

HIDDEN_MATTER = "其他辖区事项"

# Engine word → ours. Codes that are spelt the same in both are not listed.
URGENCY_FROM_ENGINE = {"wishes": Urgency.WISH}
DOMAIN_FROM_ENGINE = {
    "social_livelihood": DomainClass.LIVELIHOOD,
    "peace": DomainClass.SAFETY,
    "work_safety": DomainClass.PRODUCTION_SAFETY,
}
_URGENCY_TO_ENGINE = {v: k for k, v in URGENCY_FROM_ENGINE.items()}
_DOMAIN_TO_ENGINE = {v: k for k, v in DOMAIN_FROM_ENGINE.items()}

# Duplicate candidates: MinHash LSH over character bigrams, 4 bands of 3 rows, one indexed column per
# band. Measured on the evaluation set (517 texts, median 31 characters), a text with one word
# changed shares a band with the original 95% of the time (two words 80%, a "转发：" prefix 100%);
# two unrelated texts of the same category 0.03%. The engine's SimHash 4×16-bit banding found 33%
# of one-word edits: one changed word flips about 7 of 64 bits, which lands in every band.
_BAND_FIELDS = ("mh_band0", "mh_band1", "mh_band2", "mh_band3")
_MH_ROWS = 3
# A prolific petitioner's history is bounded: the newest matters are the ones that matter.
_PARTY_ROWS_LIMIT = 200
_RESOLVED_POOL = 200


def case_urgency(engine_code: str) -> str:
    return URGENCY_FROM_ENGINE.get(engine_code, engine_code)


def case_domain(engine_code: str) -> str:
    return DOMAIN_FROM_ENGINE.get(engine_code, engine_code)


def engine_urgency(code: str) -> str:
    return _URGENCY_TO_ENGINE.get(code, code)


def engine_domain(code: str) -> str:
    return _DOMAIN_TO_ENGINE.get(code, code)


def to_signed64(h: int) -> int:
    """An unsigned 64-bit fingerprint as the signed value a BIGINT column holds."""
    return h - (1 << 64) if h >= (1 << 63) else h


def from_signed64(v: int) -> int:
    return v + (1 << 64) if v < 0 else v


def _minhash_coefficients() -> tuple[np.ndarray, np.ndarray]:
    # Derived from fixed strings, never from a random generator: stored bands must stay comparable
    # across processes, machines and library versions.
    pairs = []
    for i in range(len(_BAND_FIELDS) * _MH_ROWS):
        digest = hashlib.blake2b(f"yimen-minhash-{i}".encode(), digest_size=16).digest()
        pairs.append((int.from_bytes(digest[:8], "little") | 1, int.from_bytes(digest[8:], "little")))
    return np.array([a for a, _ in pairs], dtype=np.uint64), np.array([b for _, b in pairs], dtype=np.uint64)


_MH_A, _MH_B = _minhash_coefficients()


def minhash_bands(text: str) -> list[int]:
    """Four 31-bit band values of `text` (as the engine compares it: normalised, without punctuation).

    Each band hashes 3 MinHash values over the text's character bigrams; the bigrams are hashed
    with CRC-32 and permuted by multiply-add-shift (a·x + b mod 2⁶⁴, top 32 bits).
    """
    s = fingerprint_text(text)
    if len(s) < 2:
        s += "\0"
    shingles = {s[i : i + 2] for i in range(len(s) - 1)}
    x = np.fromiter((zlib.crc32(sh.encode("utf-8")) for sh in shingles), dtype=np.uint64, count=len(shingles))
    permuted = (x[:, None] * _MH_A + _MH_B) >> np.uint64(32)  # uint64 arithmetic wraps: mod 2⁶⁴
    mins = permuted.min(axis=0).astype("<u8").reshape(len(_BAND_FIELDS), _MH_ROWS)
    return [zlib.crc32(row.tobytes()) & 0x7FFFFFFF for row in mins]


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
        """`minhash_bands(text)`, computed once however often it is asked for."""
        if text not in self._bands:
            self._bands[text] = minhash_bands(text)
        return self._bands[text]

    def _window(self, qs, prefix: str, since: datetime):
        qs = qs.filter(**{f"{prefix}received_at__gte": since})
        if self.until is not None:
            qs = qs.filter(**{f"{prefix}received_at__lte": self.until})
        if self.exclude_pk is not None:
            qs = qs.exclude(**{f"{prefix}pk": self.exclude_pk})
        return qs

    def by_party(self, keys, *, since: datetime) -> list[PriorMatter]:
        ids = [k.split(":", 1)[1] for k in keys if k.startswith("id:")]
        phones = [k.split(":", 1)[1] for k in keys if k.startswith("phone:")]
        # The `<> ''` terms match the partial indexes party_id_number / party_phone.
        q = Q(pk__in=[])
        if ids:
            q |= Q(id_number__in=ids) & ~Q(id_number="")
        if phones:
            q |= Q(phone__in=phones) & ~Q(phone="")
        rows = (
            self._window(Party.objects.filter(q), "case__", since)
            .order_by("-case__received_at")
            .values("case_id", "case__number", "case__received_at", "case__category__code", "case__region_code",
                    "case__linked_to_id", "id_number", "phone")[:_PARTY_ROWS_LIMIT]
        )
        found: dict[str, dict] = {}
        for row in rows:
            ref = row["case__number"]
            self.seen[ref] = _Seen(row["case_id"], row["case__linked_to_id"], row["case__region_code"])
            entry = found.setdefault(ref, {"row": row, "keys": []})
            entry["keys"] += [f"id:{row['id_number']}"] if row["id_number"] else []
            entry["keys"] += [f"phone:{row['phone']}"] if row["phone"] else []
        return [
            PriorMatter(ref=ref, text="", received_at=e["row"]["case__received_at"], party_keys=tuple(e["keys"]),
                        category=e["row"]["case__category__code"] or "")
            for ref, e in found.items()
        ]

    def candidates(self, text: str, *, since: datetime, limit: int = 50) -> list[PriorMatter]:
        q = Q()
        for name, value in zip(_BAND_FIELDS, self.bands(text)):
            q |= Q(**{name: value})
        rows = (
            self._window(Case.objects.filter(q), "", since)
            .order_by("-received_at")
            .values("pk", "number", "title", "description", "request", "received_at", "category__code",
                    "region_code", "linked_to_id")[:limit]
        )
        out = []
        for row in rows:
            self.seen[row["number"]] = _Seen(row["pk"], row["linked_to_id"], row["region_code"])
            out.append(PriorMatter(ref=row["number"], text=triage_text(SimpleNamespace(**row)),
                                   received_at=row["received_at"], category=row["category__code"] or ""))
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

    Called by `intake.case_register` inside its transaction, after the number is allotted and before
    the row is written, so the fields go in with the INSERT (no UPDATE) and neither the matter nor
    its parties can match themselves. Costs at most two indexed SELECTs (same party, same text).

    1. Suggest from title + description + request at the owning centre's level, without legal
       retrieval (its index takes seconds to load; the suggestions endpoint does that).
    2. Store the proposal, the engine's SimHash and the MinHash bands later matters are looked up by.
    3. Link the matter to the chain of the earliest earlier matter found (repeat or duplicate).
    The registrar's category, urgency and risk are left alone: a suggestion is not a decision.
    """
    if not getattr(settings, "YIMEN_TRIAGE_ON_INTAKE", True):
        return {}
    history = DbHistory(until=case.received_at, exclude_pk=case.pk)
    try:
        s = suggest(
            triage_text(case), level=case.owning_centre.region.level, party_ids=_party_ids(parties), history=history,
            with_legal=False, now=case.received_at, exclude_ref=case.number,
        )
    except DatabaseError:
        raise
    except Exception:  # noqa: BLE001 - a broken rule or model must never stop a resident's matter being registered
        logger.exception("triage failed at intake of %s; registered without suggestions", case.number)
        return {}
    stored = s.as_dict()
    del stored["legal_basis"], stored["normalized_text"]
    stored["suggested_at"] = timezone.now().isoformat()
    for link in stored["repeats"]:
        link["region_code"] = history.seen[link["ref"]].region_code
    case.triage = stored
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


def suggestion_fill(case: Case, *, category, urgency: str, risk: str, domain_class: str, risk_reason: str) -> Grades:
    """The grades the dispatcher left blank, taken from the proposal stored at intake.

    The domain follows the suggested category only: when the dispatcher chose another category,
    the category's own domain applies (as without a suggestion).
    """
    t = case.triage or {}
    if not t.get("category"):
        raise InvalidInput(_("该事项没有系统研判建议，请直接填写研判结果。"), field="accept_suggestion")
    suggested_category = category is None
    if category is None:
        category = Category.objects.filter(code=t["category"], active=True).first()
    if not risk:
        risk = t["risk"]["code"]
        if not risk_reason.strip():
            risk_reason = _("采纳系统研判建议：%(reason)s") % {"reason": t["risk"].get("reason") or t["risk"]["label"]}
    if suggested_category and category is not None and not domain_class:
        domain_class = case_domain(t["domain_class"]["code"])
    return Grades(category, urgency or case_urgency(t["urgency"]["code"]), risk, domain_class, risk_reason)


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
        final_urgency=engine_urgency(case.urgency),
        final_domain=engine_domain(case.domain_class),
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
        text = text.replace(ref, HIDDEN_MATTER)
    return text


def _grade(g: dict, choices, to_ours) -> dict:
    code = to_ours(g.get("code", ""))
    try:
        label = str(choices(code).label)
    except ValueError:
        label = g.get("label", code)
    return {"code": code, "label": label, "reason": g.get("reason", ""), "decided_by": list(g.get("decided_by", []))}


def _present(d: dict, visible: set[str]) -> dict:
    """A proposal (stored or fresh) in the cases app's vocabulary, other places' numbers masked."""
    hidden = {r["ref"] for r in d.get("repeats", [])} - visible
    return {
        "category": d["category"],
        "category_label": d.get("category_label", ""),
        "category_top3": d.get("category_top3", []),
        "risk": _grade(d["risk"], Risk, str),
        "urgency": _grade(d["urgency"], Urgency, case_urgency),
        "domain_class": _grade(d["domain_class"], DomainClass, case_domain),
        "signals": [
            {"name": s["name"], "label": s["label"], "value": s.get("value"), "weight": s.get("weight", 0),
             "explanation": _mask(s.get("explanation", ""), hidden)}
            for s in d.get("signals", [])
        ],
        "units": d.get("units", []),
        "repeats": [
            {"number": r["ref"] if r["ref"] in visible else None,
             "label": r["ref"] if r["ref"] in visible else HIDDEN_MATTER,
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
