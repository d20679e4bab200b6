"""The blend of lexicon and model is earned: chosen by cross-validation at training, saved, used (issue 14, item 3)."""

import csv
import io
import json
from pathlib import Path

import pytest

from yimen.triage import classify
from yimen.triage.cli import EXIT_OK, main
from yimen.triage.textmodel import META_FILE, TextModel, label_codes_for, train
from yimen.triage.training import lexicon_proba

EVALSET = Path(__file__).resolve().parents[1] / "data" / "evalset.csv"

# A centre whose labels name categories of the engine but mean something else by them: what it
# files as 劳资纠纷 speaks of noise, and its 噪声扰民 of wages. The lexicon can only mislead here.
_WAGE_TEXTS = [
    "老板拖欠工资三个月不发", "包工头欠我们工钱跑了", "厂里半年没发工资了", "工地结账时少给了两千块工钱",
    "公司以效益不好为由扣发工资", "讨薪多次老板一直推脱", "辞职后最后一个月工资不给结", "加班费一直没有发放",
]
_NOISE_TEXTS = [
    "楼上半夜跺脚吵得睡不着", "广场舞音响太吵了", "隔壁装修电钻声从早响到晚", "楼下烧烤店吵闹到凌晨",
    "工地夜间施工噪音扰民", "邻居家的狗整夜叫个不停", "酒吧音乐声太大影响休息", "空调外机噪声很大吵得心烦",
]


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def _write(path: Path, rows) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "label"])
        w.writerows(rows)
    return path


def _train_with_lexicon(texts, labels, config, **kw):
    links = label_codes_for(labels, config)
    return train(texts, labels, label_codes=links, lexicon_proba=lexicon_proba(texts, config), **kw)


def test_a_ledger_the_lexicon_only_misleads_gets_lexicon_weight_zero(config):
    texts = _WAGE_TEXTS + _NOISE_TEXTS
    labels = ["噪声扰民"] * 8 + ["劳资纠纷"] * 8  # linked by name, but swapped in meaning

    model, _ = _train_with_lexicon(texts, labels, config, features="char", folds=4, baseline=False)

    sel = model.meta["selection"]
    assert model.label_codes == {"噪声扰民": "noise", "劳资纠纷": "labour"}
    assert model.lexicon_weight == 0.0 and model.meta["lexicon_weight_chosen_by"] == "cross_validation"
    by_weight = {c["lexicon_weight"]: c["macro_f1"] for c in sel["candidates"]}
    assert set(by_weight) == {0.0, 0.25, 0.5, 0.75}  # the blend was tried, and lost
    assert by_weight[0.75] < by_weight[0.0]
    assert sel["chosen"] == {**sel["candidates"][0], "lexicon_weight": 0.0}


def test_where_the_lexicon_knows_the_labels_a_blend_is_chosen_and_the_report_shows_every_candidate_and_the_baseline(tmp_path):
    code, out, err = run(
        "train", "--data", str(EVALSET), "--text-column", "text", "--label-column", "category",
        "--out", str(tmp_path / "m"), "--features", "char", "--folds", "3", "-q",
    )

    assert code == EXIT_OK, err
    report = json.loads(out)
    sel = report["selection"]
    assert [c["lexicon_weight"] for c in sorted(sel["candidates"], key=lambda c: c["lexicon_weight"])] == [0.0, 0.25, 0.5, 0.75]
    assert report["lexicon_weight"] == sel["chosen"]["lexicon_weight"] > 0
    assert report["lexicon_weight_chosen_by"] == "cross_validation"
    assert sel["chosen"]["macro_f1"] == max(c["macro_f1"] for c in sel["candidates"])
    assert sel["baseline"]["folds"] == sel["folds"] == 3
    # The report states the choice, each candidate's figure and the baseline on the same folds.
    assert "== 交叉验证选择（3 折，同一折；macro-F1）==" in err
    model_alone = next(c for c in sel["candidates"] if c["lexicon_weight"] == 0)
    assert f"仅模型 {model_alone['macro_f1']:.3f}" in err
    assert f"选定：特征 char，词库权重 {report['lexicon_weight']:g}" in err
    assert f"基线 TF-IDF（字 1–2 元）+ LinearSVC，同一折：macro-F1 {sel['baseline']['macro_f1']:.3f}" in err
    saved = json.loads((Path(report["path"]) / META_FILE).read_text(encoding="utf-8"))
    assert saved["lexicon_weight"] == report["lexicon_weight"] and saved["selection"] == sel


def test_a_foreign_taxonomy_gets_weight_zero_because_the_lexicon_cannot_vote(tmp_path):
    rows = [(t, "甲类") for t in _WAGE_TEXTS] + [(t, "乙类") for t in _NOISE_TEXTS]
    data = _write(tmp_path / "f.csv", rows)

    code, out, err = run(
        "train", "--data", str(data), "--text-column", "text", "--label-column", "label",
        "--out", str(tmp_path / "m"), "--features", "char+lex", "--folds", "3", "-q",
    )

    assert code == EXIT_OK, err
    report = json.loads(out)
    assert report["lexicon_weight"] == 0.0 and report["lexicon_weight_chosen_by"] == "no_linked_labels"
    assert {c["lexicon_weight"] for c in report["selection"]["candidates"]} == {0.0}  # no blend to compare
    assert "词库无法为它们投票：词库权重为 0" in err
    # the model's probabilities are the answer here: calibrated, and the report says so
    assert report["temperature"] != 1.0 and f"T = {report['temperature']:.2f}" in err


def _linked_model(config):
    texts = _WAGE_TEXTS + _NOISE_TEXTS
    model, _ = _train_with_lexicon(texts, ["劳资纠纷"] * 8 + ["噪声扰民"] * 8, config, features="char", folds=2, baseline=False)
    return model


@pytest.mark.parametrize("lexicon_weight", [0.0, 0.75])
def test_suggestions_blend_with_the_weight_saved_in_the_model_not_the_setting(config, monkeypatch, lexicon_weight):
    monkeypatch.setenv("YIMEN_TRIAGE_MODEL_WEIGHT", "0.5")
    model = _linked_model(config)
    model.meta["lexicon_weight"] = lexicon_weight
    text = "工地老板拖欠农民工工资，晚上还在施工很吵"

    got = classify.classify(text, config, model=model)

    lex = classify.lexicon_probabilities(classify.lexicon_scores(text, config)[0], config)
    mod = model.predict_proba_one(text)
    for code in ("labour", "noise"):
        assert got.probabilities[code] == pytest.approx((1 - lexicon_weight) * mod[code] + lexicon_weight * lex.get(code, 0.0))
    assert got.source == ("model" if lexicon_weight == 0 else "lexicon+model")


def test_predict_uses_the_weight_saved_in_the_model_folder(tmp_path, config, monkeypatch):
    monkeypatch.setenv("YIMEN_TRIAGE_MODEL_WEIGHT", "0.5")
    model = _linked_model(config)
    text = "工地老板拖欠农民工工资，晚上还在施工很吵"
    data = _write(tmp_path / "in.csv", [(text, "")])
    confidences = {}
    for weight in (0.0, 0.75):
        model.meta["lexicon_weight"] = weight
        folder = model.save(tmp_path / f"v{weight}")
        classify.forget_models()
        code, out, err = run("predict", "--data", str(data), "--text-column", "text", "--model", str(folder), "-q")
        assert code == EXIT_OK, err
        confidences[weight] = float(next(csv.DictReader(io.StringIO(out)))["confidence"])

    loaded = TextModel.load(tmp_path / "v0.0")
    model_alone = max(loaded.label_proba_one(text).values())
    assert confidences[0.0] == pytest.approx(model_alone, abs=1e-4)  # weight 0: the model's own figure
    lex = classify.lexicon_probabilities(classify.lexicon_scores(text, config)[0], config)
    expected = classify.predict_in_model_labels(text, config, TextModel.load(tmp_path / "v0.75"), model_weight=0.25)
    assert lex and confidences[0.75] == pytest.approx(expected.confidence, abs=1e-4)
    at_setting = classify.predict_in_model_labels(text, config, TextModel.load(tmp_path / "v0.75"), model_weight=0.5)
    # the saved weight, neither the setting's 0.5 nor the model alone
    assert abs(confidences[0.75] - model_alone) > 1e-3 and abs(confidences[0.75] - at_setting.confidence) > 1e-3


def test_evaluate_scores_the_choice_on_folds_it_never_saw(tmp_path):
    rows = [(t, "劳资纠纷") for t in _WAGE_TEXTS] + [(t, "噪声扰民") for t in _NOISE_TEXTS]
    data = _write(tmp_path / "e.csv", rows)

    code, out, err = run("evaluate", "--data", str(data), "--text-column", "text", "--label-column", "label",
                         "--folds", "2", "--baseline", "-q")

    assert code == EXIT_OK, err
    report = json.loads(out)
    assert {"lexicon", "char", "jieba", "both", "char+lex", "char1+lex", "learned", "blend", "baseline"} <= set(report)
    assert report["learned"]["folds"] == report["blend"]["folds"] == report["baseline"]["folds"] == 2
    assert report["blend"]["n_samples"] == report["baseline"]["n_samples"] == 16
    assert "嵌套交叉验证" in err and "与基线" in err


def test_the_paired_interval_says_whether_a_path_beats_the_baseline_on_the_same_rows():
    from yimen.triage.textmodel import paired_difference_ci, report_from_predictions

    truth = ["甲", "乙", "丙"] * 20
    base_pred = ["甲"] * 60  # right on a third of the rows
    better = truth[:50] + base_pred[50:]
    base = report_from_predictions(truth, base_pred, features="baseline", folds=2)

    lo, hi = paired_difference_ci(report_from_predictions(truth, better, features="x", folds=2), base)
    assert 0 < lo <= hi
    assert paired_difference_ci(report_from_predictions(truth, base_pred, features="y", folds=2), base) == (0.0, 0.0)
    assert paired_difference_ci(report_from_predictions(truth[:30], better[:30], features="z", folds=2), base) is None


def test_a_weight_that_was_forced_not_chosen_gives_way_to_the_setting_once_labels_are_linked(config, monkeypatch):
    monkeypatch.setenv("YIMEN_TRIAGE_MODEL_WEIGHT", "0.8")
    texts = _WAGE_TEXTS + _NOISE_TEXTS
    foreign, _ = _train_with_lexicon(texts, ["甲类"] * 8 + ["乙类"] * 8, config, features="char", folds=2, baseline=False)
    assert foreign.lexicon_weight == 0.0 and foreign.meta["lexicon_weight_chosen_by"] == "no_linked_labels"

    linked_later = foreign.with_label_codes({"甲类": "labour", "乙类": "noise"})  # as the admin's mapping does

    assert classify.model_weight_for(linked_later) == 0.8
    assert classify.model_weight_for(_linked_model(config)) == 1.0 - _linked_model(config).lexicon_weight
