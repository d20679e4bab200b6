"""Which kind of request a matter is (咨询, 求助, 投诉, 举报, 建议, 纠纷), with the cues that say so.

Each type's cues (`TriageConfig.request_types`, editable as RequestType / RequestTypeCue rows) are
regular expressions on the normalised text; each cue found counts its weight once. The type with the
highest total is suggested; when two or more share it, the first in the configured order is named
and the suggestion says they tied. No cue at all: the default type (纠纷 in the shipped data).
"""

from __future__ import annotations

import logging
import re
import weakref
from dataclasses import dataclass

from yimen.triage.config import RequestTypeDef, TriageConfig

logger = logging.getLogger(__name__)

# How many cue matches the reason quotes.
_REASON_CUES = 4


@dataclass(frozen=True)
class RequestTypeSuggestion:
    code: str
    label: str
    score: float
    cues: tuple[str, ...]  # the text each cue matched, in the order found
    tied: tuple[str, ...] = ()  # other types with the same total (codes)
    tied_labels: tuple[str, ...] = ()
    by_default: bool = False

    @property
    def reason(self) -> str:
        if self.by_default:
            return f"未命中诉求类型提示语，按缺省类型“{self.label}”"
        quoted = "、".join(f"“{c}”" for c in self.cues[:_REASON_CUES])
        reason = f"命中提示语：{quoted}"
        if self.tied:
            reason += "；与" + "、".join(f"“{t}”" for t in self.tied_labels) + "得分相同（并列），请人工确定"
        return reason

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "label": self.label,
            "score": round(self.score, 2),
            "cues": list(self.cues),
            "tied": list(self.tied),
            "reason": self.reason,
        }


_compiled: weakref.WeakKeyDictionary[TriageConfig, list[tuple[RequestTypeDef, list[tuple[re.Pattern, float]]]]] = (
    weakref.WeakKeyDictionary()
)


def _patterns(config: TriageConfig):
    found = _compiled.get(config)
    if found is None:
        found = []
        for t in config.request_types:
            cues = []
            for cue, weight in t.cues:
                try:
                    cues.append((re.compile(cue), weight))
                except re.error:  # the admin refuses a bad pattern; a file edited by hand may still hold one
                    logger.warning("request type %s: cue %r is not a valid pattern; skipped", t.code, cue)
            found.append((t, cues))
        _compiled[config] = found
    return found


def suggest_request_type(match_text: str, config: TriageConfig) -> RequestTypeSuggestion | None:
    """The suggested request type of `match_text` (normalised), or None when none is configured."""
    compiled = _patterns(config)
    if not compiled:
        return None
    scored: list[tuple[float, RequestTypeDef, list[str]]] = []
    for t, cues in compiled:
        total, hits = 0.0, []
        for pattern, weight in cues:
            m = pattern.search(match_text)
            if m is not None and weight > 0:
                total += weight
                hits.append(m.group(0) or pattern.pattern)
        scored.append((total, t, hits))
    best = max(s[0] for s in scored)
    if best <= 0:
        default = next((t for t in config.request_types if t.is_default), config.request_types[-1])
        return RequestTypeSuggestion(default.code, default.label, 0.0, (), by_default=True)
    top = [s for s in scored if s[0] == best]  # in the configured order: the first is named
    total, chosen, hits = top[0]
    return RequestTypeSuggestion(
        code=chosen.code,
        label=chosen.label,
        score=total,
        cues=tuple(hits),
        tied=tuple(t.code for _s, t, _h in top[1:]),
        tied_labels=tuple(t.label for _s, t, _h in top[1:]),
    )
