"""Suggested lead and assisting units from the category, level, risk and signals, each with a reason."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from yimen.triage.config import TriageConfig
from yimen.triage.grading import RuleContext, conditions_hold

LEAD = "lead"
ASSIST = "assist"
ROLE_LABELS = {LEAD: "牵头单位", ASSIST: "协办单位"}


@dataclass(frozen=True)
class UnitSuggestion:
    name: str
    role: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role, "role_label": ROLE_LABELS[self.role], "reason": self.reason}


def local_name(unit: str, level: str | None, config: TriageConfig) -> str:
    """The unit's counterpart at this level: a township dispatches to 派出所, not 公安局."""
    if not level:
        return unit
    return config.level_names.get(unit, {}).get(level, unit)


def suggest_units(ctx: RuleContext, config: TriageConfig) -> list[UnitSuggestion]:
    lead: UnitSuggestion | None = None
    assists: dict[str, UnitSuggestion] = {}
    for rule in config.unit_rules:
        ok, _ = conditions_hold(rule.when, ctx)
        if not ok:
            continue
        if rule.lead and lead is None:
            lead = UnitSuggestion(local_name(rule.lead, ctx.level, config), LEAD, rule.reason)
        for unit in rule.assist:
            name = local_name(unit, ctx.level, config)
            if name not in assists:
                assists[name] = UnitSuggestion(name, ASSIST, rule.reason)
    out = [lead] if lead else []
    out.extend(u for name, u in assists.items() if lead is None or name != lead.name)
    return out
