"""Risk colour, urgency class (五事) and domain class from the signals and the category, by rules.

Each grade records the rule that decided it and the signals that made the rule hold, so the
dispatcher sees why a matter is red rather than a bare colour.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from yimen.triage.config import Conditions, TriageConfig
from yimen.triage.signals import Signal


@dataclass(frozen=True)
class RuleContext:
    signals: dict[str, Signal]
    score: float
    category: str
    match_text: str
    level: str | None = None
    risk: str | None = None


@lru_cache(maxsize=1024)
def _keyword_re(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


def conditions_hold(when: Conditions, ctx: RuleContext) -> tuple[bool, list[str]]:
    """Whether every given condition holds, and the names of the signals that made it hold."""
    decided: list[str] = []
    if when.categories and ctx.category not in when.categories:
        return False, []
    if when.not_categories and ctx.category in when.not_categories:
        return False, []
    if when.levels and (ctx.level or "") not in when.levels:
        return False, []
    if when.risks and (ctx.risk or "") not in when.risks:
        return False, []
    if when.all_signals:
        if not all(name in ctx.signals for name in when.all_signals):
            return False, []
        decided.extend(when.all_signals)
    if when.any_signals:
        hit = [name for name in when.any_signals if name in ctx.signals]
        if not hit:
            return False, []
        decided.extend(hit)
    for name, minimum in when.min_values:
        sig = ctx.signals.get(name)
        if sig is None or not isinstance(sig.value, (int, float)) or sig.value < minimum:
            return False, []
        decided.append(name)
    if when.min_score is not None:
        if ctx.score < when.min_score:
            return False, []
        decided.extend(ctx.signals)
    if when.keywords and not _keyword_re(when.keywords).search(ctx.match_text):
        return False, []
    return True, list(dict.fromkeys(decided))


@dataclass(frozen=True)
class Grade:
    target: str
    value: str
    label: str
    reason: str
    decided_by: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.value, "label": self.label, "reason": self.reason, "decided_by": list(self.decided_by)}


def grade(target: str, ctx: RuleContext, config: TriageConfig) -> Grade:
    for rule in config.grade_rules:
        if rule.target != target:
            continue
        ok, decided = conditions_hold(rule.when, ctx)
        if ok:
            return Grade(target, rule.value, config.label(target, rule.value), rule.reason, tuple(decided))
    cat = config.category_by_code.get(ctx.category)
    if cat is not None and target in ("urgency", "domain"):
        value = cat.urgency if target == "urgency" else cat.domain
        return Grade(target, value, config.label(target, value), f"按“{cat.label}”类别的默认分级", ())
    value = config.grade_defaults.get(target, "")
    reason = "未发现风险信号，按一般矛盾纠纷处理" if target == "risk" else "默认分级"
    return Grade(target, value, config.label(target, value), reason, ())


def grade_all(ctx: RuleContext, config: TriageConfig) -> tuple[Grade, Grade, Grade]:
    """(risk, urgency, domain). Urgency rules may look at the risk, so risk is graded first."""
    risk = grade("risk", ctx, config)
    ctx = RuleContext(ctx.signals, ctx.score, ctx.category, ctx.match_text, ctx.level, risk.value)
    return risk, grade("urgency", ctx, config), grade("domain", ctx, config)
