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


@dataclass(frozen=True)
class _Compiled:
    """One config's cues, built once: the plain-word cues of every type in one scan, the others as
    patterns. Most cues are words; ~200 `in` tests per text cost more than the one scan."""

    types: tuple[RequestTypeDef, ...]
    # A lookahead alternation, longest first: at each position the longest word starting there.
    words: re.Pattern | None
    # That word → every (type index, cue, weight) whose word is a prefix of it (itself included): a
    # shorter word starting at the same place is found too, so the scan is exact.
    credits: dict[str, tuple[tuple[int, str, float], ...]]
    patterns: tuple[tuple[int, re.Pattern, float], ...]


_compiled: weakref.WeakKeyDictionary[TriageConfig, _Compiled] = weakref.WeakKeyDictionary()
_SPECIAL = set(".^$*+?{}[]\\|()")


def _patterns(config: TriageConfig) -> _Compiled:
    found = _compiled.get(config)
    if found is not None:
        return found
    words: dict[str, list[tuple[int, str, float]]] = {}
    patterns = []
    for i, t in enumerate(config.request_types):
        for cue, weight in t.cues:
            if weight <= 0 or not cue:
                continue
            if not _SPECIAL & set(cue):
                words.setdefault(cue, []).append((i, cue, weight))
                continue
            try:
                patterns.append((i, re.compile(cue), weight))
            except re.error:  # the admin refuses a bad pattern; a file edited by hand may still hold one
                logger.warning("request type %s: cue %r is not a valid pattern; skipped", t.code, cue)
    credits = {
        word: tuple(c for other, cs in words.items() if word.startswith(other) for c in cs) for word in words
    }
    ordered = sorted(words, key=len, reverse=True)
    scan = re.compile("(?=(" + "|".join(re.escape(w) for w in ordered) + "))") if ordered else None
    found = _Compiled(tuple(config.request_types), scan, credits, tuple(patterns))
    _compiled[config] = found
    return found


def suggest_request_type(match_text: str, config: TriageConfig) -> RequestTypeSuggestion | None:
    """The suggested request type of `match_text` (normalised), or None when none is configured."""
    compiled = _patterns(config)
    if not compiled.types:
        return None
    # (type index, cue) → (where first found, text found, weight): each cue counts once.
    hits: dict[tuple[int, str], tuple[int, str, float]] = {}
    if compiled.words is not None:
        for m in compiled.words.finditer(match_text):
            for i, cue, weight in compiled.credits[m.group(1)]:
                hits.setdefault((i, cue), (m.start(), cue, weight))
    for i, pattern, weight in compiled.patterns:
        m = pattern.search(match_text)
        if m is not None:
            hits.setdefault((i, pattern.pattern), (m.start(), m.group(0) or pattern.pattern, weight))
    by_type: dict[int, list[tuple[int, str, float]]] = {}
    for (i, _cue), hit in hits.items():
        by_type.setdefault(i, []).append(hit)
    scored: list[tuple[float, RequestTypeDef, list[str]]] = []
    for i, t in enumerate(compiled.types):
        found = sorted(by_type.get(i, ()))
        scored.append((sum(w for _p, _c, w in found), t, [text for _p, text, _w in found]))
    best = max(s[0] for s in scored)
    if best <= 0:
        default = next((t for t in config.request_types if t.is_default), config.request_types[-1])
        return RequestTypeSuggestion(default.code, default.label, 0.0, (), by_default=True)
    top = [s for s in scored if s[0] == best]  # in the configured order: the first is named
    total, chosen, cues = top[0]
    return RequestTypeSuggestion(
        code=chosen.code,
        label=chosen.label,
        score=total,
        cues=tuple(cues),
        tied=tuple(t.code for _s, t, _h in top[1:]),
        tied_labels=tuple(t.label for _s, t, _h in top[1:]),
    )
