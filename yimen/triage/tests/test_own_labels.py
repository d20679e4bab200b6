"""A centre's ledger in its own taxonomy: train, then predict, through the CLI (issue 14, items 1–2)."""

import csv
import io
import json
from pathlib import Path

import pytest

from yimen.triage import classify
from yimen.triage.cli import EXIT_DATA, EXIT_OK, main
from yimen.triage.textmodel import CURRENT_FILE, SERVING_FILE, label_codes_for, train

# Three kinds of request no category of the engine names, written with varied subjects so that the
# model must learn the kind of request, not the subject.
_SUBJECTS = [
    "社保卡", "养老保险", "医保报销", "公积金", "居住证", "学位申请", "公交线路", "营业执照", "低保", "残疾证",
    "户口迁移", "生育登记", "退役军人优待", "燃气开户", "房产证", "驾驶证换领", "老年卡", "就业补贴", "出租屋备案", "新生儿落户",
]
_KINDS = {
    "咨询类": ["请问{s}怎么办理，需要带哪些材料", "想咨询一下{s}的政策，在哪里可以办", "{s}办理流程是什么，多久能办好，请告知"],
    "求助类": ["家里老人病重没钱交费，{s}也办不下来，求求你们帮帮忙", "我们一家实在走投无路了，{s}的事请政府救救我们", "孩子没人照顾，{s}又卡住了，恳请帮助解决困难"],
    "投诉类": ["去办{s}时窗口工作人员态度恶劣，推诿扯皮，我要投诉", "办{s}被来回踢皮球，跑了五趟都不给办，强烈投诉该部门", "{s}窗口人员上班玩手机不理人，投诉他们不作为"],
}


def _rows(subjects):
    return [(template.format(s=s), kind) for kind, templates in _KINDS.items() for s in subjects for template in templates[:2]]


def _write(path: Path, rows, header=("编号", "text", "label")):
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for i, row in enumerate(rows):
            w.writerow([i, *row])
    return path


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def trained(tmp_path):
    """`train --out DIR` on a ledger of 咨询类/求助类/投诉类; returns (DIR, train's JSON, its stderr)."""
    data = _write(tmp_path / "train.csv", _rows(_SUBJECTS[:14]))
    out_dir = tmp_path / "模型"
    code, out, err = run(
        "train", "--data", str(data), "--text-column", "text", "--label-column", "label",
        "--out", str(out_dir), "--features", "char", "--folds", "3", "-q",
    )
    assert code == EXIT_OK, err
    return out_dir, json.loads(out), err


def test_predict_answers_in_the_ledgers_own_labels_and_mostly_right(tmp_path, trained):
    out_dir, _, _ = trained
    # Unseen subjects, and the third phrasing of each kind that training never saw.
    held_out = [(t.format(s=s), kind) for kind, templates in _KINDS.items() for s in _SUBJECTS[14:] for t in templates]
    data = tmp_path / "new.csv"
    with open(data, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["编号", "text", "来源"])
        for i, (text, _) in enumerate(held_out):
            w.writerow([i, text, "网站"])
    predicted_file = tmp_path / "P.csv"

    code, _, err = run(
        "predict", "--data", str(data), "--text-column", "text", "--model", str(out_dir), "--out", str(predicted_file), "-q"
    )

    assert code == EXIT_OK, err
    assert "依据：模型" in err and "词库" not in err  # the model answered alone, and says so
    with open(predicted_file, encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["编号", "text", "来源", "predicted", "predicted_label", "confidence"]
    assert {r["predicted"] for r in rows} <= set(_KINDS)
    assert all(r["predicted_label"] == r["predicted"] for r in rows)  # labels linked to no category keep their name
    assert all(0 < float(r["confidence"]) <= 1 for r in rows)
    right = sum(r["predicted"] == kind for r, (_, kind) in zip(rows, held_out))
    assert right / len(held_out) >= 0.8, f"{right}/{len(held_out)}"


def test_train_reports_which_labels_were_linked_and_which_not(tmp_path):
    rows = [(t, "勞資糾紛") for t in ("老板拖欠工资三个月", "包工头欠我们工钱不给", "工厂不发工资跑路了")]
    rows += [(t, "咨询类") for t in ("请问社保卡怎么办理", "想咨询一下养老保险怎么交", "医保报销需要什么材料")]
    data = _write(tmp_path / "t.csv", rows)

    code, out, err = run(
        "train", "--data", str(data), "--text-column", "text", "--label-column", "label",
        "--out", str(tmp_path / "m"), "--features", "char", "--folds", "2", "-q",
    )

    assert code == EXIT_OK, err
    report = json.loads(out)
    assert report["linked_labels"] == {"勞資糾紛": "labour"}
    assert report["own_labels"] == ["咨询类"]
    assert "已对应到类别的台账类别 1 个：勞資糾紛→劳资/欠薪（labour）" in err
    assert "未对应到类别的台账类别 1 个" in err and "咨询类" in err


def test_labels_link_after_normalising_width_spaces_and_traditional_characters(config):
    links = label_codes_for(["ｌａｂｏｕｒ", " Labour", "勞資糾紛", "物 业", "噪声扰民类", "咨询类", "甲乙类"], config)
    assert links == {"ｌａｂｏｕｒ": "labour", " Labour": "labour", "勞資糾紛": "labour", "物 业": "property", "噪声扰民类": "noise"}


def test_a_version_folder_works_as_well_as_the_out_folder(tmp_path, trained):
    out_dir, report, _ = trained
    assert (out_dir / CURRENT_FILE).read_text(encoding="utf-8") == report["version"]
    data = _write(tmp_path / "one.csv", [("请问居住证怎么办理，需要带哪些材料", "")])
    code, out, err = run("predict", "--data", str(data), "--text-column", "text", "--model", report["path"], "-q")
    assert code == EXIT_OK, err
    assert list(csv.DictReader(io.StringIO(out)))[0]["predicted"] == "咨询类"


def _break(how: str, out_dir: Path, tmp_path: Path) -> tuple[str, str, str]:
    """(model dir, data file, text column) made wrong in one way."""
    good = _write(tmp_path / "ok.csv", [("请问社保卡怎么办理", "")])
    version = out_dir / out_dir.joinpath(CURRENT_FILE).read_text(encoding="utf-8")
    if how == "missing dir":
        return str(tmp_path / "没有这个目录"), str(good), "text"
    if how == "no CURRENT":
        (out_dir / CURRENT_FILE).unlink()
        return str(out_dir), str(good), "text"
    if how == "CURRENT names nothing":
        (out_dir / CURRENT_FILE).write_text("20990101-000000-abcdef", encoding="utf-8")
        return str(out_dir), str(good), "text"
    if how == "corrupt model file":  # the arrays a worker answers from (model.joblib is read only if asked for)
        (version / SERVING_FILE).write_bytes(b"not a model")
        return str(out_dir), str(good), "text"
    if how == "corrupt meta":
        (version / "meta.json").write_text("{", encoding="utf-8")
        return str(version), str(good), "text"
    if how == "meta missing":
        (version / "meta.json").unlink()
        return str(version), str(good), "text"
    if how == "wrong column":
        return str(out_dir), str(good), "内容"
    if how == "empty file":
        (tmp_path / "empty.csv").write_bytes(b"")
        return str(out_dir), str(tmp_path / "empty.csv"), "text"
    if how == "header only":
        (tmp_path / "header.csv").write_text("编号,text\n", encoding="utf-8")
        return str(out_dir), str(tmp_path / "header.csv"), "text"
    raise AssertionError(how)


@pytest.mark.parametrize(
    "how",
    [
        "missing dir", "no CURRENT", "CURRENT names nothing", "corrupt model file", "corrupt meta", "meta missing",
        "wrong column", "empty file", "header only",
    ],
)
def test_every_predict_failure_is_one_chinese_line_and_exit_3(tmp_path, trained, how):
    model_dir, data, column = _break(how, trained[0], tmp_path)
    classify.forget_models()

    code, out, err = run("predict", "--data", data, "--text-column", column, "--model", model_dir, "-q")

    assert code == EXIT_DATA
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("错误：") and any("\u4e00" <= ch <= "\u9fff" for ch in err[3:])


def test_training_into_the_sites_models_folder_does_not_change_its_model(tmp_path, monkeypatch):
    site_models = tmp_path / "models"  # YIMEN_TRIAGE_MODELS_DIR (conftest)
    data = _write(tmp_path / "t.csv", _rows(_SUBJECTS[:4]))
    argv = [
        "train", "--data", str(data), "--text-column", "text", "--label-column", "label", "--features", "char", "--folds", "2", "-q"
    ]

    code, out, err = run(*argv)
    assert code == EXIT_OK, err
    assert json.loads(out)["activated"] is False and "未改变系统当前使用的模型" in err
    assert not (site_models / CURRENT_FILE).exists()
    classify.forget_models()
    assert classify.active_model() is None

    code, out, err = run(*argv, "--activate")
    assert code == EXIT_OK, err
    classify.forget_models()
    assert classify.active_model().version == json.loads(out)["version"]


def test_a_model_of_linked_labels_is_blended_with_the_lexicon_and_foreign_ones_are_not(config):
    texts = ["老板拖欠工资不发", "包工头欠工钱跑了", "厂里三个月没发工资", "楼上噪音吵得睡不着", "广场舞太吵了", "装修噪声扰民"]
    links = label_codes_for(["劳资纠纷", "噪声扰民"], config)
    linked, _ = train(texts, ["劳资纠纷"] * 3 + ["噪声扰民"] * 3, features="char", folds=2, label_codes=links)
    foreign, _ = train(texts, ["甲类"] * 3 + ["乙类"] * 3, features="char", folds=2)

    blended = classify.predict_in_model_labels("工地老板拖欠农民工工资", config, linked, model_weight=0.5)
    alone = classify.predict_in_model_labels("工地老板拖欠农民工工资", config, foreign, model_weight=0.5)

    assert (blended.label, blended.display, blended.source) == ("劳资纠纷", "劳资/欠薪", "lexicon+model")
    assert blended.confidence > linked.label_proba_one("工地老板拖欠农民工工资")["劳资纠纷"]
    assert (alone.label, alone.source) == ("甲类", "model")
    assert alone.confidence == pytest.approx(foreign.label_proba_one("工地老板拖欠农民工工资")["甲类"])


# -- with a database: the label links an administrator edits ---------------------------------------

_WAGE_NOISE = ["老板拖欠工资不发", "包工头欠工钱跑了", "厂里三个月没发工资", "楼上噪音吵得睡不着", "广场舞太吵了", "装修噪声扰民"]


@pytest.fixture
def foreign_model(tmp_path):
    from yimen.triage import config as config_mod
    from yimen.triage.training import model_train

    config_mod.invalidate()
    result = model_train(
        texts=_WAGE_NOISE, labels=["甲类"] * 3 + ["乙类"] * 3, out_dir=tmp_path / "m", features="char", folds=2, activate=True
    )
    classify.forget_models()
    yield result
    config_mod.invalidate()


@pytest.mark.django_db(transaction=True)
def test_an_administrators_mapping_lets_a_foreign_model_take_part_in_suggestions(foreign_model):
    from yimen.triage.engine import suggest
    from yimen.triage.models import LabelLinkKind, TriageModelLabel
    from yimen.triage.training import model_label_link

    links = {link.label: link for link in TriageModelLabel.objects.filter(model_version__version=foreign_model.model.version)}
    assert {k: (v.category_code, v.linked_how, v.samples) for k, v in links.items()} == {"甲类": ("", "none", 3), "乙类": ("", "none", 3)}
    before = suggest("厂里拖欠工资", with_legal=False)
    assert before.category_source == "lexicon" and before.model_version == ""  # the model knew no category

    model_label_link(link_id=links["甲类"].pk, category_code="labour")
    model_label_link(link_id=links["乙类"].pk, category_code="noise")

    after = suggest("厂里拖欠工资", with_legal=False)
    assert after.category_source == "lexicon+model" and after.model_version == foreign_model.model.version
    assert after.category == "labour"
    assert TriageModelLabel.objects.get(pk=links["甲类"].pk).linked_how == LabelLinkKind.ADMIN


@pytest.mark.django_db(transaction=True)
def test_a_mapping_to_an_unknown_category_is_refused(foreign_model):
    from yimen.common.errors import InvalidInput
    from yimen.triage.models import TriageModelLabel
    from yimen.triage.training import model_label_link

    link = TriageModelLabel.objects.filter(model_version__version=foreign_model.model.version).first()
    with pytest.raises(InvalidInput, match="没有代码为“nope”的类别"):
        model_label_link(link_id=link.pk, category_code="nope")


@pytest.mark.django_db(transaction=True)
def test_unlinked_labels_can_become_categories_once_the_tree_is_in_the_database(foreign_model):
    from yimen.common.errors import InvalidInput
    from yimen.triage.config import get_config
    from yimen.triage.models import CategoryProfile, TriageModelLabel
    from yimen.triage.rules_db import load_defaults
    from yimen.triage.training import model_labels_create_categories

    version = foreign_model.model.version
    with pytest.raises(InvalidInput, match="load-defaults"):
        model_labels_create_categories(version=version)
    load_defaults()

    codes = model_labels_create_categories(version=version)

    assert len(codes) == 2
    assert set(CategoryProfile.objects.filter(code__in=codes).values_list("label", flat=True)) == {"甲类", "乙类"}
    assert set(TriageModelLabel.objects.filter(model_version__version=version).values_list("category_code", flat=True)) == set(codes)
    config = get_config()
    assert {config.category_label(c) for c in codes} == {"甲类", "乙类"} and "labour" in config.category_by_code
    assert model_labels_create_categories(version=version) == []  # nothing left unlinked


@pytest.mark.django_db(transaction=True)
def test_the_admin_shows_a_models_labels_and_saves_a_mapping(foreign_model, admin_client):
    from yimen.triage.models import TriageModelLabel, TriageModelVersion

    row = TriageModelVersion.objects.get(version=foreign_model.model.version)
    url = f"/admin/triage/triagemodelversion/{row.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200 and "甲类" in page.content.decode()

    links = list(TriageModelLabel.objects.filter(model_version=row).order_by("label"))
    form = {
        "label_links-TOTAL_FORMS": "2", "label_links-INITIAL_FORMS": "2",
        "label_links-MIN_NUM_FORMS": "0", "label_links-MAX_NUM_FORMS": "1000",
    }
    for i, link in enumerate(links):
        form[f"label_links-{i}-id"] = str(link.pk)
        form[f"label_links-{i}-model_version"] = str(row.pk)
        form[f"label_links-{i}-category_code"] = "noise" if link.label == "乙类" else ""
    response = admin_client.post(url, form)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert dict(TriageModelLabel.objects.filter(model_version=row).values_list("label", "category_code")) == {"甲类": "", "乙类": "noise"}


def test_evaluate_with_baseline_prints_a_plain_linear_svc_on_the_same_folds(tmp_path):
    data = _write(tmp_path / "t.csv", _rows(_SUBJECTS[:8]))

    code, out, err = run(
        "evaluate", "--data", str(data), "--text-column", "text", "--label-column", "label",
        "--features", "char", "--folds", "3", "--baseline", "-q",
    )

    assert code == EXIT_OK, err
    report = json.loads(out)
    assert set(report) == {"char", "baseline"}
    assert report["baseline"]["folds"] == report["char"]["folds"] == 3
    assert len(report["baseline"]["fold_macro_f1"]) == 3 and set(report["baseline"]["per_class"]) == set(_KINDS)
    assert "基线：TF-IDF（字 1–2 元）+ LinearSVC" in err
    assert f"与基线（macro-F1 {report['baseline']['macro_f1']:.3f}）相比：char {report['char']['macro_f1']:.3f}" in err


def test_activate_without_a_database_into_another_folder_says_it_could_not(tmp_path):
    data = _write(tmp_path / "t.csv", _rows(_SUBJECTS[:4]))
    code, out, err = run(
        "train", "--data", str(data), "--text-column", "text", "--label-column", "label",
        "--out", str(tmp_path / "elsewhere"), "--features", "char", "--folds", "2", "--activate", "-q",
    )
    assert code == EXIT_OK, err
    assert json.loads(out)["activated"] is False and "未能设为系统当前模型" in err
    classify.forget_models()
    assert classify.active_model() is None


@pytest.mark.django_db(transaction=True)
def test_the_admins_create_categories_action_gives_the_matters_the_same_categories(foreign_model, admin_client):
    from yimen.audit.models import AuditEvent
    from yimen.cases.models import Case, Category
    from yimen.cases.triage_link import suggested_category
    from yimen.triage.models import TriageModelLabel, TriageModelVersion
    from yimen.triage.rules_db import load_defaults

    load_defaults()
    row = TriageModelVersion.objects.get(version=foreign_model.model.version)
    response = admin_client.post(
        "/admin/triage/triagemodelversion/", {"action": "create_categories", "_selected_action": [str(row.pk)]}
    )

    assert response.status_code == 302
    links = dict(TriageModelLabel.objects.filter(model_version=row).values_list("label", "category_code"))
    made = {c.code: c for c in Category.objects.filter(code__in=links.values())}
    assert {c.name for c in made.values()} == {"甲类", "乙类"} and all(c.active for c in made.values())
    event = AuditEvent.objects.get(object_type="triage.triagemodelversion", object_id=str(row.pk))
    assert sorted(event.details["categories"]) == sorted(links.values()) and "甲类" not in event.summary
    # A matter the model files under 甲类 can take that category: it is in the matters' tree now.
    proposed = Case(triage={"category": links["甲类"], "domain_class": {"code": "livelihood"}})
    assert suggested_category(proposed) == (made[links["甲类"]], "livelihood")


@pytest.mark.django_db(transaction=True)
def test_creating_categories_rolls_back_the_matters_categories_with_the_engines(foreign_model):
    from yimen.cases.models import Category
    from yimen.triage import training
    from yimen.triage.hooks import categories_created
    from yimen.triage.models import CategoryProfile
    from yimen.triage.rules_db import load_defaults

    load_defaults()
    before = set(Category.objects.values_list("code", flat=True))
    seen = []

    def fail_after_the_matters_categories(sender, categories, **kwargs):  # connected after the cases app's
        seen.append(set(Category.objects.values_list("code", flat=True)) - before)
        raise RuntimeError("disk full")

    categories_created.connect(fail_after_the_matters_categories)
    try:
        with pytest.raises(RuntimeError):
            training.model_labels_create_categories(version=foreign_model.model.version)
    finally:
        categories_created.disconnect(fail_after_the_matters_categories)

    assert len(seen[0]) == 2  # the cases app had made them inside the transaction …
    assert set(Category.objects.values_list("code", flat=True)) == before  # … and they went with it
    assert not CategoryProfile.objects.filter(code__startswith="ledger-").exists()
