"""Category suggestion: an editable lexicon that works on day one, blended with a learned model.

The lexicon scores each category by the weights of the distinct terms found (longest term wins at
each position, so "物业费" does not also count as "物业"). When a model trained on the centre's own
history is active, its probabilities are blended with the lexicon's, with the lexicon weight that
cross-validation chose at training (saved in the model's meta); otherwise the lexicon answers.
"""

from __future__ import annotations

import logging
import math
import os
import re
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from yimen.triage.config import TriageConfig

if TYPE_CHECKING:
    from yimen.triage.textmodel import TextModel

logger = logging.getLogger(__name__)

OTHER = "other"
# Softmax temperature over lexicon scores, and the small prior that lets "other" answer when the
# text names nothing the lexicon knows. Chosen on the team's evaluation set (docs/triage.md).
_LEXICON_SHARPNESS = 0.5
_OTHER_PRIOR = 1.0
# A repeated term adds a little: "工资…工资…工资" is more about wages than a single mention.
_REPEAT_BONUS = 0.25
# Only for models trained before the weight was chosen by cross-validation (no `lexicon_weight` in
# their meta), and for labels an administrator linked after training a foreign ledger.
DEFAULT_MODEL_WEIGHT = 0.5
_TIE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class CategoryScore:
    code: str
    label: str
    confidence: float

    def as_dict(self) -> dict:
        return {"code": self.code, "label": self.label, "confidence": round(self.confidence, 4)}


@dataclass(frozen=True)
class Classification:
    top: tuple[CategoryScore, ...]
    probabilities: dict[str, float]
    matched_terms: dict[str, tuple[str, ...]]  # category → lexicon terms found, for the "why"
    source: str  # "lexicon", "model" or "lexicon+model"
    model_version: str = ""
    tied: tuple[str, ...] = ()  # other categories exactly as probable as the first ("other" aside)

    @property
    def code(self) -> str:
        return self.top[0].code


class _Lexicon:
    __slots__ = ("pattern", "index")

    def __init__(self, config: TriageConfig) -> None:
        own: dict[str, dict[str, float]] = {}
        for cat in config.categories:
            for term, weight in cat.terms.items():
                if term:
                    own.setdefault(term, {})[cat.code] = weight
        # The longest term wins at each position, so a term also credits every category whose own
        # (shorter) term it contains: "保险公司" (traffic) still counts "保险" for finance. Two guards:
        # * a category's own entry for the longer term is its credit, whatever the shorter terms say:
        #   "养老保险" listed for marriage and finance with weight 0 stops "养老" and "保险" crediting them;
        # * a single character credits only where it stands on its own, never from inside a longer
        #   term ("薪水" says nothing about water pollution) or a guard word ("影响" is not noise).
        index: dict[str, list[tuple[str, float]]] = {}
        for term, cats in own.items():
            credit = dict(cats)
            n = len(term)
            for size in range(2, n):
                for i in range(n - size + 1):
                    for code, weight in own.get(term[i : i + size], {}).items():
                        if code not in cats and weight > credit.get(code, 0.0):
                            credit[code] = weight
            index[term] = [(code, w) for code, w in credit.items() if w > 0]
        for word in config.lexicon_guards:
            index.setdefault(word, [])  # matched, so it swallows the characters inside it; credits nothing
        self.index = index
        terms = sorted(index, key=len, reverse=True)
        self.pattern = re.compile("|".join(re.escape(t) for t in terms)) if terms else None


_lexicons: weakref.WeakKeyDictionary[TriageConfig, _Lexicon] = weakref.WeakKeyDictionary()


def _lexicon_for(config: TriageConfig) -> _Lexicon:
    lex = _lexicons.get(config)
    if lex is None:
        lex = _Lexicon(config)
        _lexicons[config] = lex
    return lex


def lexicon_scores(match_text: str, config: TriageConfig) -> tuple[dict[str, float], dict[str, list[str]]]:
    lex = _lexicon_for(config)
    scores: dict[str, float] = {}
    found: dict[str, list[str]] = {}
    if lex.pattern is None:
        return scores, found
    seen: dict[str, int] = {}
    for m in lex.pattern.finditer(match_text):
        term = m.group(0)
        seen[term] = seen.get(term, 0) + 1
    for term, count in seen.items():
        for code, weight in lex.index[term]:  # a guard word or a weight-0 entry credits nothing
            scores[code] = scores.get(code, 0.0) + weight + _REPEAT_BONUS * min(count - 1, 4)
            found.setdefault(code, []).append(term)
    return scores, found


def lexicon_probabilities(scores: dict[str, float], config: TriageConfig) -> dict[str, float]:
    cand = {code: s for code, s in scores.items() if s > 0 and code in config.category_by_code}
    other = OTHER if OTHER in config.category_by_code else config.category_codes[-1]
    cand[other] = cand.get(other, 0.0) + _OTHER_PRIOR
    top = max(cand.values())
    exp = {code: math.exp(_LEXICON_SHARPNESS * (s - top)) for code, s in cand.items()}
    total = sum(exp.values())
    return {code: v / total for code, v in exp.items()}


def classify(
    match_text: str,
    config: TriageConfig,
    *,
    model: TextModel | None = None,
    model_weight: float | None = None,
    k: int = 3,
) -> Classification:
    scores, found = lexicon_scores(match_text, config)
    lex_p = lexicon_probabilities(scores, config)
    probs = lex_p
    source = "lexicon"
    version = ""
    if model is not None:
        model_p = {c: p for c, p in model.predict_proba_one(match_text).items() if c in config.category_by_code}
        if model_p:
            w = model_weight_for(model) if model_weight is None else model_weight
            codes = set(lex_p) | set(model_p)
            probs = {c: w * model_p.get(c, 0.0) + (1 - w) * lex_p.get(c, 0.0) for c in codes}
            source = "lexicon+model" if w < 1 else "model"
            version = model.version
    ranked = sorted(probs.items(), key=lambda kv: (-kv[1], kv[0] == OTHER, kv[0]))
    # Equal scores are a tie, said as such: the order among them (by code) is no judgement. "Other"
    # is a prior, not a score, and never counts as tying.
    first_code, first_p = ranked[0]
    tied = tuple(
        code for code, p in ranked[1:] if code != OTHER and first_code != OTHER and abs(p - first_p) <= _TIE_TOLERANCE
    )
    top = tuple(CategoryScore(code, config.category_label(code), p) for code, p in ranked[:k])
    return Classification(
        top=top,
        probabilities=probs,
        matched_terms={c: tuple(t) for c, t in found.items()},
        source=source,
        model_version=version,
        tied=tied,
    )


@dataclass(frozen=True)
class LabelPrediction:
    """A model's answer in its ledger's own labels (what `yimen triage predict` writes)."""

    label: str  # as the training ledger spelt it
    display: str  # the linked category's label, or the ledger's label when it links to none
    confidence: float
    source: str  # "model" or "lexicon+model"


def predict_in_model_labels(
    match_text: str, config: TriageConfig, model: TextModel, *, model_weight: float | None = None
) -> LabelPrediction:
    """The model's answer in its own labels; the lexicon takes part only where it knows the labels.

    The lexicon re-ranks just the share of probability the model gives to labels linked to a category
    (spread evenly when several labels link to one); labels it does not know keep the model's figure.
    So a model trained on a foreign taxonomy answers alone, and says so.
    """
    from yimen.triage.textmodel import blend_label_proba

    model_p = model.label_proba_one(match_text)
    links = {label: code for label, code in model.label_codes.items() if label in model_p and code in config.category_by_code}
    w = model_weight_for(model) if model_weight is None else model_weight
    probs, source = model_p, "model"
    if links and w < 1:
        lex = lexicon_probabilities(lexicon_scores(match_text, config)[0], config)
        probs = blend_label_proba(model_p, lex, links, 1 - w)
        if probs is not model_p:
            source = "lexicon+model"
    label = max(probs, key=lambda k: (probs[k], k))
    code = links.get(label) or (label if label in config.category_by_code else "")
    return LabelPrediction(label, config.category_label(code) if code else label, probs[label], source)


def model_weight_for(model: TextModel) -> float:
    """The model's share of the blend: 1 − the lexicon weight chosen at training.

    Only a weight cross-validation compared counts: a model trained on a foreign ledger had no linked
    label (its 0 was forced, not chosen), one trained without the lexicon's figures compared none, and
    models from before the choice have none; for them — e.g. labels an administrator linked after
    training — `YIMEN_TRIAGE_MODEL_WEIGHT` applies.
    """
    chosen = model.lexicon_weight
    if chosen is None or model.meta.get("lexicon_weight_chosen_by") != "cross_validation":
        return model_weight_setting()
    return 1.0 - chosen


def model_weight_setting() -> float:
    raw = os.environ.get("YIMEN_TRIAGE_MODEL_WEIGHT")
    try:
        from django.conf import settings

        if settings.configured and hasattr(settings, "YIMEN_TRIAGE_MODEL_WEIGHT"):
            raw = settings.YIMEN_TRIAGE_MODEL_WEIGHT
    except ImportError:  # pragma: no cover
        pass
    if raw in (None, ""):
        return DEFAULT_MODEL_WEIGHT
    w = float(raw)
    if not 0.0 <= w <= 1.0:
        raise ValueError("YIMEN_TRIAGE_MODEL_WEIGHT must be between 0 and 1")
    return w


# -- the active learned model ---------------------------------------------------------------------


class _ModelCache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.loaded: dict[str, TextModel] = {}
        # (when resolved, the active model with the admin's label links applied, or None)
        self.resolved: tuple[float, TextModel | None] | None = None


_models = _ModelCache()
_RESOLVE_TTL = 30.0


def forget_models() -> None:
    with _models.lock:
        _models.loaded.clear()
        _models.resolved = None


def load_model(path: str | Path) -> TextModel:
    """A version folder, or a folder whose CURRENT names one; raises `ModelDirectoryError` (Chinese)."""
    from yimen.triage.textmodel import TextModel, resolve_model_dir

    key = str(resolve_model_dir(path).resolve())
    with _models.lock:
        model = _models.loaded.get(key)
        if model is None:
            model = TextModel.load(key)
            _models.loaded[key] = model
        return model


def active_model() -> TextModel | None:
    """The model the site uses, or None (the lexicon answers alone). Never raises on a broken model.

    Re-resolved every `_RESOLVE_TTL` seconds, so an activation or a label mapping made in the admin
    reaches every process without a restart.
    """
    now = time.monotonic()
    resolved = _models.resolved
    if resolved is not None and now - resolved[0] <= _RESOLVE_TTL:
        return resolved[1]
    model = None
    path, links = _resolve_active_model()
    if path:
        from yimen.triage.textmodel import ModelDirectoryError

        try:
            model = load_model(path)
        except ModelDirectoryError as exc:  # its one line says what is wrong with the folder
            logger.error("could not load triage model %s; falling back to the lexicon: %s", path, exc)
        except Exception:  # noqa: BLE001 - whatever else, a model must not stop intake
            logger.exception("could not load triage model %s; falling back to the lexicon", path)
        else:
            if links is not None:
                model = model.with_label_codes({**model.label_codes, **links})
    _models.resolved = (now, model)
    return model


def _resolve_active_model() -> tuple[str | None, dict[str, str] | None]:
    """Where the site's model is, and the label links the admin set for it (None: only the trained ones).

    In order: `YIMEN_TRIAGE_MODEL` (a version folder or a folder with CURRENT); the active
    `TriageModelVersion`; the `CURRENT` of `YIMEN_TRIAGE_MODELS_DIR` (the embedded mode, no database).
    """
    from yimen.triage import paths
    from yimen.triage.textmodel import CURRENT_FILE

    explicit = paths.setting("YIMEN_TRIAGE_MODEL", "")
    if explicit:
        return str(explicit), None
    try:
        from yimen.triage.config import _django_ready

        if _django_ready():
            from yimen.triage.models import TriageModelVersion

            row = TriageModelVersion.objects.filter(is_active=True).order_by("-created_at").first()
            if row is not None:
                return row.path, dict(row.label_links.values_list("label", "category_code"))
    except Exception:  # noqa: BLE001 - no table yet, or no database in this process
        logger.debug("no triage model table", exc_info=True)
    if (paths.models_dir() / CURRENT_FILE).exists():
        return str(paths.models_dir()), None
    return None, None
