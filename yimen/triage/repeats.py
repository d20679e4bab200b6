"""Repeats (same party) and duplicates (near-identical text) of earlier matters within a window.

The engine asks a `History` for earlier matters; the cases app implements it over the database and
`InMemoryHistory` serves tests, the bench and de-duplication of a monitoring feed. Candidate texts
are found by SimHash banding (stable 64-bit fingerprints, storable in a database column) and
confirmed with rapidfuzz.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

import numpy as np
from rapidfuzz import fuzz, process

from yimen.triage.normalize import normalize_text

# -- party keys -----------------------------------------------------------------------------------

_ID_RE = re.compile(r"(?<![0-9a-z])(\d{17}[\dx]|\d{15})(?![0-9a-z])", re.IGNORECASE)
_PHONE_RE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?!\d)")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def valid_id_number(s: str) -> bool:
    s = s.upper()
    if len(s) == 15:
        return s.isdigit()
    if len(s) != 18 or not s[:17].isdigit():
        return False
    total = sum(int(c) * w for c, w in zip(s[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == s[17]


def party_key(raw: str) -> str | None:
    """"id:…" for a resident ID number, "phone:…" for a mainland mobile number, else None."""
    s = re.sub(r"[\s-]", "", normalize_text(str(raw))).upper()
    if s.startswith(("ID:", "PHONE:")):
        return s.split(":", 1)[0].lower() + ":" + s.split(":", 1)[1]
    if s.startswith("+86"):
        s = s[3:]
    elif s.startswith("86") and len(s) == 13:
        s = s[2:]
    if len(s) == 11 and s.isdigit() and s[0] == "1" and s[1] in "3456789":
        return f"phone:{s}"
    if valid_id_number(s):
        return f"id:{s}"
    return None


def party_keys_in_text(text: str) -> list[str]:
    keys = []
    for m in _ID_RE.finditer(text):
        if valid_id_number(m.group(1)):
            keys.append(f"id:{m.group(1).upper()}")
    for m in _PHONE_RE.finditer(text):
        keys.append("phone:" + "".join(m.groups()))
    return list(dict.fromkeys(keys))


def mask_key(key: str) -> str:
    kind, _, value = key.partition(":")
    if kind == "id":
        return f"身份证号尾号{value[-4:]}"
    if kind == "phone":
        return f"手机号{value[:3]}****{value[-4:]}"
    return "当事人标识"


# -- fingerprints ---------------------------------------------------------------------------------

_STRIP = re.compile(r"[\s\W_]+", re.UNICODE)
_BANDS = 4
_BAND_BITS = 64 // _BANDS


def fingerprint_text(text: str) -> str:
    """What duplicate detection compares: normalised text without spaces and punctuation."""
    return _STRIP.sub("", normalize_text(text).lower())


def simhash(text: str, *, already_clean: bool = False) -> int:
    """Stable 64-bit SimHash over character bigrams (unsigned; store as signed if the column needs)."""
    s = text if already_clean else fingerprint_text(text)
    if len(s) < 2:
        s = s + "\0"
    shingles = {s[i : i + 2] for i in range(len(s) - 1)}
    hashes = np.fromiter(
        (int.from_bytes(hashlib.blake2b(sh.encode("utf-8"), digest_size=8).digest(), "little") for sh in shingles),
        dtype=np.uint64,
        count=len(shingles),
    )
    bits = np.unpackbits(hashes.view(np.uint8).reshape(-1, 8), axis=1, bitorder="little")
    votes = bits.sum(axis=0, dtype=np.int64) * 2 - len(shingles)
    out = 0
    for i, v in enumerate(votes):
        if v > 0:
            out |= 1 << i
    return out


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def bands(h: int) -> list[int]:
    mask = (1 << _BAND_BITS) - 1
    return [(i << _BAND_BITS) | ((h >> (i * _BAND_BITS)) & mask) for i in range(_BANDS)]


# -- history interface ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PriorMatter:
    ref: str
    text: str
    received_at: datetime
    party_keys: tuple[str, ...] = ()
    category: str = ""
    resolved: bool = False
    outcome: str = ""  # how it was resolved, shown beside similar cases


@runtime_checkable
class History(Protocol):
    """Earlier matters, as the cases app (or a test) knows them."""

    def by_party(self, keys: Sequence[str], *, since: datetime) -> Iterable[PriorMatter]:
        """Matters received since `since` whose parties carry any of these keys."""

    def candidates(self, text: str, *, since: datetime, limit: int = 50) -> Iterable[PriorMatter]:
        """Matters received since `since` whose text may be near-identical to `text`."""


@runtime_checkable
class ResolvedHistory(Protocol):
    def similar_resolved(self, text: str, *, category: str, limit: int = 3) -> Iterable[PriorMatter]:
        """Resolved matters of the category most like `text`, for the handling guide."""


@dataclass
class InMemoryHistory:
    """A `History` held in memory: tests, bench, and de-duplicating a monitoring feed in one pass."""

    matters: list[PriorMatter] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._by_key: dict[str, list[int]] = {}
        self._by_band: dict[int, list[int]] = {}
        self._clean: list[str] = []
        items, self.matters = self.matters, []
        for m in items:
            self.add(m)

    def add(self, matter: PriorMatter) -> None:
        idx = len(self.matters)
        self.matters.append(matter)
        for key in matter.party_keys:
            self._by_key.setdefault(key, []).append(idx)
        clean = fingerprint_text(matter.text)
        self._clean.append(clean)
        for b in bands(simhash(clean, already_clean=True)):
            self._by_band.setdefault(b, []).append(idx)

    def by_party(self, keys: Sequence[str], *, since: datetime) -> list[PriorMatter]:
        idxs = sorted({i for k in keys for i in self._by_key.get(k, ())})
        return [self.matters[i] for i in idxs if self.matters[i].received_at >= since]

    def candidates(self, text: str, *, since: datetime, limit: int = 50) -> list[PriorMatter]:
        clean = fingerprint_text(text)
        idxs = {i for b in bands(simhash(clean, already_clean=True)) for i in self._by_band.get(b, ())}
        found = [self.matters[i] for i in sorted(idxs, reverse=True) if self.matters[i].received_at >= since]
        return found[:limit]

    def similar_resolved(self, text: str, *, category: str, limit: int = 3) -> list[PriorMatter]:
        pool = [(i, m) for i, m in enumerate(self.matters) if m.resolved and (not category or m.category == category)]
        if not pool:
            return []
        clean = fingerprint_text(text)
        hits = process.extract(clean, [self._clean[i] for i, _ in pool], scorer=fuzz.ratio, limit=limit)
        return [pool[pos][1] for _, score, pos in hits if score > 0]


# -- detection ------------------------------------------------------------------------------------

REPEAT = "repeat"
DUPLICATE = "duplicate"
KIND_LABELS = {REPEAT: "重复来访", DUPLICATE: "重复事项"}


@dataclass(frozen=True)
class RepeatLink:
    ref: str
    kind: str
    score: float
    reason: str
    received_at: datetime
    category: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "kind": self.kind,
            "kind_label": KIND_LABELS[self.kind],
            "score": round(self.score, 1),
            "reason": self.reason,
            "received_at": self.received_at.isoformat(),
            "category": self.category,
        }


def text_similarity(a_clean: str, b_clean: str) -> float:
    """0–100; a repost that quotes the whole earlier message counts as near-identical."""
    score = fuzz.ratio(a_clean, b_clean)
    short, long_ = sorted((a_clean, b_clean), key=len)
    if len(short) >= 20 and len(short) >= 0.5 * len(long_):
        score = max(score, fuzz.partial_ratio(short, long_) * 0.98)
    return score


def find_repeats(
    text: str,
    party_keys: Sequence[str],
    history: History,
    *,
    now: datetime,
    repeat_window_days: int,
    duplicate_window_days: int,
    duplicate_threshold: float,
    exclude_ref: str | None = None,
) -> list[RepeatLink]:
    links: dict[str, RepeatLink] = {}
    clean = fingerprint_text(text)
    keys = [k for k in (party_key(p) or p for p in party_keys) if k]
    if keys:
        since = now - timedelta(days=repeat_window_days)
        for m in history.by_party(keys, since=since):
            if m.ref == exclude_ref:
                continue
            shared = [k for k in keys if k in m.party_keys]
            who = "、".join(mask_key(k) for k in shared) or "同一当事人"
            links[m.ref] = RepeatLink(
                m.ref, REPEAT, 100.0, f"同一当事人（{who}）于{m.received_at:%Y-%m-%d}反映过，事项{m.ref}", m.received_at, m.category
            )
    if len(clean) >= 8:
        since = now - timedelta(days=duplicate_window_days)
        for m in history.candidates(text, since=since):
            if m.ref == exclude_ref:
                continue
            score = text_similarity(clean, fingerprint_text(m.text))
            if score >= duplicate_threshold:
                links[m.ref] = RepeatLink(
                    m.ref,
                    DUPLICATE,
                    score,
                    f"与{m.received_at:%Y-%m-%d}登记的事项{m.ref}内容几乎相同（相似度{score:.0f}%）",
                    m.received_at,
                    m.category,
                )
    return sorted(links.values(), key=lambda link: link.received_at, reverse=True)
