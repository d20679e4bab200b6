"""Signals and grades of a dispute getting worse, a business that suddenly shut, and stability risks."""

from datetime import datetime

import pytest

from yimen.cases.codes import DomainClass, Risk, Urgency
from yimen.triage.engine import suggest
from yimen.triage.normalize import normalize
from yimen.triage.signals import detect_signals

NOW = datetime(2025, 6, 10, 9, 0)


def signals(text, config):
    return {s.name: s for s in detect_signals(normalize(text).match, config)}


def run(text, config, **kw):
    return suggest(text, config=config, model=None, with_legal=False, now=NOW, **kw)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("worsening", "两家为宅基地吵了半年，矛盾越来越激化"),
        ("worsening", "纠纷不断升级，双方剑拔弩张"),
        ("worsening", "我老公喝酒就吵架，矛盾越来越大"),
        ("worsening", "双方积怨很深，随时可能发生冲突"),
        ("grave_incident_risk", "再不处理可能引发恶性事件"),
        ("grave_incident_risk", "两个村为争水源准备械斗"),
        ("grave_incident_risk", "这事处理不好极易酿成刑事案件"),
        ("mass_incident_risk", "几百户拆迁户不满补偿，可能引发群体性事件"),
        ("mass_incident_risk", "村民情绪很大，随时可能引发聚集"),
        ("business_closed", "健身房突然关门了，我们办的年卡怎么办"),
        ("business_closed", "一夜之间人去楼空"),
        ("business_closed", "美容院倒闭了，卡里还有五千块"),
    ],
)
def test_each_escalation_signal_fires_on_its_words_and_explains_itself(config, name, text):
    fired = signals(text, config)
    assert name in fired, fired
    assert fired[name].explanation and "“" in fired[name].explanation


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("worsening", "小区综治中心完成升级改造"),
        ("worsening", "矛盾纠纷调处中心升级改造后搬到三楼"),
        ("grave_incident_risk", "这个路口没有红绿灯，迟早要出人命"),
        ("mass_incident_risk", "楼下棋牌室有人聚众赌博"),
        ("worsening", "及时介入，防止矛盾激化"),
        ("worsening", "今年无一起矛盾纠纷因排查化解不及时而激化"),
        ("grave_incident_risk", "父亲查出恶性肿瘤，兄弟几个为医药费吵架"),
        ("grave_incident_risk", "去年以来个人极端案事件“零发生”"),
        ("grave_incident_risk", "有效防范了“民转刑”案件的发生"),
        ("mass_incident_risk", "全年未发生群体性事件"),
        ("business_closed", "楼下小卖部每天晚上十点关门"),
        ("safety_hazard", "双方矛盾逐步升级为可能引发恶性事件的重大安全隐患"),
    ],
)
def test_escalation_signals_do_not_fire_on_look_alikes(config, name, text):
    assert name not in signals(text, config)


def test_a_real_hazard_still_reads_as_production_safety(config):
    s = run("厂房墙体开裂，存在重大安全隐患", config)
    assert "safety_hazard" in {x.name for x in s.signals}
    assert s.domain.value == DomainClass.PRODUCTION_SAFETY


def test_a_dispute_that_may_turn_into_a_grave_incident_is_red_urgent_and_stability(config):
    s = run("两家因宅基地打了几次官司，对方扬言要拼个你死我活，随时可能引发恶性事件", config)
    assert s.risk.value == Risk.RED and "grave_incident_risk" in s.risk.decided_by
    assert s.urgency.value == Urgency.URGENT
    assert s.domain.value == DomainClass.SAFETY


def test_a_group_risk_without_a_crowd_in_the_text_is_yellow_and_grave(config):
    s = run("补偿款迟迟不到位，可能引发群体性事件", config)
    assert s.risk.value == Risk.YELLOW and s.risk.decided_by == ("mass_incident_risk",)
    assert s.urgency.value == Urgency.GRAVE
    assert {"公安局", "信访局"} <= {u.name for u in s.units}


def test_a_shop_that_shut_with_many_customers_is_red_and_urgent(config):
    s = run("小区门口的健身房突然关门，四十多名会员的年卡钱都退不了", config)
    assert s.category == "consumer"
    assert s.risk.value == Risk.RED and "business_closed" in s.risk.decided_by
    assert s.urgency.value == Urgency.URGENT
    assert "公安局" in {u.name for u in s.units}


def test_one_customer_of_a_shut_shop_is_urgent_but_not_raised_in_colour(config):
    s = run("理发店突然关门了，我卡里还有八百块", config)
    assert s.risk.value == Risk.BLUE
    assert s.urgency.value == Urgency.URGENT


@pytest.mark.parametrize(
    "text",
    [
        "楼上邻居每天晚上跺脚，吵得睡不着",
        "隔壁装修电钻声太吵了，周末一早就开始",
        "楼下餐馆深夜噪声扰民",
        "物业费涨价了，业主们想问问合不合理",
        "邻居家空调外机对着我家窗户",
        "我想咨询一下离婚手续怎么办",
    ],
)
def test_ordinary_matters_are_not_raised(config, text):
    s = run(text, config)
    assert s.risk.value == Risk.BLUE, [x.name for x in s.signals]
    assert s.urgency.value != Urgency.URGENT
    assert not {"worsening", "grave_incident_risk", "mass_incident_risk", "business_closed"} & {x.name for x in s.signals}


@pytest.mark.django_db
def test_an_installation_with_loaded_rules_gets_the_escalation_rules_and_keeps_its_edits(config):
    from importlib import import_module

    from django.apps import apps

    from yimen.triage.models import GradeRule, SignalRule
    from yimen.triage.rules_db import config_from_db, load_defaults

    from .test_seed_stories import TWO_COURT_LAND_DISPUTE

    migration = import_module("yimen.triage.migrations.0006_escalation_rules")
    migration._forward(apps, None)  # empty tables: nothing is written, the files answer
    assert not SignalRule.objects.exists() and not GradeRule.objects.exists()

    load_defaults()
    migration._backward(apps, None)  # the tables as an installation loaded them before issue 14
    assert not SignalRule.objects.filter(name="worsening").exists()
    assert run(TWO_COURT_LAND_DISPUTE, config_from_db()).risk.value == Risk.YELLOW
    SignalRule.objects.filter(name="repeat_visit").update(patterns=[["来了好多次"]])  # an administrator's edit

    migration._forward(apps, None)
    db = config_from_db()
    story = run(TWO_COURT_LAND_DISPUTE, db)
    files = run(TWO_COURT_LAND_DISPUTE, config)
    assert (story.risk.value, story.urgency.value, story.domain.value) == (files.risk.value, files.urgency.value, files.domain.value)
    assert story.risk.value == Risk.RED
    assert SignalRule.objects.get(name="repeat_visit").patterns == [["来了好多次"]]
    assert {r.reason for r in db.grade_rules} == {r.reason for r in config.grade_rules}
    assert {r.reason for r in db.unit_rules} == {r.reason for r in config.unit_rules}


def test_the_guide_tells_how_to_handle_a_stability_risk_and_a_shut_shop(config):
    from yimen.triage.guidance import build_guide

    from .test_seed_stories import DIVIDEND_1642_HOUSEHOLDS

    notes = build_guide(run(DIVIDEND_1642_HOUSEHOLDS, config), config=config, use_llm=False).notes
    assert any("提级督办" in n and "稳控预案" in n for n in notes)
    notes = build_guide(run("健身房突然关门了，年卡退不了", config), config=config, use_llm=False).notes
    assert any("经营者突然停业" in n for n in notes)
    plain = build_guide(run("楼上邻居每天晚上跺脚，吵得睡不着", config), config=config, use_llm=False).notes
    assert plain == []
