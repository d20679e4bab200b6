"""`suggest()`: one matter's text in, a reasoned proposal out.

    from yimen.triage.engine import suggest
    s = suggest("拖欠34名工人工资24万余元，老板跑路了", level="township")
    s.as_dict()  # the JSON the CLI prints and the API returns

The proposal is advice for a dispatcher: category (top 3 with confidence), risk colour, urgency
class, domain class, the signals that decided them, lead and assisting units, legal basis, and
links to earlier matters of the same party or with the same text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from yimen.triage import classify as classify_mod
from yimen.triage import legal, repeats
from yimen.triage.classify import CategoryScore
from yimen.triage.config import LEVELS, TriageConfig, get_config
from yimen.triage.grading import Grade, RuleContext, grade_all
from yimen.triage.legal import LegalHit
from yimen.triage.normalize import normalize
from yimen.triage.requesttype import RequestTypeSuggestion, suggest_request_type
from yimen.triage.routing import UnitSuggestion, suggest_units
from yimen.triage.signals import Signal, detect_signals

_USE_ACTIVE_MODEL = object()

# How many days ahead a statutory holiday makes wage arrears urgent even when nobody mentions it:
# migrant workers start home about a month before the Spring Festival, a few days before the others.
SPRING_FESTIVAL_LOOKAHEAD_DAYS = 30
HOLIDAY_LOOKAHEAD_DAYS = 7
_HOLIDAY_NAMES = {
    "Spring Festival": "春节",
    "National Day": "国庆节",
    "New Year's Day": "元旦",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "Tomb-sweeping Day": "清明节",
}
_WAGE_WORDS = ("工资", "工钱", "欠薪", "薪水", "劳务费", "血汗钱", "讨薪", "人工费")


@dataclass
class Suggestion:
    original: str
    normalized: str
    category: str
    category_label: str
    category_top3: tuple[CategoryScore, ...]
    category_source: str
    category_terms: tuple[str, ...]
    risk: Grade
    urgency: Grade
    domain: Grade
    signals: list[Signal]
    score: float
    units: list[UnitSuggestion]
    legal_basis: list[LegalHit] = field(default_factory=list)
    repeats: list[repeats.RepeatLink] = field(default_factory=list)
    party_keys: list[str] = field(default_factory=list)
    level: str | None = None
    model_version: str = ""
    config_fingerprint: str = ""
    request_type: RequestTypeSuggestion | None = None
    # Categories that scored exactly as high as `category` (a tie the lexicon cannot break): (code, label).
    category_tied: tuple[tuple[str, str], ...] = ()

    @property
    def lead_unit(self) -> str:
        return next((u.name for u in self.units if u.role == "lead"), "")

    def as_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "category_label": self.category_label,
            "category_top3": [
                {"code": c.code, "label": c.label, "confidence": round(c.confidence, 4)} for c in self.category_top3
            ],
            "category_reason": self._category_reason(),
            "category_tied": [{"code": code, "label": label} for code, label in self.category_tied],
            "request_type": self.request_type.as_dict() if self.request_type else None,
            "domain_class": self.domain.as_dict(),
            "urgency": self.urgency.as_dict(),
            "risk": self.risk.as_dict(),
            "signals": [s.as_dict() for s in self.signals],
            "units": [u.as_dict() for u in self.units],
            "legal_basis": [h.as_dict() for h in self.legal_basis],
            "repeats": [r.as_dict() for r in self.repeats],
            "normalized_text": self.normalized,
            "level": self.level,
            "model_version": self.model_version,
            "rules_version": self.config_fingerprint,
        }

    def _category_reason(self) -> str:
        parts = []
        if self.category_terms:
            parts.append("命中词：" + "、".join(self.category_terms[:8]))
        source = {"lexicon": "词库", "model": "历史案件模型", "lexicon+model": "词库与历史案件模型综合"}.get(self.category_source, "")
        if source:
            parts.append(f"依据：{source}")
        if not self.category_terms and self.category == classify_mod.OTHER:
            parts.insert(0, "未命中任何类别词")
        if self.category_tied:
            tied = "、".join(f"“{label}”" for _code, label in self.category_tied)
            parts.append(f"与{tied}得分相同（并列），请人工确定")
        return "；".join(parts)


def suggest(
    text: str,
    *,
    level: str | None = None,
    party_ids: Sequence[str] = (),
    history: repeats.History | None = None,
    with_legal: bool = True,
    now: datetime | None = None,
    config: TriageConfig | None = None,
    model: Any = _USE_ACTIVE_MODEL,
    exclude_ref: str | None = None,
    legal_k: int = 5,
) -> Suggestion:
    """Propose category, grades, units, legal basis and repeats for one matter.

    1. Normalise (keeping the original) and detect signals.
    2. Classify: the lexicon, blended with the active learned model when there is one; and the kind
       of request (咨询 … 纠纷) from its cues.
    3. Link repeats/duplicates from `history`; a repeat by the same party is itself a signal.
    4. Grade risk, urgency and domain; route to units; retrieve legal basis.
    """
    if level is not None and level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    config = config or get_config()
    now = now or datetime.now().astimezone()
    norm = normalize(text)
    signals = detect_signals(norm.match, config)
    _add_holiday_signal(signals, norm.match, now.date())

    active = classify_mod.active_model() if model is _USE_ACTIVE_MODEL else model
    cls = classify_mod.classify(norm.match, config, model=active)
    category = cls.code
    request_type = suggest_request_type(norm.match, config)

    keys = [k for k in (repeats.party_key(p) for p in party_ids) if k]
    keys.extend(k for k in repeats.party_keys_in_text(norm.text) if k not in keys)
    links: list[repeats.RepeatLink] = []
    if history is not None:
        links = repeats.find_repeats(
            norm.text,
            keys,
            history,
            now=now,
            repeat_window_days=config.repeat_window_days,
            duplicate_window_days=config.duplicate_window_days,
            duplicate_threshold=config.duplicate_threshold,
            exclude_ref=exclude_ref,
        )
        party_links = [link for link in links if link.kind == repeats.REPEAT]
        if party_links:
            latest = party_links[0]
            signals.append(
                Signal(
                    "repeat_party",
                    "同一当事人重复反映",
                    len(party_links),
                    2.0,
                    f"该当事人近{config.repeat_window_days}天内已反映{len(party_links)}次（最近一次{latest.received_at:%Y-%m-%d}，事项{latest.ref}）",
                    latest.ref,
                )
            )

    score = round(sum(s.weight for s in signals), 2)
    ctx = RuleContext({s.name: s for s in signals}, score, category, norm.match, level)
    risk, urgency, domain = grade_all(ctx, config)
    ctx = RuleContext(ctx.signals, score, category, norm.match, level, risk.value)
    units = suggest_units(ctx, config)

    hits: list[LegalHit] = []
    if with_legal:
        cat = config.category_by_code.get(category)
        hits = legal.get_index().search(
            norm.text,
            legal_k,
            expansion=cat.legal_query if cat else "",
            preferred_laws=cat.preferred_laws if cat else (),
        )

    return Suggestion(
        original=norm.original,
        normalized=norm.text,
        category=category,
        category_label=config.category_label(category),
        category_top3=cls.top,
        category_source=cls.source,
        category_terms=cls.matched_terms.get(category, ()),
        risk=risk,
        urgency=urgency,
        domain=domain,
        signals=signals,
        score=score,
        units=units,
        legal_basis=hits,
        repeats=links,
        party_keys=keys,
        level=level,
        model_version=cls.model_version,
        config_fingerprint=config.fingerprint,
        request_type=request_type,
        category_tied=tuple((code, config.category_label(code)) for code in cls.tied),
    )


def _add_holiday_signal(signals: list[Signal], match_text: str, today: date) -> None:
    """Wage arrears shortly before a statutory holiday are urgent even if nobody says "过年"."""
    if any(s.name == "holiday_wage" for s in signals) or not any(w in match_text for w in _WAGE_WORDS):
        return
    holiday = upcoming_holiday(today)
    if holiday:
        name, days = holiday
        signals.append(
            Signal("holiday_wage", "节前欠薪", name, 3.0, f"距{name}还有{days}天的欠薪诉求，劳动者急于返乡，易引发群体事件", name)
        )


@lru_cache(maxsize=64)
def upcoming_holiday(today: date) -> tuple[str, int] | None:
    try:
        import chinese_calendar
    except ImportError:  # optional: without it only the words in the text count
        return None
    for offset in range(1, SPRING_FESTIVAL_LOOKAHEAD_DAYS + 1):
        day = today + timedelta(days=offset)
        try:
            is_holiday, name = chinese_calendar.get_holiday_detail(day)
        except NotImplementedError:  # the year's schedule is not published yet
            return None
        if is_holiday and name in _HOLIDAY_NAMES and (name == "Spring Festival" or offset <= HOLIDAY_LOOKAHEAD_DAYS):
            return _HOLIDAY_NAMES[name], offset
    return None
