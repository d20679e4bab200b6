"""Services around the learned model: train from a ledger or the database, evaluate, activate, predict."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yimen.triage import classify, paths
from yimen.triage.config import TriageConfig, _django_ready, get_config
from yimen.triage.ledger import read_ledger
from yimen.triage.normalize import normalize_text
from yimen.triage.textmodel import EvaluationReport, TextModel, TrainingDataError, label_codes_for, report_from_predictions, train

logger = logging.getLogger(__name__)


@dataclass
class TrainResult:
    model: TextModel
    path: Path
    reports: dict[str, EvaluationReport]
    skipped_rows: int
    registered: bool


def load_pairs(path: str | Path, text_column: str, label_column: str) -> tuple[list[str], list[str], int]:
    """(texts, labels, skipped) from a ledger; rows without text or label are skipped and counted."""
    ledger = read_ledger(path, required=(text_column, label_column))
    texts, labels, skipped = [], [], 0
    for text, label in zip(ledger.column(text_column), ledger.column(label_column)):
        if text and label:
            texts.append(text)
            labels.append(label)
        else:
            skipped += 1
    if not texts:
        raise TrainingDataError(f"“{text_column}”和“{label_column}”两列都有内容的行为0，无法训练")
    return texts, labels, skipped


def model_train(
    *,
    texts: Sequence[str],
    labels: Sequence[str],
    out_dir: str | Path | None = None,
    features: str = "auto",
    folds: int = 5,
    activate: bool = True,
    source: str = "",
    config: TriageConfig | None = None,
    progress: Callable[[int], None] | None = None,
) -> TrainResult:
    """Train, save under `out_dir/<version>/`, register the version and (by default) activate it.

    1. Normalise the texts the same way `suggest()` does, so training and use see the same input.
    2. Cross-validate the feature sets and fit the best (`textmodel.train`).
    3. Save; register a `TriageModelVersion` when a database is available, else write CURRENT.
    """
    config = config or get_config()
    norm = [normalize_text(t).lower() for t in texts]
    model, reports = train(
        norm, labels, features=features, folds=folds, label_codes=label_codes_for(labels, config), source=source, progress=progress
    )
    root = Path(out_dir) if out_dir else paths.models_dir()
    path = model.save(root / model.version)
    registered = _register(model, path, activate=activate)
    if activate:
        if not registered:
            (root / "CURRENT").write_text(model.version, encoding="utf-8")
        classify.forget_models()
    return TrainResult(model, path, reports, 0, registered)


def _register(model: TextModel, path: Path, *, activate: bool) -> bool:
    if not _django_ready():
        return False
    try:
        from django.db import transaction

        from yimen.triage.models import TriageModelVersion

        with transaction.atomic():
            if activate:
                TriageModelVersion.objects.filter(is_active=True).update(is_active=False)
            TriageModelVersion.objects.update_or_create(
                version=model.version,
                defaults={
                    "path": str(path.resolve()),
                    "features": model.meta["features"],
                    "n_samples": model.meta["n_samples"],
                    "labels": model.meta["labels"],
                    "metrics": model.meta["metrics"],
                    "source": model.meta.get("source", "")[:300],
                    "is_active": activate,
                },
            )
        return True
    except Exception:  # noqa: BLE001 - no tables yet: the CURRENT file still activates the model
        logger.warning("could not register triage model %s in the database", model.version, exc_info=True)
        return False


def model_activate(*, version: str) -> None:
    from django.db import transaction

    from yimen.triage.models import TriageModelVersion

    with transaction.atomic():
        row = TriageModelVersion.objects.select_for_update().get(version=version)
        TriageModelVersion.objects.filter(is_active=True).exclude(pk=row.pk).update(is_active=False)
        row.is_active = True
        row.save(update_fields=["is_active"])
        transaction.on_commit(classify.forget_models)


def model_train_from_database(**kwargs: Any) -> TrainResult:
    """Train from the dispatchers' final decisions recorded by the learning loop."""
    from yimen.triage.learning import training_pairs

    pairs = training_pairs()
    if not pairs:
        raise TrainingDataError("数据库中还没有已研判的事项，无法训练；请先积累调度员的研判决定，或用台账文件训练")
    texts, labels = zip(*pairs)
    return model_train(texts=texts, labels=labels, source="database:SuggestionRecord", **kwargs)


def lexicon_predict(texts: Sequence[str], config: TriageConfig | None = None) -> list[tuple[str, float]]:
    config = config or get_config()
    out = []
    for t in texts:
        c = classify.classify(normalize_text(t).lower(), config, model=None)
        out.append((c.code, c.top[0].confidence))
    return out


def lexicon_report(texts: Sequence[str], labels: Sequence[str], config: TriageConfig | None = None) -> EvaluationReport | None:
    """The lexicon's figures on labelled data, when the labels map onto category codes."""
    config = config or get_config()
    mapping = label_codes_for(labels, config)
    if not mapping:
        return None
    keep = [(t, mapping[label]) for t, label in zip(texts, labels) if label in mapping]
    if not keep:
        return None
    preds = [code for code, _ in lexicon_predict([t for t, _ in keep], config)]
    return report_from_predictions([code for _, code in keep], preds, features="lexicon", folds=0)


def combined_report(
    texts: Sequence[str], labels: Sequence[str], oof_proba: Sequence[dict[str, float]], *, features: str, folds: int,
    weight: float | None = None, config: TriageConfig | None = None,
) -> EvaluationReport | None:
    """Out-of-fold figures of the lexicon blended with the model, as `suggest()` blends them."""
    config = config or get_config()
    mapping = label_codes_for(labels, config)
    if not mapping:
        return None
    w = classify.model_weight_setting() if weight is None else weight
    truth, preds = [], []
    for text, label, proba in zip(texts, labels, oof_proba):
        if label not in mapping:
            continue
        lex = classify.lexicon_probabilities(classify.lexicon_scores(normalize_text(text).lower(), config)[0], config)
        model_p: dict[str, float] = {}
        for lab, p in proba.items():
            code = mapping.get(lab)
            if code:
                model_p[code] = model_p.get(code, 0.0) + p
        codes = set(lex) | set(model_p)
        blend = {c: w * model_p.get(c, 0.0) + (1 - w) * lex.get(c, 0.0) for c in codes}
        truth.append(mapping[label])
        preds.append(max(blend, key=blend.get))
    return report_from_predictions(truth, preds, features=f"lexicon+{features}", folds=folds)
