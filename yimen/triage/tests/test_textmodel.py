import numpy as np
import pytest

from yimen.triage.textmodel import (
    TextModel,
    TrainingDataError,
    bootstrap_ci,
    cross_validate,
    label_codes_for,
    macro_f1,
    train,
)

TEXTS = (
    [f"老板拖欠工资{i}个月不发，工人讨薪" for i in range(12)]
    + [f"楼上噪音太大{i}点还在跺脚吵得睡不着" for i in range(12)]
    + [f"邻居借了我{i}万块钱不还，欠条在我这" for i in range(12)]
)
LABELS = ["劳资纠纷"] * 12 + ["噪声扰民"] * 12 + ["债务纠纷"] * 12


def test_macro_f1_of_perfect_predictions_is_one_and_of_wrong_ones_zero():
    y = np.array([0, 1, 2, 0])
    assert macro_f1(y, y, 3) == 1.0
    assert macro_f1(y, np.array([1, 2, 0, 1]), 3) == 0.0
    lo, hi = bootstrap_ci(y, y, 3, rounds=50)
    assert lo == hi == 1.0


def test_cross_validation_reports_per_class_figures_and_confusion():
    report, preds, proba = cross_validate(TEXTS, LABELS, features="char", folds=3)
    assert report.n_samples == 36 and report.folds == 3
    assert report.macro_f1 > 0.9
    assert report.macro_f1_ci[0] <= report.macro_f1 <= report.macro_f1_ci[1]
    assert set(report.per_class) == set(LABELS)
    assert sum(map(sum, report.confusion)) == 36
    assert len(preds) == 36 and abs(sum(proba[0].values()) - 1) < 1e-6
    assert "macro-F1" in report.as_text()


def test_training_compares_features_and_saves_a_versioned_model(tmp_path, config):
    model, reports = train(TEXTS, LABELS, features="auto", folds=3, label_codes=label_codes_for(LABELS, config))
    assert set(reports) == {"char", "jieba", "both", "char+lex", "char1+lex", "baseline"}
    assert model.meta["features"] in ("char", "jieba", "both", "char+lex", "char1+lex")
    assert model.meta["label_codes"] == {"劳资纠纷": "labour", "噪声扰民": "noise", "债务纠纷": "debt"}
    path = model.save(tmp_path / model.version)
    loaded = TextModel.load(path)
    assert loaded.version == model.version
    assert loaded.predict(["包工头不给工钱"])[0][0] == "劳资纠纷"
    probs = loaded.predict_proba_one("楼上半夜吵")
    assert max(probs, key=probs.get) == "noise"
    assert abs(sum(probs.values()) - 1) < 1e-6


def test_a_class_with_one_example_is_refused_in_chinese():
    with pytest.raises(TrainingDataError, match="样本少于2条"):
        train(TEXTS + ["孤例"], LABELS + ["其他类"], features="char")


def test_labels_map_onto_category_codes_where_unambiguous(config):
    mapping = label_codes_for(["labour", "劳资/欠薪", "物业", "交通事故纠纷", "奇怪的类"], config)
    assert mapping == {"labour": "labour", "劳资/欠薪": "labour", "物业": "property", "交通事故纠纷": "traffic"}


@pytest.mark.parametrize("features", ["char", "jieba", "both", "char+lex", "char1+lex"])
def test_the_fast_single_text_path_matches_scikit_learn(features):
    model, _ = train(TEXTS, LABELS, features=features, folds=2)
    for text in ("老板不给工钱", "楼上吵", "完全无关的话"):
        sklearn = model.pipeline.predict_proba([text])[0] ** (1 / model.meta["temperature"])
        expected = sklearn / sklearn.sum()  # the temperature fitted at training, applied to scikit-learn's softmax
        assert np.allclose(model._proba_fast(text), expected, atol=1e-9)
        assert np.allclose(model._proba([text])[0], expected, atol=1e-9)



@pytest.mark.parametrize("features", ["char", "jieba", "both", "char+lex", "char1+lex"])
def test_a_reloaded_model_answers_from_its_arrays_exactly_as_the_pipeline_does(tmp_path, features):
    import csv
    from collections import Counter
    from pathlib import Path

    from yimen.triage.textmodel import serving_analyzer

    model, _ = train(TEXTS, LABELS, features=features, folds=2, baseline=False)
    loaded = TextModel.load(model.save(tmp_path / model.version))
    assert loaded._pipeline is None  # nothing of scikit-learn was read

    evalset = Path(__file__).resolve().parents[1] / "data" / "evalset.csv"
    texts = [r["text"] for r in csv.DictReader(evalset.open(encoding="utf-8"))][::9] + ["  Ａ B\t\tc  ", "完全无关的话"]
    sklearn_analyzer = model.pipeline.named_steps["tfidf"].build_analyzer()
    own = serving_analyzer(features)
    for text in texts:
        assert Counter(own(text)) == Counter(sklearn_analyzer(text)), text
        assert loaded.label_proba_one(text) == pytest.approx(model.label_proba_one(text), abs=1e-12)
    answers, expected = loaded.predict(texts), model.predict(texts)
    assert [label for label, _ in answers] == [label for label, _ in expected]
    assert [c for _, c in answers] == pytest.approx([c for _, c in expected], abs=1e-12)
    assert loaded.pipeline.named_steps["clf"].classes_.tolist() == model._classes  # still there when asked for


def test_a_worker_answers_with_a_saved_model_without_importing_scikit_learn(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    model, _ = train(TEXTS, LABELS, features="char+lex", folds=2, baseline=False)
    path = model.save(tmp_path / model.version)
    code = (
        "import sys; from yimen.triage.textmodel import TextModel; "
        f"m = TextModel.load({str(path)!r}); print(m.predict(['老板不给工钱'])[0][0], 'sklearn' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parents[3])
    assert done.stdout.split() == ["劳资纠纷", "False"]


def test_a_model_saved_before_its_arrays_were_still_loads_from_the_pipeline(tmp_path):
    from yimen.triage.textmodel import SERVING_FILE

    model, _ = train(TEXTS, LABELS, features="char", folds=2, baseline=False)
    path = model.save(tmp_path / model.version)
    (path / SERVING_FILE).unlink()
    loaded = TextModel.load(path)
    assert loaded._pipeline is not None
    assert loaded.label_proba_one("楼上吵") == pytest.approx(model.label_proba_one("楼上吵"), abs=1e-12)


def test_single_characters_with_the_lexicon_are_compared_by_the_choice_and_survive_a_reload(tmp_path):
    model, reports = train(TEXTS, LABELS, features="auto", folds=3, baseline=False)
    figures = {c["features"]: c["macro_f1"] for c in model.meta["selection"]["candidates"]}
    assert figures["char1+lex"] == round(reports["char1+lex"].macro_f1, 4)  # scored on the same folds
    assert model.meta["metrics"]["char1+lex"]["folds"] == 3

    chosen, _ = train(TEXTS, LABELS, features="char1+lex", folds=3, baseline=False)
    unseen = ["包工头不给工钱", "楼上半夜吵", "借钱不还", "完全无关的话"]
    before = chosen.predict(unseen)
    assert [label for label, _ in before[:3]] == ["劳资纠纷", "噪声扰民", "债务纠纷"]

    loaded = TextModel.load(chosen.save(tmp_path / chosen.version))

    assert loaded.meta["features"] == "char1+lex" and loaded.meta["temperature"] == chosen.meta["temperature"]
    after = loaded.predict(unseen)
    assert [label for label, _ in after] == [label for label, _ in before]
    assert [c for _, c in after] == pytest.approx([c for _, c in before], abs=1e-12)
    for text in unseen:
        assert loaded.label_proba_one(text) == pytest.approx(chosen.label_proba_one(text), abs=1e-12)


def _foreign_ledger() -> tuple[list[str], list[str]]:
    import csv
    from pathlib import Path

    from yimen.triage.normalize import normalize_text

    path = Path(__file__).resolve().parents[1] / "data" / "foreign_ledger.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8-sig")))
    return [normalize_text(r["text"]).lower() for r in rows], [r["label"] for r in rows]


def test_on_a_foreign_ledger_the_confidence_means_about_what_it_says_on_rows_never_seen():
    texts, labels = _foreign_ledger()
    held = set(range(0, len(texts), 3))
    train_rows = [i for i in range(len(texts)) if i not in held]
    model, _ = train([texts[i] for i in train_rows], [labels[i] for i in train_rows], features="char1+lex",
                     folds=3, baseline=False)
    raw = TextModel(model.pipeline, {**model.meta, "temperature": 1.0})
    held_texts, truth = [texts[i] for i in sorted(held)], [labels[i] for i in sorted(held)]

    def gap(m):  # mean confidence minus the share of right answers
        answers = m.predict(held_texts)
        right = np.mean([label == t for (label, _), t in zip(answers, truth)])
        return np.mean([c for _, c in answers]) - right, [label for label, _ in answers]

    calibrated_gap, calibrated_answers = gap(model)
    raw_gap, raw_answers = gap(raw)

    assert model.meta["temperature"] < 1  # the softmax was under-confident: sharpened
    assert calibrated_answers == raw_answers  # the same answers, only the confidence moves
    assert raw_gap < -0.1 and abs(calibrated_gap) < abs(raw_gap) / 2


def test_where_the_lexicon_votes_the_blend_weight_alone_sets_the_scale(config):
    links = label_codes_for(LABELS, config)
    model, _ = train(TEXTS, LABELS, features="char", folds=3, label_codes=links,
                     lexicon_proba=[{} for _ in TEXTS], baseline=False)
    assert model.meta["temperature"] == 1.0
    foreign, _ = train(TEXTS, LABELS, features="char", folds=3, baseline=False)
    assert foreign.meta["temperature"] != 1.0
