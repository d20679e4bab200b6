"""The engine's editable knowledge as plain Python objects.

`TriageConfig` is built either from the JSON files in `data/` (day one, tests, bench) or from the
rule tables an administrator edits (`TriageConfig.from_db`). The pure engine only ever sees a
`TriageConfig`, so it runs without a database.

`get_config()` caches the database-built config per process. Admin saves call `invalidate()` on
commit; other processes (workers, the web server's siblings) notice a change through a cheap stamp
of the rule tables that is re-read at most every `YIMEN_TRIAGE_CONFIG_TTL` seconds.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from yimen.cases.codes import DomainClass, Risk, Urgency

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"

# The grades' codes are the cases app's (yimen/cases/codes.py): one list, read here, never respelt.
RISK_LEVELS = tuple(Risk.values)
URGENCY_CLASSES = tuple(Urgency.values)
DOMAIN_CLASSES = tuple(DomainClass.values)
GRADE_CODES = {"risk": Risk, "urgency": Urgency, "domain": DomainClass}
LEVELS = ("city", "county", "township", "village", "grid")
SIGNAL_KINDS = ("keywords", "money", "headcount", "age")
GRADE_TARGETS = ("risk", "urgency", "domain")


@dataclass(frozen=True)
class CategoryDef:
    code: str
    label: str
    domain: str
    urgency: str
    terms: dict[str, float]
    legal_query: str = ""
    preferred_laws: tuple[str, ...] = ()
    approach: str = ""
    steps: tuple[str, ...] = ()


@dataclass(frozen=True)
class RequestTypeDef:
    """A kind of request (咨询, 求助, 投诉, 举报, 建议, 纠纷) and the cues that suggest it.

    `cues` are (regular expression, weight) pairs matched on the normalised text; `is_default` is
    the type suggested when no cue matches (纠纷 in the shipped data: a mediation centre's matters).
    """

    code: str
    label: str
    cues: tuple[tuple[str, float], ...] = ()
    is_default: bool = False


@dataclass(frozen=True)
class SignalRuleDef:
    name: str
    label: str
    kind: str
    weight: float = 1.0
    groups: tuple[tuple[str, ...], ...] = ()
    exclude: tuple[str, ...] = ()
    tiers: tuple[tuple[float, float, str], ...] = ()
    explanation: str = ""
    min_age: int | None = None
    max_age: int | None = None


@dataclass(frozen=True)
class Conditions:
    """Conditions shared by grading and unit rules; every condition given must hold."""

    any_signals: tuple[str, ...] = ()
    all_signals: tuple[str, ...] = ()
    min_values: tuple[tuple[str, float], ...] = ()
    min_score: float | None = None
    categories: tuple[str, ...] = ()
    not_categories: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    risks: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Conditions:
        return cls(
            any_signals=tuple(d.get("any_signals") or ()),
            all_signals=tuple(d.get("all_signals") or ()),
            min_values=tuple((k, float(v)) for k, v in (d.get("min_values") or {}).items()),
            min_score=None if d.get("min_score") in (None, "") else float(d["min_score"]),
            categories=tuple(d.get("categories") or ()),
            not_categories=tuple(d.get("not_categories") or ()),
            keywords=tuple(d.get("keywords") or ()),
            levels=tuple(d.get("levels") or ()),
            risks=tuple(d.get("risks") or ()),
        )

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in ("any_signals", "all_signals", "categories", "not_categories", "keywords", "levels", "risks"):
            if getattr(self, name):
                out[name] = list(getattr(self, name))
        if self.min_values:
            out["min_values"] = dict(self.min_values)
        if self.min_score is not None:
            out["min_score"] = self.min_score
        return out


@dataclass(frozen=True)
class GradeRuleDef:
    target: str
    value: str
    priority: int
    when: Conditions
    reason: str


@dataclass(frozen=True)
class UnitRuleDef:
    priority: int
    when: Conditions
    lead: str
    assist: tuple[str, ...]
    reason: str


@dataclass(eq=False)
class TriageConfig:
    categories: tuple[CategoryDef, ...]
    signals: tuple[SignalRuleDef, ...]
    grade_rules: tuple[GradeRuleDef, ...]
    grade_defaults: dict[str, str]
    unit_rules: tuple[UnitRuleDef, ...]
    level_names: dict[str, dict[str, str]] = field(default_factory=dict)
    units: tuple[str, ...] = ()
    # Repeat and duplicate detection, in days and rapidfuzz 0–100 scores.
    repeat_window_days: int = 180
    duplicate_window_days: int = 30
    duplicate_threshold: float = 90.0
    similar_threshold: float = 60.0
    # In sort order; empty: no request type is suggested.
    request_types: tuple[RequestTypeDef, ...] = ()
    # Common words matched by the lexicon with no credit, so a single-character term inside them does
    # not count ("影响" swallows the "响" of noise). See classify._Lexicon.
    lexicon_guards: tuple[str, ...] = ()
    source: str = "files"

    # -- lookups and compiled forms, built once per config object ------------------------------

    @cached_property
    def category_by_code(self) -> dict[str, CategoryDef]:
        return {c.code: c for c in self.categories}

    @cached_property
    def request_type_by_code(self) -> dict[str, RequestTypeDef]:
        return {t.code: t for t in self.request_types}

    @cached_property
    def category_codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.categories)

    @cached_property
    def fingerprint(self) -> str:
        """Changes whenever any rule changes; stored beside each suggestion for the learning loop."""
        payload = json.dumps(self.as_data(), ensure_ascii=False, sort_keys=True, default=list)
        return hashlib.sha1(payload.encode("utf-8")).hexdigest()[:12]

    def label(self, target: str, value: str) -> str:
        """The code list's label of a grade, in the site's language (what a suggestion stores)."""
        return grade_label(target, value)

    def category_label(self, code: str) -> str:
        cat = self.category_by_code.get(code)
        return cat.label if cat else code

    # -- construction ---------------------------------------------------------------------------

    @classmethod
    def from_data(
        cls,
        categories: dict[str, Any],
        signals: dict[str, Any],
        grades: dict[str, Any],
        units: dict[str, Any],
        source: str = "files",
        request_types: dict[str, Any] | None = None,
    ) -> TriageConfig:
        return cls(
            categories=tuple(_category_from_dict(c) for c in categories["categories"]),
            lexicon_guards=tuple(w.lower() for w in categories.get("guard_words") or () if w),
            request_types=tuple(_request_type_from_dict(t) for t in (request_types or {}).get("request_types", ())),
            signals=tuple(_signal_from_dict(s) for s in signals["signals"]),
            grade_rules=_sorted_grade_rules(_grade_from_dict(r) for r in grades["rules"]),
            grade_defaults=grades.get("default", dict(_GRADE_DEFAULTS)),
            unit_rules=_sorted_unit_rules(_unit_from_dict(r) for r in units["rules"]),
            level_names=units.get("level_names", {}),
            units=tuple(units.get("units", ())),
            source=source,
        )

    @classmethod
    def from_files(cls, directory: Path | str = DATA_DIR) -> TriageConfig:
        directory = Path(directory)
        request_types = directory / "request_types.json"
        return cls.from_data(
            *(load_json(directory / f"{name}.json") for name in DATA_FILES),
            source="files",
            request_types=load_json(request_types) if request_types.exists() else None,
        )

    @classmethod
    def from_db(cls) -> TriageConfig:
        from yimen.triage import rules_db

        return rules_db.config_from_db()

    def as_data(self) -> dict[str, Any]:
        """The JSON-shaped data this config was built from (inverse of `from_data`)."""
        return {
            "categories": {
                "categories": [_category_to_dict(c) for c in self.categories],
                "guard_words": list(self.lexicon_guards),
            },
            "request_types": {"request_types": [_request_type_to_dict(t) for t in self.request_types]},
            "signals": {"signals": [_signal_to_dict(s) for s in self.signals]},
            "grades": {
                "default": self.grade_defaults,
                "rules": [
                    {"target": r.target, "value": r.value, "priority": r.priority, "reason": r.reason, **r.when.as_dict()}
                    for r in self.grade_rules
                ],
            },
            "units": {
                "units": list(self.units),
                "level_names": self.level_names,
                "rules": [
                    {"priority": r.priority, "lead": r.lead, "assist": list(r.assist), "reason": r.reason, **r.when.as_dict()}
                    for r in self.unit_rules
                ],
            },
        }


DATA_FILES = ("categories", "signals", "grades", "units")
_GRADE_DEFAULTS = {"risk": Risk.BLUE.value, "urgency": Urgency.WORRYING.value, "domain": DomainClass.LIVELIHOOD.value}


def grade_label(target: str, value: str) -> str:
    """The label of `value` in the code list of `target`, in settings.LANGUAGE_CODE.

    The code itself when it is not in the list, or in a process without Django set up (the engine
    run bare, as the bench runs it: labels are lazy translations and need the app registry).
    """
    choices = GRADE_CODES.get(target)
    if choices is None or value not in _values_of(choices) or not _django_ready():
        return value
    from django.conf import settings

    return _label_in(settings.LANGUAGE_CODE, choices, value)


@lru_cache(maxsize=16)
def _values_of(choices: type) -> frozenset[str]:
    # `Choices.values` builds a new list on every read; a suggestion asks three times.
    return frozenset(choices.values)


@lru_cache(maxsize=64)
def _label_in(language: str, choices: type, value: str) -> str:
    from django.utils import translation

    with translation.override(language):
        return str(choices(value).label)


def load_json(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def _category_from_dict(d: dict[str, Any]) -> CategoryDef:
    terms: dict[str, float] = {}
    raw = d.get("terms") or {}
    if isinstance(raw, dict) and raw and all(_is_number(k) for k in raw):
        # Compact file form: {"3": [term, ...], "2": [...]}.
        for weight, words in raw.items():
            for w in words:
                terms[w.lower()] = max(terms.get(w.lower(), 0.0), float(weight))
    else:
        terms = {k.lower(): float(v) for k, v in raw.items()}
    return CategoryDef(
        code=d["code"],
        label=d["label"],
        domain=d.get("domain") or _GRADE_DEFAULTS["domain"],
        urgency=d.get("urgency") or _GRADE_DEFAULTS["urgency"],
        terms=terms,
        legal_query=d.get("legal_query", ""),
        preferred_laws=tuple(d.get("preferred_laws") or ()),
        approach=d.get("approach", ""),
        steps=tuple(d.get("steps") or ()),
    )


def _category_to_dict(c: CategoryDef) -> dict[str, Any]:
    return {
        "code": c.code,
        "label": c.label,
        "domain": c.domain,
        "urgency": c.urgency,
        "terms": dict(c.terms),
        "legal_query": c.legal_query,
        "preferred_laws": list(c.preferred_laws),
        "approach": c.approach,
        "steps": list(c.steps),
    }


def _request_type_from_dict(d: dict[str, Any]) -> RequestTypeDef:
    cues = d.get("cues") or {}
    if isinstance(cues, dict):  # file form: {"3": [cue, ...], "2": [...]}
        pairs = [(c, float(w)) for w, words in cues.items() for c in words]
    else:
        pairs = [(c[0], float(c[1])) for c in cues]
    return RequestTypeDef(code=d["code"], label=d["label"], cues=tuple(pairs), is_default=bool(d.get("default")))


def _request_type_to_dict(t: RequestTypeDef) -> dict[str, Any]:
    return {"code": t.code, "label": t.label, "cues": [list(c) for c in t.cues], "default": t.is_default}


def _is_number(s: str) -> bool:
    try:
        float(s)
    except (TypeError, ValueError):
        return False
    return True


def _signal_from_dict(d: dict[str, Any]) -> SignalRuleDef:
    if d.get("kind", "keywords") not in SIGNAL_KINDS:
        raise ValueError(f"unknown signal kind {d.get('kind')!r} in rule {d.get('name')!r}")
    groups = d.get("all") or ()
    return SignalRuleDef(
        name=d["name"],
        label=d.get("label", d["name"]),
        kind=d.get("kind", "keywords"),
        weight=float(d.get("weight", 1.0)),
        groups=tuple(tuple(g) for g in groups),
        exclude=tuple(d.get("exclude") or ()),
        tiers=tuple((float(t[0]), float(t[1]), str(t[2])) for t in d.get("tiers") or ()),
        explanation=d.get("explanation", ""),
        min_age=d.get("min_age"),
        max_age=d.get("max_age"),
    )


def _signal_to_dict(s: SignalRuleDef) -> dict[str, Any]:
    out: dict[str, Any] = {"name": s.name, "label": s.label, "kind": s.kind, "weight": s.weight}
    if s.groups:
        out["all"] = [list(g) for g in s.groups]
    if s.exclude:
        out["exclude"] = list(s.exclude)
    if s.tiers:
        out["tiers"] = [list(t) for t in s.tiers]
    if s.explanation:
        out["explanation"] = s.explanation
    if s.min_age is not None:
        out["min_age"] = s.min_age
    if s.max_age is not None:
        out["max_age"] = s.max_age
    return out


def _grade_from_dict(d: dict[str, Any]) -> GradeRuleDef:
    if d["target"] not in GRADE_TARGETS:
        raise ValueError(f"unknown grading target {d['target']!r}")
    return GradeRuleDef(
        target=d["target"],
        value=d["value"],
        priority=int(d.get("priority", 100)),
        when=Conditions.from_dict(d),
        reason=d.get("reason", ""),
    )


def _unit_from_dict(d: dict[str, Any]) -> UnitRuleDef:
    return UnitRuleDef(
        priority=int(d.get("priority", 100)),
        when=Conditions.from_dict(d),
        lead=d.get("lead") or "",
        assist=tuple(d.get("assist") or ()),
        reason=d.get("reason", ""),
    )


def _sorted_grade_rules(rules) -> tuple[GradeRuleDef, ...]:
    return tuple(sorted(rules, key=lambda r: (r.target, r.priority)))


def _sorted_unit_rules(rules) -> tuple[UnitRuleDef, ...]:
    return tuple(sorted(rules, key=lambda r: r.priority))


def compile_keywords(patterns: tuple[str, ...] | list[str]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p})" for p in patterns))


# -- process-wide cache ---------------------------------------------------------------------------


@lru_cache(maxsize=1)
def default_config() -> TriageConfig:
    return TriageConfig.from_files()


class _Cache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.config: TriageConfig | None = None
        self.stamp: Any = None
        self.checked_at = 0.0


_cache = _Cache()


def invalidate() -> None:
    """Forget the cached config; the next `get_config()` rebuilds it from the rule tables."""
    with _cache.lock:
        _cache.config = None
        _cache.stamp = None
        _cache.checked_at = 0.0
    from yimen.triage import classify

    classify.forget_models()


def get_config() -> TriageConfig:
    """The config in force: the rule tables when Django is set up and they hold rows, else the files."""
    if not _django_ready():
        return default_config()
    from django.conf import settings

    if not getattr(settings, "YIMEN_TRIAGE_RULES_FROM_DB", True):
        return default_config()
    ttl = float(getattr(settings, "YIMEN_TRIAGE_CONFIG_TTL", 30))
    now = time.monotonic()
    cached = _cache.config
    if cached is not None and now - _cache.checked_at < ttl:
        return cached
    with _cache.lock:
        try:
            from yimen.triage import rules_db

            stamp = rules_db.rules_stamp()
        except Exception:  # noqa: BLE001 - tables not migrated yet, or no database in this process
            logger.debug("triage rules tables unavailable; using the default data files", exc_info=True)
            return default_config()
        if _cache.config is not None and stamp == _cache.stamp:
            _cache.checked_at = now
            return _cache.config
        config = rules_db.config_from_db() if rules_db.stamp_has_rows(stamp) else default_config()
        config = _apply_settings(config, settings)
        _cache.config, _cache.stamp, _cache.checked_at = config, stamp, now
        return config


def _apply_settings(config: TriageConfig, settings: Any) -> TriageConfig:
    from dataclasses import replace

    return replace(
        config,
        repeat_window_days=int(getattr(settings, "YIMEN_TRIAGE_REPEAT_WINDOW_DAYS", config.repeat_window_days)),
        duplicate_window_days=int(getattr(settings, "YIMEN_TRIAGE_DUPLICATE_WINDOW_DAYS", config.duplicate_window_days)),
        duplicate_threshold=float(getattr(settings, "YIMEN_TRIAGE_DUPLICATE_THRESHOLD", config.duplicate_threshold)),
    )


_django_was_ready = False


def _django_ready() -> bool:
    # Once the app registry is ready it stays ready; only the "not yet" answer is asked again.
    global _django_was_ready
    if _django_was_ready:
        return True
    try:
        from django.apps import apps
        from django.conf import settings
    except ImportError:  # pragma: no cover - Django is a hard dependency of the project
        return False
    _django_was_ready = bool(settings.configured and apps.ready)
    return _django_was_ready
