"""Request types (咨询, 求助, 投诉, 举报, 建议, 纠纷): suggested with the cue that decided, ties said, a gold set."""

import csv
import importlib
import random
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from yimen.triage.config import RequestTypeDef
from yimen.triage.engine import suggest
from yimen.triage.normalize import normalize
from yimen.triage.requesttype import suggest_request_type

GOLD = Path(__file__).resolve().parents[1] / "data" / "requesttype_evalset.csv"
TYPES = ("consult", "help", "complaint", "report", "suggestion", "dispute")


def gold_rows():
    return list(csv.DictReader(open(GOLD, encoding="utf-8")))


@pytest.mark.parametrize(
    "text, code, cue",
    [
        ("请问灵活就业人员的养老保险在哪里缴纳，需要什么材料", "consult", "请问"),
        ("老人走失了，穿灰色外套，请大家帮忙找一找", "help", "走失"),
        ("投诉某窗口工作人员态度恶劣，问什么都不理", "complaint", "投诉"),
        ("有人在河道里非法采砂，每天晚上几十辆车进出", "report", "非法采砂"),
        ("希望在小区门口增设一个公交站点，方便老人出行", "suggestion", "增设"),
        ("邻居借了我三万块钱一直不还，打电话也不接", "dispute", "借了"),
    ],
)
def test_it_suggests_each_request_type_with_the_cue_that_decided(config, text, code, cue):
    s = suggest(text, config=config, model=None, with_legal=False)
    assert s.request_type.code == code
    assert s.request_type.label == config.request_type_by_code[code].label
    assert any(cue in found for found in s.request_type.cues)
    assert cue in s.as_dict()["request_type"]["reason"]


def test_a_text_without_any_cue_gets_the_default_type_and_says_so(config):
    s = suggest_request_type(normalize("东边那块").match, config)
    default = next(t for t in config.request_types if t.is_default)
    assert s.code == default.code and s.cues == ()
    assert "缺省" in s.reason


def test_two_types_scoring_the_same_are_shown_as_a_tie(config):
    types = (
        RequestTypeDef("consult", "咨询", (("办理", 2.0),)),
        RequestTypeDef("complaint", "投诉", (("窗口", 2.0),)),
        RequestTypeDef("dispute", "纠纷", (), is_default=True),
    )
    s = suggest_request_type(normalize("窗口办理").match, replace(config, request_types=types))
    assert s.code == "consult" and s.tied == ("complaint",)
    assert "并列" in s.reason and "投诉" in s.reason


def test_without_request_types_configured_none_is_suggested(config):
    assert suggest("请问怎么办理", config=replace(config, request_types=()), model=None, with_legal=False).request_type is None


def test_the_data_migration_seeds_the_request_types_of_the_data_file(config):
    migration = importlib.import_module("yimen.triage.migrations.0008_seed_request_types")
    seeded = [(t["code"], t["label"], t["default"], [tuple(c) for c in t["cues"]]) for t in migration.REQUEST_TYPES]
    assert seeded == [(t.code, t.label, t.is_default, list(t.cues)) for t in config.request_types]


# -- the gold set ------------------------------------------------------------------------------


def test_the_gold_set_has_every_type_and_a_holdout_part():
    rows = gold_rows()
    assert len(rows) >= 150
    assert min(Counter(r["request_type"] for r in rows).values()) >= 30
    assert set(Counter(r["request_type"] for r in rows)) == set(TYPES)
    holdout = Counter(r["request_type"] for r in rows if r["split"] == "holdout")
    assert set(holdout) == set(TYPES)


def _accuracy(rows, config) -> list[bool]:
    return [suggest_request_type(normalize(r["text"]).match, config).code == r["request_type"] for r in rows]


def test_the_request_type_cues_stay_above_their_measured_floor(config):
    rows = gold_rows()
    hits = _accuracy(rows, config)
    holdout = _accuracy([r for r in rows if r["split"] == "holdout"], config)
    # Measured 0.946 on all 222 rows and 0.881 on the 42 held-out ones (docs/triage.md); an edit of the
    # cues that drops below these floors is a regression.
    assert sum(hits) / len(hits) >= 0.92
    assert sum(holdout) / len(holdout) >= 0.83


def test_the_bootstrap_interval_brackets_the_accuracy(config):
    hits = _accuracy(gold_rows(), config)
    rng = random.Random(0)
    boots = sorted(sum(rng.choice(hits) for _ in hits) / len(hits) for _ in range(500))
    assert boots[12] <= sum(hits) / len(hits) <= boots[487]


def test_the_data_migration_adds_the_lexicon_terms_as_the_data_file_has_them(config):
    migration = importlib.import_module("yimen.triage.migrations.0008_seed_request_types")
    assert migration.ADDED_TERMS
    for code, term, weight in migration.ADDED_TERMS:
        assert config.category_by_code[code].terms.get(term) == weight, (code, term)


@pytest.mark.parametrize(
    ("text", "lead"),
    [
        ("请问灵活就业人员的养老保险每年最低交多少钱", "人力资源和社会保障局"),
        ("生二孩的生育登记去哪里办", "卫生健康委员会"),
        ("公积金提取用于租房一年可以提几次", "住房和城乡建设局"),
        ("建议在小区门口增设公交站，现在的公交线路太绕", "交通运输局"),
    ],
)
def test_a_public_service_question_goes_to_the_department_that_answers_it(config, text, lead):
    assert suggest(text, config=config, model=None, with_legal=False, level="county").lead_unit == lead
