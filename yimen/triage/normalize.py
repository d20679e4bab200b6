"""Text normalisation: traditional → simplified, full-width → half-width, tidy whitespace.

The original text is never replaced; callers keep it beside the normalised form.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass

_WS = re.compile(r"\s+")
# Zero-width characters arrive from copy-pasted WeChat messages and break substring matching.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")

_converter = None
_converter_lock = threading.Lock()


def _t2s():
    global _converter
    if _converter is None:
        with _converter_lock:
            if _converter is None:
                import opencc

                _converter = opencc.OpenCC("t2s")
    return _converter


@dataclass(frozen=True, slots=True)
class NormalizedText:
    original: str
    text: str  # simplified, half-width, single-spaced
    match: str  # `text` lower-cased: what lexicons and rules are matched against


def normalize_text(text: str) -> str:
    if not text:
        return ""
    # NFKC folds full-width ASCII (１２３ＡＢＣ，：) and the ideographic space to their half-width forms.
    out = unicodedata.normalize("NFKC", text)
    out = _INVISIBLE.sub("", out)
    out = _t2s().convert(out)
    return _WS.sub(" ", out).strip()


def normalize(text: str) -> NormalizedText:
    text = text or ""
    norm = normalize_text(text)
    return NormalizedText(original=text, text=norm, match=norm.lower())
