import pytest

from yimen.triage.classify import classify, lexicon_scores
from yimen.triage.config import TriageConfig
from yimen.triage.normalize import normalize


def top(text, config, **kw):
    return classify(normalize(text).match, config, **kw)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("包工头拖欠我们工资三个月了", "labour"),
        ("楼上每天半夜跺脚，吵得睡不着", "noise"),
        ("前夫不给孩子抚养费", "marriage"),
        ("物业公司乱收停车费", "property"),
        ("被电动车撞伤了，对方不赔", "traffic"),
        ("宅基地边界被邻居占了", "land"),
        ("化工厂偷排废水，河里的鱼都死了", "pollution"),
        ("孩子在学校被同学欺负", "campus"),
        ("网贷暴力催收，天天打电话骂我家人", "finance"),
        ("房东不退押金", "contract"),
        ("拆迁补偿款一直不到位", "demolition"),
        ("在医院做完手术出现了感染，怀疑是医疗事故", "medical"),
        ("在超市买到过期牛奶，商家不给退", "consumer"),
        ("朋友借了我两万块钱一直不还", "debt"),
        ("在工地干活时从脚手架上摔下来骨折", "injury"),
        ("隔壁邻居在楼道里堆放杂物", "neighbour"),
        ("村口的路灯坏了，希望修一下", "other"),
    ],
)
def test_the_day_one_lexicon_names_the_obvious_category(config, text, code):
    assert top(text, config).code == code


def test_it_gives_three_candidates_with_confidences_that_sum_to_at_most_one(config):
    c = top("工地老板拖欠工资，工人讨薪时摔伤了", config)
    assert len(c.top) == 3
    assert c.top[0].confidence >= c.top[1].confidence >= c.top[2].confidence
    assert sum(s.confidence for s in c.top) <= 1.0 + 1e-9
    assert {c.top[0].code, c.top[1].code} == {"labour", "injury"}


def test_text_with_no_known_words_falls_to_other(config):
    c = top("请问今天几点下班", config)
    assert c.code == "other"
    assert c.source == "lexicon"


def test_a_longer_term_still_credits_the_shorter_term_it_contains(config):
    scores, found = lexicon_scores("保险公司拒赔", config)
    assert scores["finance"] > 0 and scores["traffic"] > 0


def test_the_longest_term_is_counted_once_not_twice(config):
    scores, _ = lexicon_scores("物业费", config)
    assert scores["property"] == config.category_by_code["property"].terms["物业费"]


def test_editing_the_lexicon_changes_the_answer(config):
    data = config.as_data()
    for c in data["categories"]["categories"]:
        if c["code"] == "other":
            c["terms"]["共享单车"] = 9.0
    edited = TriageConfig.from_data(data["categories"], data["signals"], data["grades"], data["units"])
    assert top("共享单车乱停乱放", config).top[0].confidence < 0.9
    assert top("共享单车乱停乱放", edited).code == "other"
    assert top("共享单车乱停乱放", edited).top[0].confidence > 0.9


class _FakeModel:
    version = "test-1"

    def __init__(self, probs):
        self.probs = probs

    def predict_proba_one(self, text):
        return self.probs


def test_a_model_is_blended_with_the_lexicon(config):
    model = _FakeModel({"debt": 0.9, "labour": 0.1})
    lexicon_only = top("老板拖欠工资", config)
    blended = top("老板拖欠工资", config, model=model, model_weight=0.5)
    model_only = top("老板拖欠工资", config, model=model, model_weight=1.0)
    assert lexicon_only.code == "labour"
    assert blended.source == "lexicon+model" and blended.model_version == "test-1"
    assert model_only.code == "debt"
    assert blended.probabilities["debt"] > lexicon_only.probabilities.get("debt", 0)


def test_model_labels_outside_the_tree_are_ignored(config):
    model = _FakeModel({"no_such_category": 1.0})
    assert top("老板拖欠工资", config, model=model, model_weight=0.9).code == "labour"


# -- issue 14: consultation words, weight-0 entries, single characters, ties -----------------------


def _scores(text, config):
    return lexicon_scores(normalize(text).match, config)[0]


@pytest.mark.parametrize(
    "text",
    ["我的养老保险断缴了两年，现在补缴需要交滞纳金吗", "城乡居民养老保险每年最低交多少钱", "医疗保险异地就医怎么备案"],
)
def test_a_social_security_question_credits_neither_family_nor_finance(config, text):
    scores = _scores(text, config)
    assert "marriage" not in scores and "finance" not in scores
    assert top(text, config).code == "other"


def test_the_same_short_words_still_count_where_they_mean_it(config):
    assert "marriage" in _scores("儿女都不管父母养老", config)
    assert top("买了保险，保险公司拒绝理赔", config).code == "finance"


@pytest.mark.parametrize(
    ("text", "code"),
    [("生二孩的生育登记去哪里办", "other"), ("公交线路调整后站点太远", "other"), ("孩子学位的划片范围是怎样", "campus")],
)
def test_the_lexicon_knows_consultation_vocabulary(config, text, code):
    assert top(text, config).code == code


def test_a_single_character_term_does_not_count_inside_a_common_word(config):
    assert "noise" not in _scores("这件事对我家影响很大", config)
    assert "noise" in _scores("隔壁音箱半夜一直响", config)  # on its own it still counts


def test_a_single_character_term_does_not_credit_from_inside_a_longer_term(config):
    assert "pollution" not in _scores("老板扣着我的薪水不给", config)  # 薪水 holds 水


def test_a_weight_zero_entry_set_in_the_lexicon_stops_the_shorter_term_crediting(config):
    data = config.as_data()
    for c in data["categories"]["categories"]:
        if c["code"] == "consumer":
            c["terms"]["快递柜"] = 0.0
    edited = TriageConfig.from_data(data["categories"], data["signals"], data["grades"], data["units"])
    assert "consumer" in _scores("快递柜", config)  # 快递 credits consumer from inside the longer word
    assert "consumer" not in _scores("快递柜", edited)


def test_two_categories_scoring_the_same_are_shown_as_a_tie(config):
    data = config.as_data()
    for c in data["categories"]["categories"]:
        if c["code"] in ("labour", "contract"):
            c["terms"]["甲乙丙"] = 3.0
    edited = TriageConfig.from_data(data["categories"], data["signals"], data["grades"], data["units"])
    cls = top("甲乙丙", edited)
    assert {cls.code, *cls.tied} == {"labour", "contract"}
    from yimen.triage.engine import suggest

    d = suggest("甲乙丙", config=edited, model=None, with_legal=False).as_dict()
    assert [c["code"] for c in d["category_tied"]] == list(cls.tied)
    assert "并列" in d["category_reason"]


def test_a_clear_winner_is_no_tie(config):
    assert top("包工头拖欠我们工资三个月了", config).tied == ()
