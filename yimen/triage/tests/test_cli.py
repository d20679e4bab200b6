import csv
import io
import json

import pytest
from openpyxl import Workbook, load_workbook

from yimen.triage.cli import EXIT_DATA, EXIT_OK, EXIT_USAGE, main
from yimen.triage.ledger import LedgerError, read_ledger

from .test_textmodel import LABELS, TEXTS


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def ledger_csv(tmp_path):
    path = tmp_path / "台账.csv"
    with open(path, "w", encoding="gb18030", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["编号", "诉求内容", "纠纷类型"])
        for i, (t, label) in enumerate(zip(TEXTS, LABELS)):
            w.writerow([i, t, label])
        w.writerow([99, "", "劳资纠纷"])
    return path


def test_suggest_prints_the_contract_json():
    code, out, _ = run("suggest", "包工头拖欠34名工人工资24万余元，老板跑路了", "--level", "township")
    assert code == EXIT_OK
    data = json.loads(out)
    assert data["category"] == "labour"
    assert data["category_top3"][0]["label"] == "劳资/欠薪"
    assert {s["name"] for s in data["signals"]} >= {"money", "headcount", "fled"}
    assert data["risk"]["code"] in ("red", "yellow")
    assert data["units"][0]["role"] == "lead"
    assert isinstance(data["legal_basis"], list) and isinstance(data["repeats"], list)


def test_suggest_with_guide_adds_the_handling_guide():
    code, out, _ = run("suggest", "楼上漏水把我家泡坏了", "--guide")
    assert code == EXIT_OK
    assert json.loads(out)["guidance"]["approach"]


def test_train_predict_and_evaluate_on_a_gbk_ledger(tmp_path, ledger_csv):
    code, out, err = run(
        "train", "--data", str(ledger_csv), "--text-column", "诉求内容", "--label-column", "纠纷类型",
        "--out", str(tmp_path / "models"), "--folds", "3", "-q",
    )
    assert code == EXIT_OK, err
    trained = json.loads(out)
    assert trained["n_samples"] == 36 and "跳过 1 行" in err
    assert set(trained["metrics"]) == {"char", "jieba", "both", "char+lex", "char1+lex", "baseline"}

    out_file = tmp_path / "预测.xlsx"
    code, _, err = run(
        "predict", "--data", str(ledger_csv), "--text-column", "诉求内容", "--model", trained["path"], "--out", str(out_file), "-q"
    )
    assert code == EXIT_OK, err
    rows = list(load_workbook(out_file).active.iter_rows(values_only=True))
    assert rows[0][-3:] == ("predicted", "predicted_label", "confidence")
    # The ledger's own label in `predicted`, the category it links to in `predicted_label`.
    assert rows[1][1] == TEXTS[0] and rows[1][-3:-1] == ("劳资纠纷", "劳资/欠薪") and rows[1][-1] > 0.3
    assert len(rows) == 1 + 37

    code, out, err = run(
        "evaluate", "--data", str(ledger_csv), "--text-column", "诉求内容", "--label-column", "纠纷类型", "--folds", "3", "-q"
    )
    assert code == EXIT_OK, err
    report = json.loads(out)
    assert {"lexicon", "char", "jieba"} <= set(report)
    assert len(report["char"]["macro_f1_ci"]) == 2
    assert "precision" in report["char"]["per_class"]["劳资纠纷"]


def test_predict_without_a_model_uses_the_lexicon(tmp_path):
    path = tmp_path / "in.xlsx"
    wb = Workbook()
    wb.active.append(["内容"])
    wb.active.append(["物业公司乱收停车费"])
    wb.save(path)
    code, out, err = run("predict", "--data", str(path), "--text-column", "内容", "-q")
    assert code == EXIT_OK, err
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[1][1] == "property"


def test_a_missing_column_is_named_in_chinese(ledger_csv):
    code, _, err = run("train", "--data", str(ledger_csv), "--text-column", "内容", "--label-column", "纠纷类型")
    assert code == EXIT_DATA
    assert "没有名为“内容”的列" in err and "诉求内容" in err


def test_an_unreadable_encoding_is_refused_in_chinese(tmp_path):
    path = tmp_path / "乱码.csv"
    path.write_bytes(b"\x80\x81\xff\xfe\x00\x01" * 50)
    code, _, err = run("predict", "--data", str(path), "--text-column", "内容")
    assert code == EXIT_DATA and "编码" in err


def test_an_old_xls_file_is_refused_with_advice(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"whatever")
    with pytest.raises(LedgerError, match="xlsx"):
        read_ledger(path)


def test_bad_arguments_are_a_usage_error():
    code, _, err = run("train", "--folds", "x")
    assert code == EXIT_USAGE and "参数错误" in err
