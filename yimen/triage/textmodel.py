"""A category model learned from the centre's own history (scikit-learn), with honest evaluation.

Five feature sets are compared — character 1–3-grams, jieba words (uni- and bigrams), both, and
character n-grams plus the lexicon's categories as tokens, with 1–2-grams ("char+lex") or single
characters only ("char1+lex"): the lexicon votes through learned weights, also for labels it does not
know — each TF-IDF (sublinear) into a class-balanced logistic regression. `train(..., features="auto")` cross-validates them and, on the same out-of-fold
probabilities, the lexicon weight of the blend (`LEXICON_WEIGHTS`, 0 included); the pair with the best
macro-F1 is fitted on all rows and both are saved in the model's metadata, with every candidate's figure
and a plain baseline's on the same folds.

A saved model is a directory: `model.joblib` (the fitted vectoriser and classifier), `serving.npz`
(the same model's vocabulary, idf, weights and labels as plain arrays: what `TextModel.load` reads,
so that a worker answers without importing scikit-learn) and `meta.json` (version, labels, data
hash, metrics). joblib files are pickles: load only models this installation trained itself.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from yimen.triage import segment

logger = logging.getLogger(__name__)

# Cheapest first (a suggestion's cost, and jieba's ~75 MB dictionary): ties in cross-validation go to
# the earlier one.
FEATURES = ("char", "char1+lex", "char+lex", "jieba", "both")
# Lexicon weights tried in the blend `(1 - w)·model + w·lexicon`; 0 is the model alone.
LEXICON_WEIGHTS = (0.0, 0.25, 0.5, 0.75)
# The yardstick `evaluate --baseline` prints beside the engine: plain TF-IDF over character 1–2-grams
# into a default LinearSVC, the usual first model on Chinese text. Never trained for use.
BASELINE = "baseline"
MODEL_FILE = "model.joblib"
META_FILE = "meta.json"
# The arrays a worker needs to answer (numpy only; `TextModel.load`); model.joblib stays the full pipeline.
SERVING_FILE = "serving.npz"
SERVING_FORMAT = 1
# In a folder of versions (the `--out` of `train`, or the site's models directory): the version in use.
CURRENT_FILE = "CURRENT"


def _(message: str) -> str:
    """gettext once Django is set up (the `yimen` command always is); the Chinese msgid without it."""
    from yimen.triage.config import _django_ready

    if not _django_ready():
        return message
    from django.utils.translation import gettext

    return gettext(message)


class TrainingDataError(ValueError):
    """The data cannot train or evaluate a model; the message is for the user, in Chinese."""


class ModelDirectoryError(ValueError):
    """A model directory cannot be used (missing, no CURRENT, corrupt files); the message is Chinese."""


def jieba_tokens(text: str) -> list[str]:
    # Module-level so that a pickled vectoriser can find it again; the words come from segment.py,
    # the same cut the statute index uses.
    return [t for t in segment.words(text) if t.strip()]


class TextAnalyzer:
    """Tokens for TF-IDF: character n-grams, optionally jieba words ("w:") and lexicon categories ("lex:").

    Module-level and stateless when pickled, so a saved model finds it again. The lexicon tokens are
    one per lexicon term found, named by the category it credits: the model learns what the
    lexicon's categories mean in the ledger's labels (社保 → 劳动和社会保障), so the lexicon helps even a
    foreign taxonomy. They read the lexicon in force when the text is scored.
    """

    def __init__(self, chars: tuple[int, int] = (1, 3), words: bool = False, lexicon: bool = False) -> None:
        self.chars, self.words, self.lexicon = chars, words, lexicon

    def __call__(self, text: str) -> list[str]:
        compact = "".join(text.split())
        lo, hi = self.chars
        out = [compact[i : i + n] for n in range(lo, hi + 1) for i in range(len(compact) - n + 1)]
        if self.words:
            w = jieba_tokens(text)
            out += ["w:" + t for t in w]
            out += ["w:" + a + "_" + b for a, b in zip(w, w[1:])]
        if self.lexicon:
            out += ["lex:" + code for code, terms in _lexicon_found(text).items() for _t in terms]
        return out


def _lexicon_found(text: str) -> dict[str, list[str]]:
    from yimen.triage import classify
    from yimen.triage.config import _django_ready, default_config, get_config

    global _file_config
    if _django_ready():
        config = get_config()
    else:  # `default_config()` reads the files each call: keep one
        if _file_config is None:
            _file_config = default_config()
        config = _file_config
    return classify.lexicon_scores(text, config)[1]


_file_config = None


# char+lex keeps 1–2-grams: with the lexicon's tokens beside them, 3-grams cost 1.5 points of macro-F1
# on both our sets (0.891 vs 0.879 on the evalset, 0.816 vs 0.800 on the foreign ledger). char1+lex
# keeps single characters only: on a few hundred short messages the bigrams are mostly seen once, and
# without them the lexicon's tokens weigh more in each text's TF-IDF vector.
_OWN_ANALYZERS = {
    "both": lambda: TextAnalyzer((1, 3), words=True),
    "char+lex": lambda: TextAnalyzer((1, 2), lexicon=True),
    "char1+lex": lambda: TextAnalyzer((1, 1), lexicon=True),
}
_SPACES = re.compile(r"\s\s+")


def _sklearn_char_ngrams(text: str) -> list[str]:
    # What TfidfVectorizer(analyzer="char", ngram_range=(1, 3)) makes of a text: lower case, runs of
    # white space as one space, then the 1-, 2- and 3-grams in that order (test_textmodel checks it).
    text = _SPACES.sub(" ", text.lower())
    return [text[i : i + n] for n in (1, 2, 3) for i in range(len(text) - n + 1)]


def _sklearn_word_ngrams(text: str) -> list[str]:
    # What TfidfVectorizer(tokenizer=jieba_tokens, lowercase=False, ngram_range=(1, 2)) makes of a text.
    words = jieba_tokens(text)
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])]


def serving_analyzer(features: str):
    """The analyzer a saved model's vocabulary was built with, without scikit-learn (`TextModel.load`)."""
    if features in _OWN_ANALYZERS:
        return _OWN_ANALYZERS[features]()
    return {"char": _sklearn_char_ngrams, "jieba": _sklearn_word_ngrams}[features]


def build_pipeline(features: str):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    if features == "char":
        vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=1, max_features=300_000)
    elif features == "jieba":
        vec = TfidfVectorizer(
            tokenizer=jieba_tokens, token_pattern=None, lowercase=False, ngram_range=(1, 2), sublinear_tf=True, max_features=300_000
        )
    elif features in _OWN_ANALYZERS:
        vec = TfidfVectorizer(analyzer=_OWN_ANALYZERS[features](), lowercase=False, sublinear_tf=True, max_features=300_000)
    elif features == BASELINE:
        from sklearn.svm import LinearSVC

        return Pipeline([("tfidf", TfidfVectorizer(analyzer="char", ngram_range=(1, 2))), ("clf", LinearSVC())])
    else:
        raise ValueError(f"unknown features {features!r}; use one of {FEATURES}")
    # saga with a loose tolerance: the same figures as lbfgs on our sets (within 0.005 macro-F1) in
    # a fifth of the time, which is what lets `train` cross-validate four feature sets.
    clf = LogisticRegression(C=10.0, max_iter=300, tol=1e-3, solver="saga", class_weight="balanced", random_state=0)
    return Pipeline([("tfidf", vec), ("clf", clf)])


def blend_label_proba(
    model_p: dict[str, float], lexicon_p: dict[str, float], links: dict[str, str], lexicon_weight: float
) -> dict[str, float]:
    """The blend in the ledger's own labels; the lexicon takes part only where it knows the labels.

    The lexicon re-ranks just the share of probability the model gives to labels linked to a category
    (spread evenly when several labels link to one); labels it does not know keep the model's figure.
    With no linked label, or weight 0, it is the model's answer unchanged.
    """
    links = {label: code for label, code in links.items() if label in model_p}
    if not links or lexicon_weight <= 0:
        return model_p
    sharing: dict[str, int] = {}
    for code in links.values():
        sharing[code] = sharing.get(code, 0) + 1
    lex_by_label = {label: lexicon_p.get(code, 0.0) / sharing[code] for label, code in links.items()}
    lex_total = sum(lex_by_label.values())
    if lex_total <= 0:
        return model_p
    w = lexicon_weight
    linked_share = sum(model_p[label] for label in links)
    return {
        label: (1 - w) * p + w * linked_share * lex_by_label[label] / lex_total if label in links else p
        for label, p in model_p.items()
    }


# Temperatures tried when calibrating: the logistic regression's softmax is under-confident on our sets
# (mean top probability 0.59–0.63 for 0.84–0.90 accuracy), so most of the grid sharpens (T < 1).
TEMPERATURES = tuple(float(t) for t in np.round(np.geomspace(0.1, 2.0, 40), 4))


def with_temperature(probs: dict[str, float], temperature: float) -> dict[str, float]:
    """softmax(z / T) from softmax(z): p^(1/T), renormalised. The ranking never changes, only the scale."""
    if temperature == 1.0 or not probs:
        return probs
    inv = 1.0 / temperature
    logs = {k: inv * np.log(max(p, 1e-300)) for k, p in probs.items()}
    top = max(logs.values())
    raw = {k: float(np.exp(v - top)) for k, v in logs.items()}
    total = sum(raw.values())
    return {k: v / total for k, v in raw.items()}


def fit_temperature(labels: Sequence[str], proba: Sequence[dict[str, float]]) -> float:
    """The temperature (of `TEMPERATURES`) that minimises the log-loss of out-of-fold probabilities.

    Temperature scaling (Guo et al. 2017): one number, fitted on probabilities of rows the model did not
    see, so the `confidence` a user reads and the blend with the lexicon both get a model whose top
    probability means about what it says. Ties go to the value nearest 1 (the model unchanged). The
    ranking of labels never changes, so neither does the model's answer.
    """
    keys = sorted({k for p in proba for k in p} | set(labels))
    pos = {k: i for i, k in enumerate(keys)}
    logp = np.full((len(proba), len(keys)), np.log(1e-300))
    for r, p in enumerate(proba):
        for k, v in p.items():
            logp[r, pos[k]] = np.log(max(v, 1e-300))
    truth = np.array([pos[y] for y in labels])
    best_t, best_loss = 1.0, None
    for t in sorted(TEMPERATURES + (1.0,), key=lambda v: abs(np.log(v))):
        z = logp / t
        top = z.max(axis=1, keepdims=True)
        lse = top[:, 0] + np.log(np.exp(z - top).sum(axis=1))
        loss = float((lse - z[np.arange(len(truth)), truth]).sum())
        if best_loss is None or loss < best_loss - 1e-9:
            best_t, best_loss = t, loss
    return best_t


def _calibrates(links: dict[str, str], lexicon_proba) -> bool:
    """Temperature scaling only where the model's probabilities are the answer: no label the lexicon knows.

    Where the lexicon votes, the blend weight is chosen on the model's own probabilities and so already
    absorbs their scale; a temperature beside it is a second knob for the same thing (measured on the
    team's set: the nested blend 0.926 with both, 0.929 with the weight alone).
    """
    return not (links and lexicon_proba is not None)


# -- evaluation -----------------------------------------------------------------------------------


@dataclass
class EvaluationReport:
    features: str
    folds: int
    n_samples: int
    labels: list[str]
    accuracy: float
    macro_f1: float
    macro_f1_ci: tuple[float, float]
    per_class: dict[str, dict[str, float]]
    confusion: list[list[int]]
    fold_macro_f1: list[float] = field(default_factory=list)
    # The rows behind the figures, for paired comparisons (`paired_difference_ci`); not in the JSON.
    truth: list[str] = field(default_factory=list, repr=False, compare=False)
    predicted: list[str] = field(default_factory=list, repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("truth")
        d.pop("predicted")
        d["macro_f1_ci"] = list(self.macro_f1_ci)
        return d

    def as_text(self, title: str = "") -> str:
        lines = []
        if title:
            lines.append(title)
        lo, hi = self.macro_f1_ci
        how = f"{self.folds} 折交叉验证" if self.folds else "无需训练"
        lines.append(
            f"样本 {self.n_samples} 条，{how}，特征 {self.features}：准确率 {self.accuracy:.3f}，"
            f"macro-F1 {self.macro_f1:.3f}（95% 自助法区间 {lo:.3f}–{hi:.3f}）"
        )
        lines.append(f"{'类别':<12}{'精确率':>8}{'召回率':>8}{'F1':>8}{'样本':>6}")
        for label in self.labels:
            pc = self.per_class[label]
            lines.append(f"{label:<12}{pc['precision']:>8.3f}{pc['recall']:>8.3f}{pc['f1']:>8.3f}{int(pc['support']):>6}")
        lines.append("混淆矩阵（行=实际，列=预测）：" + " ".join(self.labels))
        for label, row in zip(self.labels, self.confusion):
            lines.append(f"{label:<12}" + " ".join(f"{v:>3}" for v in row))
        return "\n".join(lines)


def _per_class(y_true: np.ndarray, y_pred: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    cm = np.bincount(y_true * n + y_pred, minlength=n * n).reshape(n, n)
    tp = np.diag(cm).astype(float)
    pred = cm.sum(axis=0).astype(float)
    true = cm.sum(axis=1).astype(float)
    precision = np.divide(tp, pred, out=np.zeros(n), where=pred > 0)
    recall = np.divide(tp, true, out=np.zeros(n), where=true > 0)
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros(n), where=(precision + recall) > 0)
    return cm, precision, recall, f1, true


def macro_f1(y_true: np.ndarray, y_pred: np.ndarray, n: int) -> float:
    """Macro-F1 over the classes present in y_true (absent classes would only add zeros)."""
    _, _, _, f1, true = _per_class(y_true, y_pred, n)
    present = true > 0
    return float(f1[present].mean()) if present.any() else 0.0


def bootstrap_ci(y_true: np.ndarray, y_pred: np.ndarray, n: int, *, rounds: int = 1000, seed: int = 0) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    m = len(y_true)
    scores = np.empty(rounds)
    for i in range(rounds):
        idx = rng.integers(0, m, m)
        scores[i] = macro_f1(y_true[idx], y_pred[idx], n)
    return float(np.percentile(scores, 2.5)), float(np.percentile(scores, 97.5))


def report_from_predictions(
    y_true: Sequence[str], y_pred: Sequence[str], *, features: str, folds: int, fold_scores: list[float] | None = None
) -> EvaluationReport:
    labels = sorted(set(y_true) | set(y_pred))
    pos = {label: i for i, label in enumerate(labels)}
    t = np.array([pos[v] for v in y_true])
    p = np.array([pos[v] for v in y_pred])
    n = len(labels)
    cm, precision, recall, f1, support = _per_class(t, p, n)
    return EvaluationReport(
        features=features,
        folds=folds,
        n_samples=len(t),
        labels=labels,
        accuracy=float((t == p).mean()) if len(t) else 0.0,
        macro_f1=macro_f1(t, p, n),
        macro_f1_ci=bootstrap_ci(t, p, n),
        per_class={
            label: {"precision": float(precision[i]), "recall": float(recall[i]), "f1": float(f1[i]), "support": float(support[i])}
            for i, label in enumerate(labels)
        },
        confusion=cm.tolist(),
        fold_macro_f1=fold_scores or [],
        truth=[str(v) for v in y_true],
        predicted=[str(v) for v in y_pred],
    )


def paired_difference_ci(a: EvaluationReport, b: EvaluationReport, *, rounds: int = 1000, seed: int = 0) -> tuple[float, float] | None:
    """95% bootstrap interval of macro-F1(a) − macro-F1(b), resampling the same rows for both.

    Two systems scored on the same rows are correlated, so their separate intervals overlap even when
    one is reliably better; the paired interval answers "better or not". None unless both reports
    are over the same rows with the same truth.
    """
    if not a.truth or a.truth != b.truth:
        return None
    labels = sorted(set(a.truth) | set(a.predicted) | set(b.predicted))
    pos = {label: i for i, label in enumerate(labels)}
    t = np.array([pos[v] for v in a.truth])
    pa = np.array([pos[v] for v in a.predicted])
    pb = np.array([pos[v] for v in b.predicted])
    n, m = len(labels), len(t)
    rng = np.random.default_rng(seed)
    diffs = np.empty(rounds)
    for i in range(rounds):
        idx = rng.integers(0, m, m)
        diffs[i] = macro_f1(t[idx], pa[idx], n) - macro_f1(t[idx], pb[idx], n)
    return float(np.percentile(diffs, 2.5)), float(np.percentile(diffs, 97.5))


def check_training_data(texts: Sequence[str], labels: Sequence[str], folds: int) -> int:
    """Validate and return the number of folds usable (no more than the rarest class allows)."""
    if len(texts) != len(labels):
        raise TrainingDataError("文本与类别的条数不一致")
    counts: dict[str, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    if len(counts) < 2:
        raise TrainingDataError("训练数据至少需要两个不同的类别")
    rare = sorted(label for label, c in counts.items() if c < 2)
    if rare:
        raise TrainingDataError(f"以下类别样本少于2条，无法训练和交叉验证：{'、'.join(rare)}；请补充样本或合并类别")
    return max(2, min(folds, min(counts.values())))


def cross_validate(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    features: str = "char",
    folds: int = 5,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
) -> tuple[EvaluationReport, list[str], list[dict[str, float]]]:
    """Stratified k-fold; returns the report, the out-of-fold predictions and probabilities."""
    from sklearn.model_selection import StratifiedKFold

    folds = check_training_data(texts, labels, folds)
    texts = list(texts)
    y = np.array(labels, dtype=object)
    oof_pred: list[str] = [""] * len(texts)
    oof_proba: list[dict[str, float]] = [{} for _ in texts]
    fold_scores = []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train_idx, test_idx in splitter.split(texts, y):
        pipe = build_pipeline(features)
        pipe.fit([texts[i] for i in train_idx], y[train_idx])
        classes = list(pipe.classes_)
        if hasattr(pipe, "predict_proba"):
            proba = pipe.predict_proba([texts[i] for i in test_idx])
        else:  # LinearSVC (the baseline) only ranks: its answer gets all the probability
            proba = np.eye(len(classes))[[classes.index(v) for v in pipe.predict([texts[i] for i in test_idx])]]
        for row, i in zip(proba, test_idx):
            oof_proba[i] = dict(zip(classes, (float(v) for v in row)))
            oof_pred[i] = classes[int(np.argmax(row))]
        fold_true = [labels[i] for i in test_idx]
        fold_pred = [oof_pred[i] for i in test_idx]
        fold_scores.append(_quick_macro_f1(fold_true, fold_pred))
        if progress:
            progress(1)
    report = report_from_predictions(list(labels), oof_pred, features=features, folds=folds, fold_scores=fold_scores)
    return report, oof_pred, oof_proba


def _quick_macro_f1(y_true: Sequence[str], y_pred: Sequence[str]) -> float:
    labels = sorted(set(y_true) | set(y_pred))
    pos = {label: i for i, label in enumerate(labels)}
    return macro_f1(np.array([pos[v] for v in y_true]), np.array([pos[v] for v in y_pred]), len(labels))


# -- the model ------------------------------------------------------------------------------------


def data_hash(texts: Sequence[str], labels: Sequence[str]) -> str:
    h = hashlib.sha1()
    for t, label in zip(texts, labels):
        h.update(t.encode("utf-8"))
        h.update(b"\x1f")
        h.update(str(label).encode("utf-8"))
        h.update(b"\x1e")
    return h.hexdigest()[:10]


class TextModel:
    """A fitted TF-IDF + logistic regression, answering one text at a time without scikit-learn's overhead.

    Made from the fitted pipeline (training, or `model.joblib`), or from the plain arrays of
    `serving.npz` (`load`): a worker then never imports scikit-learn, whose import is ~1.3 s of a
    restarted worker's first suggestion. The pipeline is read from disk only if something asks for it.
    """

    def __init__(self, pipeline, meta: dict[str, Any], *, arrays: dict[str, Any] | None = None, directory: Path | None = None) -> None:
        self._pipeline = pipeline
        self._directory = directory
        self.meta = meta
        if arrays is None:
            vec = pipeline.named_steps["tfidf"]
            clf = pipeline.named_steps["clf"]
            arrays = {
                "coef": clf.coef_.T.copy(), "intercept": clf.intercept_.copy(), "classes": [str(c) for c in clf.classes_],
                "vocab": vec.vocabulary_, "idf": vec.idf_, "sublinear": bool(vec.sublinear_tf),
            }
            self._analyze = vec.build_analyzer()
        else:
            self._analyze = serving_analyzer(meta["features"])
        self._coef = arrays["coef"]
        self._intercept = arrays["intercept"]
        self._classes = list(arrays["classes"])
        # The model answers in the ledger's own labels; `label_codes` links some of them to category codes.
        self._codes = [meta.get("label_codes", {}).get(c, c) for c in self._classes]
        self._vocab = arrays["vocab"]
        self._idf = np.asarray(arrays["idf"], dtype=np.float64)
        self._sublinear = bool(arrays["sublinear"])
        # Temperature scaling chosen at training (`fit_temperature`); 1 for a model from before it.
        self._inv_t = 1.0 / float(meta.get("temperature") or 1.0)

    @property
    def pipeline(self):
        """The fitted scikit-learn pipeline (read from `model.joblib` the first time, for a model loaded from its arrays)."""
        if self._pipeline is None:
            import joblib

            self._pipeline = joblib.load(self._directory / MODEL_FILE)
        return self._pipeline

    @property
    def version(self) -> str:
        return self.meta.get("version", "")

    @property
    def lexicon_weight(self) -> float | None:
        """The lexicon's weight in the blend, as cross-validation chose it (None: a model from before)."""
        w = self.meta.get("lexicon_weight")
        return None if w is None else float(w)

    @property
    def classes(self) -> list[str]:
        """The ledger's own labels, as the training data spelt them."""
        return list(self._classes)

    @property
    def label_codes(self) -> dict[str, str]:
        """Ledger label → category code, for the labels that are linked (at training or in the admin)."""
        return dict(self.meta.get("label_codes") or {})

    def with_label_codes(self, label_codes: dict[str, str]) -> TextModel:
        """The same fitted model with other label links (the admin's mappings); shares the arrays."""
        twin = copy.copy(self)
        twin.meta = {**self.meta, "label_codes": {k: v for k, v in label_codes.items() if k in self._classes and v}}
        twin._codes = [twin.meta["label_codes"].get(c, c) for c in self._classes]
        return twin

    def _proba(self, texts: Sequence[str]) -> np.ndarray:
        # Skips sklearn's per-call validation: a single suggestion must stay well under a millisecond.
        x = self.pipeline.named_steps["tfidf"].transform(texts)
        z = (np.asarray(x @ self._coef) + self._intercept) * self._inv_t
        if z.shape[1] == 1:  # binary logistic regression stores one column
            p1 = 1.0 / (1.0 + np.exp(-z[:, 0]))
            return np.column_stack([1 - p1, p1])
        z -= z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        return z

    def _proba_fast(self, text: str) -> np.ndarray:
        """One text without building a sparse matrix: the same TF-IDF (l2) and softmax, ~10× faster."""
        counts: dict[int, int] = {}
        vocab = self._vocab
        for feat in self._analyze(text):
            j = vocab.get(feat)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        if not counts:
            z = self._intercept.astype(np.float64)
        else:
            idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            if self._sublinear:
                tf = 1.0 + np.log(tf)
            w = tf * self._idf[idx]
            w /= np.sqrt((w * w).sum())
            z = w @ self._coef[idx] + self._intercept
        z = z * self._inv_t
        if z.shape[0] == 1:
            p1 = 1.0 / (1.0 + np.exp(-z[0]))
            return np.array([1 - p1, p1])
        z = np.exp(z - z.max())
        return z / z.sum()

    def label_proba_one(self, text: str) -> dict[str, float]:
        """Probabilities keyed by the ledger's own labels."""
        return {label: float(p) for label, p in zip(self._classes, self._proba_fast(text))}

    def predict_proba_one(self, text: str) -> dict[str, float]:
        """Probabilities keyed by category code (or by the ledger's label when it has no code)."""
        row = self._proba_fast(text)
        out: dict[str, float] = {}
        for code, p in zip(self._codes, row):
            out[code] = out.get(code, 0.0) + float(p)
        return out

    def predict(self, texts: Sequence[str], batch: int = 512) -> list[tuple[str, float]]:
        """(label as in the training data, confidence) per text."""
        out: list[tuple[str, float]] = []
        if self._pipeline is None:  # loaded from its arrays: no reason to import scikit-learn now
            for text in texts:
                row = self._proba_fast(text)
                best = int(row.argmax())
                out.append((self._classes[best], float(row[best])))
            return out
        for start in range(0, len(texts), batch):
            proba = self._proba(list(texts[start : start + batch]))
            best = proba.argmax(axis=1)
            out.extend((self._classes[int(i)], float(proba[r, int(i)])) for r, i in enumerate(best))
        return out

    # -- persistence --

    def save(self, directory: str | Path) -> Path:
        import joblib

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        joblib.dump(self.pipeline, directory / MODEL_FILE, compress=3)
        terms = [""] * len(self._vocab)
        for term, j in self._vocab.items():
            terms[j] = term
        np.savez_compressed(
            directory / SERVING_FILE, format=np.array(SERVING_FORMAT), coef=self._coef, intercept=self._intercept,
            idf=self._idf, sublinear=np.array(self._sublinear), classes=np.array(self._classes, dtype=str),
            terms=np.array(terms, dtype=str),
        )
        (directory / META_FILE).write_text(json.dumps(self.meta, ensure_ascii=False, indent=2), encoding="utf-8")
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> TextModel:
        """Load a version folder, or the version a folder's CURRENT names (`resolve_model_dir`)."""
        directory = resolve_model_dir(directory)
        try:
            meta = json.loads((directory / META_FILE).read_text(encoding="utf-8"))
            if (directory / SERVING_FILE).is_file():
                model = cls(None, meta, arrays=_read_serving(directory / SERVING_FILE), directory=directory)
            else:  # a model saved before serving.npz existed
                import joblib

                model = cls(joblib.load(directory / MODEL_FILE), meta)
        except Exception as exc:  # noqa: BLE001 - truncated, edited or foreign files fail in many ways
            raise ModelDirectoryError(
                _("模型目录“%(path)s”中的模型文件已损坏或不是本系统训练的模型（%(error)s），请重新训练")
                % {"path": directory, "error": exc.__class__.__name__}
            ) from exc
        model.meta["path"] = str(directory)
        return model


def _read_serving(path: Path) -> dict[str, Any]:
    with np.load(path, allow_pickle=False) as npz:
        if int(npz["format"]) != SERVING_FORMAT:
            raise ValueError(f"serving format {int(npz['format'])}")
        return {
            "coef": npz["coef"], "intercept": npz["intercept"], "idf": npz["idf"], "sublinear": bool(npz["sublinear"]),
            "classes": [str(c) for c in npz["classes"]], "vocab": {str(t): j for j, t in enumerate(npz["terms"])},
        }


def _version_folder(path: Path) -> Path:
    missing = [name for name in (META_FILE, MODEL_FILE) if not (path / name).is_file()]
    if missing:
        raise ModelDirectoryError(
            _("模型目录“%(path)s”不完整，缺少 %(files)s，请重新训练") % {"path": path, "files": "、".join(missing)}
        )
    return path


def resolve_model_dir(path: str | Path) -> Path:
    """The version folder `path` means: itself (model.joblib + meta.json), or the one its CURRENT names.

    `train --out DIR` writes `DIR/<version>/` and `DIR/CURRENT`, so both DIR and DIR/<version> work.
    Every failure is a `ModelDirectoryError` with one Chinese line.
    """
    path = Path(path)
    if not path.is_dir():
        raise ModelDirectoryError(_("找不到模型目录“%(path)s”") % {"path": path})
    if (path / META_FILE).exists() or (path / MODEL_FILE).exists():
        return _version_folder(path)
    current = path / CURRENT_FILE
    if not current.is_file():
        raise ModelDirectoryError(
            _("目录“%(path)s”中既没有 CURRENT 文件，也没有模型文件；请给出 train --out 的目录或其中的版本目录")
            % {"path": path}
        )
    try:
        name = current.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        name = ""
    if not name or "/" in name or "\\" in name or not (path / name).is_dir():
        raise ModelDirectoryError(
            _("“%(path)s”指向的模型版本“%(name)s”不存在，请重新训练或改正该文件") % {"path": current, "name": name}
        )
    return _version_folder(path / name)


@dataclass
class Candidate:
    """One setting tried at training: a feature set and a lexicon weight, with its out-of-fold figures."""

    features: str
    lexicon_weight: float
    macro_f1: float
    accuracy: float

    def as_dict(self) -> dict[str, Any]:
        return {"features": self.features, "lexicon_weight": self.lexicon_weight,
                "macro_f1": round(self.macro_f1, 4), "accuracy": round(self.accuracy, 4)}


def _argmax_label(probs: dict[str, float]) -> str:
    return max(probs, key=lambda k: (probs[k], k))


def score_candidates(
    labels: Sequence[str],
    oof_proba: dict[str, Sequence[dict[str, float]]],
    lexicon_proba: Sequence[dict[str, float]] | None,
    links: dict[str, str],
    weights: Sequence[float] = LEXICON_WEIGHTS,
) -> list[Candidate]:
    """Every (features, lexicon weight) on the same out-of-fold probabilities, best first.

    A weight above 0 is tried only when the lexicon can vote, i.e. some labels are linked to a
    category: on a foreign taxonomy the blend would be the model's answer under another name.
    Ties, to the three decimals the report shows, go to the earlier (cheaper) feature set and the
    smaller lexicon weight: a difference below 0.001 macro-F1 is not worth jieba or a stronger blend.
    """
    can_blend = bool(links) and lexicon_proba is not None
    out = []
    for feat, proba in oof_proba.items():
        for w in weights:
            if w > 0 and not can_blend:
                continue
            preds = [
                _argmax_label(blend_label_proba(p, lexicon_proba[i] if lexicon_proba else {}, links, w))
                for i, p in enumerate(proba)
            ]
            right = sum(a == b for a, b in zip(labels, preds))
            out.append(Candidate(feat, float(w), _quick_macro_f1(list(labels), preds), right / len(labels)))
    order = list(oof_proba)
    out.sort(key=lambda c: (-round(c.macro_f1, 3), order.index(c.features), c.lexicon_weight))
    return out


def train(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    features: str = "auto",
    folds: int = 5,
    label_codes: dict[str, str] | None = None,
    lexicon_proba: Sequence[dict[str, float]] | None = None,
    lexicon_weights: Sequence[float] = LEXICON_WEIGHTS,
    baseline: bool = True,
    source: str = "",
    progress: Callable[[int], None] | None = None,
) -> tuple[TextModel, dict[str, EvaluationReport]]:
    """Choose features and blend weight by cross-validation, fit the choice on all data.

    1. Validate the data (every class needs two examples).
    2. k-fold cross-validate each candidate feature set (stratified, seed 0), keeping the
       out-of-fold probabilities; and the baseline on the same folds.
    3. Calibrate each feature set's out-of-fold probabilities by temperature scaling (`fit_temperature`),
       then score every (features, lexicon weight) on them blended with `lexicon_proba` (the lexicon's
       probabilities per text, by category code) as `predict` blends them; pick the best.
    4. Fit the chosen features on all rows; record version, data hash, the choice, every candidate's
       figure and the baseline's in its metadata.
    """
    texts = [str(t) for t in texts]
    labels = [str(v) for v in labels]
    folds = check_training_data(texts, labels, folds)
    links = dict(label_codes or {})
    candidates = FEATURES if features == "auto" else (features,)
    reports: dict[str, EvaluationReport] = {}
    oof: dict[str, list[dict[str, float]]] = {}
    temperatures: dict[str, float] = {}
    calibrate = _calibrates(links, lexicon_proba)
    for feat in candidates:
        reports[feat], _preds, raw = cross_validate(texts, labels, features=feat, folds=folds, progress=progress)
        temperatures[feat] = fit_temperature(labels, raw) if calibrate else 1.0
        oof[feat] = [with_temperature(p, temperatures[feat]) for p in raw]
    if baseline:
        reports[BASELINE] = cross_validate(texts, labels, features=BASELINE, folds=folds, progress=progress)[0]
    scored = score_candidates(labels, oof, lexicon_proba, links, lexicon_weights)
    best = scored[0]
    if not links:
        why = "no_linked_labels"
    elif lexicon_proba is None:
        why = "no_lexicon"
    else:
        why = "cross_validation"
    pipeline = build_pipeline(best.features)
    pipeline.fit(texts, labels)
    if progress:
        progress(1)
    digest = data_hash(texts, labels)
    now = datetime.now(UTC)
    counts: dict[str, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    meta = {
        "version": f"{now:%Y%m%d-%H%M%S}-{digest[:6]}",
        "created_at": now.isoformat(),
        "features": best.features,
        # The blend `(1 - w)·model + w·lexicon` that `suggest()` and `predict` use with this model.
        "lexicon_weight": best.lexicon_weight,
        "lexicon_weight_chosen_by": why,
        # Temperature scaling of the model's probabilities, fitted on its out-of-fold probabilities.
        "temperature": temperatures[best.features],
        "n_samples": len(texts),
        "class_counts": counts,
        "labels": sorted(counts),
        "label_codes": links,
        "data_hash": digest,
        "source": source,
        "metrics": {feat: _metrics_summary(r) for feat, r in reports.items()},
        "selection": {
            "folds": folds,
            "seed": 0,
            "chosen": best.as_dict(),
            "candidates": [c.as_dict() for c in scored],
            "temperatures": temperatures,
            "baseline": _metrics_summary(reports[BASELINE]) if BASELINE in reports else None,
        },
        "evaluation": reports[best.features].as_dict(),
    }
    return TextModel(pipeline, meta), reports


def evaluate_choice(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    folds: int = 5,
    features: Sequence[str] = FEATURES,
    label_codes: dict[str, str] | None = None,
    lexicon_proba: Sequence[dict[str, float]] | None = None,
    lexicon_weights: Sequence[float] = LEXICON_WEIGHTS,
    progress: Callable[[int], None] | None = None,
) -> tuple[EvaluationReport, EvaluationReport, list[dict[str, Any]]]:
    """Nested cross-validation of what `train` does: honest figures for the chosen setting.

    On each outer fold (the same stratified folds as `cross_validate`, seed 0) the choice is made by
    inner cross-validation on the other folds only (the temperature too), then scored on the fold it
    never saw. Returns the learned model alone (chosen features), the blend (chosen features and weight), and the
    choice made on each fold.
    """
    from sklearn.model_selection import StratifiedKFold

    texts = [str(t) for t in texts]
    labels = [str(v) for v in labels]
    folds = check_training_data(texts, labels, folds)
    links = dict(label_codes or {})
    y = np.array(labels, dtype=object)
    alone, blended = [""] * len(texts), [""] * len(texts)
    choices = []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    for train_idx, test_idx in splitter.split(texts, y):
        tr_texts = [texts[i] for i in train_idx]
        tr_labels = [labels[i] for i in train_idx]
        tr_lex = [lexicon_proba[i] for i in train_idx] if lexicon_proba is not None else None
        try:
            inner = check_training_data(tr_texts, tr_labels, folds)
        except TrainingDataError as exc:
            raise TrainingDataError(_("嵌套交叉验证要求每个类别在每折之外仍有至少2条样本，请减少折数或补充样本")) from exc
        oof, temps = {}, {}
        for f in features:
            raw = cross_validate(tr_texts, tr_labels, features=f, folds=inner)[2]
            temps[f] = fit_temperature(tr_labels, raw) if _calibrates(links, tr_lex) else 1.0
            oof[f] = [with_temperature(p, temps[f]) for p in raw]
        best = score_candidates(tr_labels, oof, tr_lex, links, lexicon_weights)[0]
        choices.append({**best.as_dict(), "temperature": temps[best.features]})
        pipe = build_pipeline(best.features)
        pipe.fit(tr_texts, y[train_idx])
        classes = list(pipe.classes_)
        for row, i in zip(pipe.predict_proba([texts[i] for i in test_idx]), test_idx):
            p = with_temperature(dict(zip(classes, (float(v) for v in row))), temps[best.features])
            alone[i] = _argmax_label(p)
            lex = lexicon_proba[i] if lexicon_proba is not None else {}
            blended[i] = _argmax_label(blend_label_proba(p, lex, links, best.lexicon_weight))
        if progress:
            progress(1)
    feats = "/".join(sorted({c["features"] for c in choices}, key=list(features).index))
    return (
        report_from_predictions(labels, alone, features=f"chosen:{feats}", folds=folds),
        report_from_predictions(labels, blended, features=f"chosen:{feats}+lexicon", folds=folds),
        choices,
    )


def _metrics_summary(report: EvaluationReport) -> dict[str, Any]:
    return {
        "macro_f1": round(report.macro_f1, 4),
        "macro_f1_ci": [round(v, 4) for v in report.macro_f1_ci],
        "accuracy": round(report.accuracy, 4),
        "folds": report.folds,
    }


def _label_key(text: str) -> str:
    """How labels are compared: full/half width, traditional/simplified, case and spaces do not count."""
    from yimen.triage.normalize import normalize_text

    return _SPACES.sub("", normalize_text(str(text))).lower()


_SPACES = re.compile(r"\s+")
# Endings a ledger adds to a category's name ("劳资纠纷", "物业问题", "咨询类") that do not change it.
_LABEL_ENDINGS = ("纠纷", "问题", "类")


def label_codes_for(labels: Sequence[str], config) -> dict[str, str]:
    """Link ledger labels ("劳资纠纷", "labour", "物 业", "勞資/欠薪") to category codes where it is unambiguous.

    A label links when, after normalisation (`_label_key`), it is a code, a category's label, a part of
    a label ("劳资" of "劳资/欠薪"), or one of those with a usual ending; otherwise when exactly one
    label part of 2+ characters is inside it. Labels that link to nothing are the ledger's own.
    """
    by_key: dict[str, str] = {}
    parts: dict[str, str] = {}
    for c in config.categories:
        by_key[_label_key(c.code)] = c.code
        by_key[_label_key(c.label)] = c.code
        for piece in _label_key(c.label).replace("／", "/").split("/"):
            if piece:
                parts[piece] = c.code
    out: dict[str, str] = {}
    for label in set(labels):
        key = _label_key(label)
        stem = key
        for ending in _LABEL_ENDINGS:
            stem = stem.removesuffix(ending)
        code = by_key.get(key) or parts.get(key) or by_key.get(stem) or parts.get(stem)
        if code is None and stem:
            hits = {code for piece, code in parts.items() if len(piece) >= 2 and (piece in stem or stem in piece)}
            code = hits.pop() if len(hits) == 1 else None
        if code is not None:
            out[str(label)] = code
    return out
