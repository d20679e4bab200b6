"""Services around the learned model: train from a ledger or the database, evaluate, activate, predict."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yimen.triage import classify, paths
from yimen.triage.config import TriageConfig, _django_ready, get_config
from yimen.triage.ledger import read_ledger
from yimen.triage.normalize import normalize_text
from yimen.triage.textmodel import (
    CURRENT_FILE,
    EvaluationReport,
    TextModel,
    TrainingDataError,
    _,
    label_codes_for,
    report_from_predictions,
    train,
)

logger = logging.getLogger(__name__)


@dataclass
class TrainResult:
    model: TextModel
    path: Path
    reports: dict[str, EvaluationReport]
    skipped_rows: int
    registered: bool
    activated: bool = False

    @property
    def linked_labels(self) -> dict[str, str]:
        """Ledger label → category code, for the labels that name a category."""
        return self.model.label_codes

    @property
    def own_labels(self) -> list[str]:
        """The ledger's labels that name no category: the model still learns and answers them."""
        return [label for label in self.model.meta["labels"] if label not in self.model.label_codes]

    def labels_text(self, config: TriageConfig | None = None) -> str:
        """The training report's lines on labels: which were linked to a category and which not."""
        config = config or get_config()
        linked = self.linked_labels
        lines = []
        if linked:
            shown = "、".join(f"{label}→{config.category_label(code)}（{code}）" for label, code in sorted(linked.items()))
            lines.append(_("已对应到类别的台账类别 %(n)s 个：%(labels)s") % {"n": len(linked), "labels": shown})
        if self.own_labels:
            lines.append(
                _("未对应到类别的台账类别 %(n)s 个（模型照样学习并按原名预测；可在管理后台“模型类别对应”中指定或新建类别）：%(labels)s")
                % {"n": len(self.own_labels), "labels": "、".join(self.own_labels)}
            )
        return "\n".join(lines)


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
    activate: bool = False,
    source: str = "",
    config: TriageConfig | None = None,
    progress: Callable[[int], None] | None = None,
) -> TrainResult:
    """Train on the labels as they are, save under `out_dir/<version>/`, register; activate only if asked.

    1. Normalise the texts the same way `suggest()` does, so training and use see the same input.
    2. Link the labels that name a category (`label_codes_for`); the others stay the ledger's own.
    3. Choose the feature set and the lexicon weight of the blend by cross-validation on these rows,
       beside the baseline on the same folds, and fit the choice (`textmodel.train`); with no label
       linked the lexicon cannot vote, and the weight is 0.
    4. Save, and point `out_dir/CURRENT` at the version — unless the site reads that folder and
       activation was not asked for: training must not change the site's model by itself.
    5. Register a `TriageModelVersion` with its label links when a database is available (inactive
       unless `activate`).
    """
    config = config or get_config()
    norm = [normalize_text(t).lower() for t in texts]
    links = label_codes_for(labels, config)
    model, reports = train(
        norm, labels, features=features, folds=folds, label_codes=links,
        lexicon_proba=lexicon_proba(norm, config) if links else None, source=source, progress=progress,
    )
    root = Path(out_dir) if out_dir else paths.models_dir()
    path = model.save(root / model.version)
    if activate or not _site_reads(root):
        (root / CURRENT_FILE).write_text(model.version, encoding="utf-8")
    registered = _register(model, path, activate=activate)
    # Without a database the site reads only its own folder's CURRENT (or YIMEN_TRIAGE_MODEL).
    activated = activate and (registered or _site_reads(root))
    if activated:
        classify.forget_models()
    return TrainResult(model, path, reports, 0, registered, activated)


def _site_reads(root: Path) -> bool:
    """Whether the site takes its model from `root`'s CURRENT (see `classify._resolve_active_model`)."""
    root = root.resolve()
    explicit = paths.setting("YIMEN_TRIAGE_MODEL", "")
    return root == paths.models_dir().resolve() or bool(explicit and root == Path(explicit).resolve())


def _register(model: TextModel, path: Path, *, activate: bool) -> bool:
    if not _django_ready():
        return False
    try:
        from django.db import transaction

        from yimen.triage.models import LabelLinkKind, TriageModelLabel, TriageModelVersion

        with transaction.atomic():
            if activate:
                TriageModelVersion.objects.filter(is_active=True).update(is_active=False)
            row, _created = TriageModelVersion.objects.update_or_create(
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
            row.label_links.all().delete()
            counts = model.meta.get("class_counts", {})
            TriageModelLabel.objects.bulk_create(
                TriageModelLabel(
                    model_version=row,
                    label=label[:100],
                    samples=counts.get(label, 0),
                    category_code=model.label_codes.get(label, ""),
                    linked_how=LabelLinkKind.AUTO if label in model.label_codes else LabelLinkKind.NONE,
                )
                for label in model.meta["labels"]
            )
        return True
    except Exception as exc:  # noqa: BLE001 - no database or no tables yet: the folder still holds the model
        # One line: `yimen triage train` prints warnings, and training itself succeeded.
        logger.warning("could not register triage model %s in the database: %s", model.version, exc)
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


def lexicon_proba(match_texts: Sequence[str], config: TriageConfig | None = None) -> list[dict[str, float]]:
    """The lexicon's probabilities by category code for each (normalised, lower-cased) text."""
    config = config or get_config()
    return [classify.lexicon_probabilities(classify.lexicon_scores(t, config)[0], config) for t in match_texts]


def choice_text(meta: dict[str, Any], config: TriageConfig | None = None) -> str:
    """The training report's lines on the choice: every candidate's figure, the choice, the baseline."""
    sel = meta.get("selection") or {}
    cands = sel.get("candidates") or []
    if not cands:
        return ""
    lines = [_("== 交叉验证选择（%(folds)s 折，同一折；macro-F1）==") % {"folds": sel.get("folds")}]
    by_feat: dict[str, list[dict[str, Any]]] = {}
    for c in cands:
        by_feat.setdefault(c["features"], []).append(c)
    width = max(len(f) for f in by_feat) + 1
    for feat, rows in by_feat.items():
        rows = sorted(rows, key=lambda c: c["lexicon_weight"])
        parts = [
            (_("仅模型 %(f1).3f") if c["lexicon_weight"] == 0 else _("词库权重 %(w)s：%(f1).3f"))
            % {"w": f"{c['lexicon_weight']:g}", "f1": c["macro_f1"]}
            for c in rows
        ]
        lines.append(f"  {feat:<{width}}" + "；".join(parts))
    chosen = sel["chosen"]
    lines.append(
        _("选定：特征 %(features)s，词库权重 %(w)s（模型 %(m)s），macro-F1 %(f1).3f，准确率 %(acc).3f")
        % {"features": chosen["features"], "w": f"{chosen['lexicon_weight']:g}", "m": f"{1 - chosen['lexicon_weight']:g}",
           "f1": chosen["macro_f1"], "acc": chosen["accuracy"]}
    )
    temperature = float(meta.get("temperature") or 1.0)
    if temperature != 1.0:
        lines.append(
            _("模型概率已按温度缩放校准：T = %(t)s（在交叉验证的样外概率上使对数损失最小；只改变置信度，不改变答案）")
            % {"t": f"{temperature:.2f}"}
        )
    if meta.get("lexicon_weight_chosen_by") == "no_linked_labels":
        lines.append(_("台账类别都未对应到系统类别，词库无法为它们投票：词库权重为 0（只用模型）；在管理后台对应类别后重新训练才会比较混合权重"))
    base = sel.get("baseline")
    if base:
        lines.append(
            _("基线 TF-IDF（字 1–2 元）+ LinearSVC，同一折：macro-F1 %(f1).3f，准确率 %(acc).3f；选定设置 %(diff)+.3f")
            % {"f1": base["macro_f1"], "acc": base["accuracy"], "diff": chosen["macro_f1"] - base["macro_f1"]}
        )
    lines.append(_("（这些数字用于选择，对选定设置略偏乐观；无偏的数字见 evaluate 的嵌套交叉验证）"))
    return "\n".join(lines)


def model_labels_create_categories(*, version: str) -> list[str]:
    """Create a category (`CategoryProfile`) for each label of `version` that links to none; link them.

    1. Refuse while the categories are still the default files': a first profile row would replace
       the whole default tree (`rules_db.config_from_db`), so `load-defaults` must come first.
    2. Give each new category a stable code from its label (`ledger-` + 6 hex of its hash).
    3. Link the labels, and tell the apps (`hooks.categories_created`) in the same transaction, so
       that the matters' own category tree gains the same codes: a matter can take the category the
       model now proposes.
    4. Invalidate the config and the model cache on commit.
    Returns the codes created.
    """
    from django.db import transaction

    from yimen.common.errors import InvalidInput
    from yimen.triage import config as config_mod
    from yimen.triage.hooks import categories_created
    from yimen.triage.models import CategoryProfile, LabelLinkKind, TriageModelLabel

    if not CategoryProfile.objects.exists():
        raise InvalidInput(_("类别仍是默认文件中的类别，请先执行“yimen triage load-defaults”把类别载入数据库，再新建类别"))
    created, linked = [], []
    with transaction.atomic():
        links = TriageModelLabel.objects.select_for_update().filter(model_version__version=version, category_code="")
        for link in links:
            code = "ledger-" + hashlib.sha1(link.label.encode("utf-8")).hexdigest()[:6]
            profile, made = CategoryProfile.objects.get_or_create(code=code, defaults={"label": link.label[:64], "sort_order": 900})
            if made:
                created.append(code)
            linked.append((profile.code, profile.label, profile.domain))
            link.category_code = profile.code
            link.linked_how = LabelLinkKind.CREATED
            link.save(update_fields=["category_code", "linked_how"])
        if linked:
            # Also for a profile that already existed: its matter category may have been deleted since.
            categories_created.send(sender=CategoryProfile, categories=linked)
        transaction.on_commit(config_mod.invalidate)
        transaction.on_commit(classify.forget_models)
    return created


def model_label_link(*, link_id: int, category_code: str) -> None:
    """Map one label of a trained model to a category (blank: to none), as an administrator decided."""
    from django.db import transaction

    from yimen.common.errors import InvalidInput
    from yimen.triage.models import LabelLinkKind, TriageModelLabel

    code = category_code.strip()
    if code and code not in get_config().category_by_code:
        raise InvalidInput(_("没有代码为“%(code)s”的类别") % {"code": code}, field="category_code")
    with transaction.atomic():
        link = TriageModelLabel.objects.select_for_update().get(pk=link_id)
        link.category_code = code
        link.linked_how = LabelLinkKind.ADMIN if code else LabelLinkKind.NONE
        link.save(update_fields=["category_code", "linked_how"])
        transaction.on_commit(classify.forget_models)
