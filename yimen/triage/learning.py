"""The learning loop: record what the dispatcher decided against what the engine proposed.

Every decision is kept, accepted or overridden, with the full proposal and the rules/model
versions that produced it. `suggestion_accuracy()` is the figure the dashboard shows; the decided
rows are also training data for the next model (`training_pairs()`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from yimen.triage.models import SuggestionRecord


def _get(suggestion: Any, key: str) -> Any:
    return suggestion.get(key) if isinstance(suggestion, dict) else getattr(suggestion, key, None)


def _code(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return str(value.get("code", ""))
    return str(getattr(value, "value", value))


def record_decision(
    *,
    case_ref: str | int,
    suggestion: Any,
    final_category: str,
    final_risk: str = "",
    final_urgency: str = "",
    final_domain: str = "",
    final_lead_unit: str = "",
    final_request_type: str = "",
    decided_by: str | int = "",
    decided_at: datetime | None = None,
    note: str = "",
) -> SuggestionRecord:
    """Store the proposal (a `Suggestion` or its `as_dict()`) beside the dispatcher's decision.

    A field left blank means the dispatcher kept the suggestion for it (the request type too; a matter
    the engine proposed no request type for keeps the matter's own). Deciding the same matter again
    replaces the earlier record, so accuracy counts each matter once.
    """
    as_dict = suggestion.as_dict() if hasattr(suggestion, "as_dict") else dict(suggestion)
    s_category = as_dict.get("category", "")
    s_risk = _code(as_dict.get("risk"))
    s_urgency = _code(as_dict.get("urgency"))
    s_domain = _code(as_dict.get("domain_class"))
    s_lead = next((u["name"] for u in as_dict.get("units", []) if u.get("role") == "lead"), "")
    s_request_type = _code(as_dict.get("request_type"))
    final = {
        "final_category": final_category or s_category,
        "final_risk": final_risk or s_risk,
        "final_urgency": final_urgency or s_urgency,
        "final_domain": final_domain or s_domain,
        "final_lead_unit": final_lead_unit or s_lead,
        "final_request_type": final_request_type or s_request_type,
    }
    text = _get(suggestion, "original") or as_dict.get("normalized_text", "")
    with transaction.atomic():
        SuggestionRecord.objects.filter(case_ref=str(case_ref)).delete()
        return SuggestionRecord.objects.create(
            case_ref=str(case_ref),
            text=text or "",
            suggested_category=s_category,
            suggested_top3=as_dict.get("category_top3", []),
            suggested_risk=s_risk,
            suggested_urgency=s_urgency,
            suggested_domain=s_domain,
            suggested_lead_unit=s_lead,
            suggested_request_type=s_request_type,
            suggestion=as_dict,
            model_version=as_dict.get("model_version", "") or "",
            rules_version=as_dict.get("rules_version", "") or "",
            category_accepted=final["final_category"] == s_category,
            all_accepted=(
                final["final_category"] == s_category
                and final["final_risk"] == s_risk
                and final["final_urgency"] == s_urgency
                and final["final_domain"] == s_domain
                and final["final_lead_unit"] == s_lead
            ),
            decided_by_ref=str(decided_by or ""),
            decided_at=decided_at or timezone.now(),
            note=note,
            **final,
        )


@dataclass
class AccuracyReport:
    decisions: int
    category_accuracy: float | None
    category_top3_accuracy: float | None
    risk_accuracy: float | None
    urgency_accuracy: float | None
    domain_accuracy: float | None
    lead_unit_accuracy: float | None
    all_accepted_rate: float | None
    request_type_accuracy: float | None = None
    by_category: dict[str, dict[str, float]] = field(default_factory=dict)
    definition: str = (
        "建议准确率 = 调度员最终采纳的类别与系统首选建议一致的事项数 ÷ 已作出研判决定的事项数；"
        "前三命中率以最终类别是否在系统前三建议中计算；"
        "诉求类型一致率只计系统建议了诉求类型、且事项已定诉求类型的决定。"
    )

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def accuracy_from_records(rows: Iterable[dict[str, Any]]) -> AccuracyReport:
    """Pure computation over dicts with suggested_*/final_* keys (see `SuggestionRecord`)."""
    rows = list(rows)
    n = len(rows)

    def rate(hits: int, total: int) -> float | None:
        return round(hits / total, 4) if total else None

    def field_rate(name: str, *, suggested_only: bool = False) -> float | None:
        judged = [r for r in rows if r.get(f"final_{name}") and (r.get(f"suggested_{name}") or not suggested_only)]
        return rate(sum(r[f"suggested_{name}"] == r[f"final_{name}"] for r in judged), len(judged))

    top3_hits = sum(r["final_category"] in [c.get("code") for c in (r.get("suggested_top3") or [])] for r in rows)
    by_cat: dict[str, dict[str, float]] = {}
    for code in sorted({r["final_category"] for r in rows}):
        mine = [r for r in rows if r["final_category"] == code]
        suggested = [r for r in rows if r["suggested_category"] == code]
        hits = sum(r["suggested_category"] == code for r in mine)
        by_cat[code] = {
            "decisions": len(mine),
            "recall": rate(hits, len(mine)),
            "precision": rate(hits, len(suggested)),
        }
    return AccuracyReport(
        decisions=n,
        category_accuracy=field_rate("category"),
        category_top3_accuracy=rate(top3_hits, n),
        risk_accuracy=field_rate("risk"),
        urgency_accuracy=field_rate("urgency"),
        domain_accuracy=field_rate("domain"),
        lead_unit_accuracy=field_rate("lead_unit"),
        all_accepted_rate=rate(sum(bool(r["all_accepted"]) for r in rows), n),
        # Only where the engine proposed one: a matter it found no cue in is not a miss, and a
        # record from before request types (both blank) is not counted at all.
        request_type_accuracy=field_rate("request_type", suggested_only=True),
        by_category=by_cat,
    )


def suggestion_accuracy(
    *, since: datetime | None = None, until: datetime | None = None, case_refs: Iterable[str] | None = None
) -> AccuracyReport:
    """Accuracy of suggestions against final decisions over a period (or a set of matters).

    The dashboard passes `case_refs` from its region-scoped selector, so data scope stays the
    cases app's business.
    """
    qs = SuggestionRecord.objects.all()
    if since is not None:
        qs = qs.filter(decided_at__gte=since)
    if until is not None:
        qs = qs.filter(decided_at__lt=until)
    if case_refs is not None:
        qs = qs.filter(case_ref__in=[str(r) for r in case_refs])
    fields = [
        "suggested_category",
        "suggested_top3",
        "suggested_risk",
        "suggested_urgency",
        "suggested_domain",
        "suggested_lead_unit",
        "final_category",
        "final_risk",
        "final_urgency",
        "final_domain",
        "final_lead_unit",
        "suggested_request_type",
        "final_request_type",
        "all_accepted",
    ]
    return accuracy_from_records(qs.values(*fields))


def training_pairs(*, since: datetime | None = None) -> list[tuple[str, str]]:
    """(text, final category) for every decided matter with text: training data for the next model."""
    qs = SuggestionRecord.objects.exclude(text="")
    if since is not None:
        qs = qs.filter(decided_at__gte=since)
    return list(qs.order_by("decided_at").values_list("text", "final_category"))
