"""The rule tables ⇄ `TriageConfig`: build the config from rows, and load the default files into rows."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Count, Max

from yimen.triage.config import Conditions, TriageConfig, default_config, invalidate
from yimen.triage.models import (
    CategoryLexiconTerm,
    CategoryProfile,
    GradeRule,
    RequestType,
    RequestTypeCue,
    SignalRule,
    TriageSetting,
    UnitRule,
)

_RULE_MODELS = (CategoryProfile, CategoryLexiconTerm, SignalRule, GradeRule, UnitRule, TriageSetting, RequestType, RequestTypeCue)


def rules_stamp() -> tuple:
    """Row count and latest change per rule table; equal stamps mean an unchanged config."""
    out = []
    for model in _RULE_MODELS:
        agg = model.objects.aggregate(n=Count("pk"), latest=Max("updated_at"))
        out.append((agg["n"], agg["latest"].isoformat() if agg["latest"] else ""))
    return tuple(out)


def stamp_has_rows(stamp: tuple) -> bool:
    return any(n for n, _ in stamp)


def config_from_db() -> TriageConfig:
    """The config from the tables; a table left empty keeps the default files' section."""
    base = default_config().as_data()
    data: dict[str, Any] = {k: dict(v) for k, v in base.items()}

    profiles = list(CategoryProfile.objects.filter(enabled=True))
    terms = list(CategoryLexiconTerm.objects.filter(enabled=True).values_list("category_code", "term", "weight"))
    if profiles or terms:
        by_code = {c["code"]: dict(c) for c in base["categories"]["categories"]}
        if profiles:
            by_code = {
                p.code: {
                    "code": p.code,
                    "label": p.label,
                    "domain": p.domain,
                    "urgency": p.urgency,
                    "legal_query": p.legal_query,
                    "preferred_laws": p.preferred_laws,
                    "approach": p.approach,
                    "steps": p.steps,
                    "terms": {},
                }
                for p in profiles
            }
        if CategoryLexiconTerm.objects.exists():
            for c in by_code.values():
                c["terms"] = {}
            for code, term, weight in terms:
                if code in by_code:
                    by_code[code]["terms"][term] = weight
        data["categories"] = {"categories": list(by_code.values()), "guard_words": base["categories"].get("guard_words", [])}

    signals = list(SignalRule.objects.filter(enabled=True))
    if SignalRule.objects.exists():
        data["signals"] = {
            "signals": [
                {
                    "name": s.name,
                    "label": s.label,
                    "kind": s.kind,
                    "weight": s.weight,
                    "all": s.patterns,
                    "exclude": s.exclude,
                    "tiers": s.tiers,
                    "min_age": s.min_age,
                    "max_age": s.max_age,
                    "explanation": s.explanation,
                }
                for s in signals
            ]
        }
    if GradeRule.objects.exists():
        data["grades"]["rules"] = [
            {"target": r.target, "value": r.value, "priority": r.priority, "reason": r.reason, **r.conditions}
            for r in GradeRule.objects.filter(enabled=True)
        ]
    if UnitRule.objects.exists():
        data["units"]["rules"] = [
            {"priority": r.priority, "lead": r.lead_unit, "assist": r.assisting_units, "reason": r.reason, **r.conditions}
            for r in UnitRule.objects.filter(enabled=True)
        ]
    if RequestType.objects.exists():
        data["request_types"] = {"request_types": _request_types_from_rows()}
    settings_rows = dict(TriageSetting.objects.values_list("key", "value"))
    if "lexicon_guards" in settings_rows:
        data["categories"] = {**data["categories"], "guard_words": list(settings_rows["lexicon_guards"] or [])}
    for key, section, field in (
        ("grade_defaults", "grades", "default"),
        ("level_names", "units", "level_names"),
        ("units", "units", "units"),
    ):
        if key in settings_rows:
            data[section][field] = settings_rows[key]
    return TriageConfig.from_data(
        data["categories"], data["signals"], data["grades"], data["units"], source="db", request_types=data["request_types"]
    )


def _request_types_from_rows() -> list[dict[str, Any]]:
    cues: dict[int, list[list]] = {}
    for type_id, cue, weight in RequestTypeCue.objects.filter(enabled=True).values_list("request_type_id", "cue", "weight"):
        cues.setdefault(type_id, []).append([cue, weight])
    return [
        {"code": t.code, "label": t.label, "default": t.is_default, "cues": cues.get(t.pk, [])}
        for t in RequestType.objects.filter(enabled=True).order_by("sort_order", "code")
    ]



def _load_rules(model, rows, own_fields, *, replace: bool) -> int:
    """A rule table (priority, reason, conditions and its own fields) from the default rows — into an
    empty table, or over it with `replace`; returns how many rules it holds."""
    if replace or not model.objects.exists():
        model.objects.bulk_create(
            model(priority=r["priority"], reason=r["reason"], conditions=Conditions.from_dict(r).as_dict(), **own_fields(r))
            for r in rows
        )
    return model.objects.count()

def load_defaults(*, replace: bool = False, config: TriageConfig | None = None) -> dict[str, int]:
    """Write the default data files into the rule tables (idempotent); `replace` wipes edits first.

    Returns the number of rows written per table.
    """
    config = config or default_config()
    data = config.as_data()
    counts: dict[str, int] = {}
    with transaction.atomic():
        if replace:
            for model in _RULE_MODELS:
                model.objects.all().delete()
        for i, c in enumerate(data["categories"]["categories"]):
            CategoryProfile.objects.update_or_create(
                code=c["code"],
                defaults={k: c[k] for k in ("label", "domain", "urgency", "legal_query", "preferred_laws", "approach", "steps")}
                | {"sort_order": i},
            )
            for term, weight in c["terms"].items():
                CategoryLexiconTerm.objects.get_or_create(category_code=c["code"], term=term, defaults={"weight": weight})
        counts["categories"] = len(data["categories"]["categories"])
        counts["terms"] = CategoryLexiconTerm.objects.count()
        for i, s in enumerate(data["signals"]["signals"]):
            SignalRule.objects.update_or_create(
                name=s["name"],
                defaults={
                    "label": s["label"],
                    "kind": s["kind"],
                    "weight": s["weight"],
                    "patterns": s.get("all", []),
                    "exclude": s.get("exclude", []),
                    "tiers": s.get("tiers", []),
                    "min_age": s.get("min_age"),
                    "max_age": s.get("max_age"),
                    "explanation": s.get("explanation", ""),
                    "sort_order": i,
                },
            )
        counts["signals"] = SignalRule.objects.count()
        counts["grade_rules"] = _load_rules(
            GradeRule, data["grades"]["rules"], lambda r: {"target": r["target"], "value": r["value"]}, replace=replace
        )
        counts["unit_rules"] = _load_rules(
            UnitRule, data["units"]["rules"], lambda r: {"lead_unit": r["lead"], "assisting_units": r["assist"]}, replace=replace
        )
        for i, t in enumerate(data["request_types"]["request_types"]):
            # An administrator's edits (label, order, which type is the default) are kept.
            row, _created = RequestType.objects.get_or_create(
                code=t["code"],
                defaults={"label": t["label"], "sort_order": i,
                          "is_default": t["default"] and not RequestType.objects.filter(is_default=True).exists()},
            )
            for cue, weight in t["cues"]:
                RequestTypeCue.objects.get_or_create(request_type=row, cue=cue, defaults={"weight": weight})
        counts["request_types"] = RequestType.objects.count()
        for key, value in (
            ("grade_defaults", data["grades"]["default"]),
            ("level_names", data["units"]["level_names"]),
            ("units", data["units"]["units"]),
        ):
            TriageSetting.objects.get_or_create(key=key, defaults={"value": value})
        transaction.on_commit(invalidate)
    return counts
