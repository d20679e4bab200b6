from datetime import date, datetime

import pytest

from yimen.cases.codes import DomainClass, Risk, Urgency
from yimen.triage.config import TriageConfig
from yimen.triage.engine import suggest, upcoming_holiday

NOW = datetime(2025, 6, 10, 9, 0)
WAGE_CRISIS = "某工地包工头拖欠34名工人工资共计24万余元，马上过年了，包工头跑路了，工人说要去市政府门口拉横幅"


def run(text, config, **kw):
    kw.setdefault("now", NOW)
    kw.setdefault("with_legal", False)
    return suggest(text, config=config, model=None, **kw)


def test_a_group_wage_crisis_before_new_year_is_red_and_urgent_with_reasons(config):
    s = run(WAGE_CRISIS, config)
    assert s.category == "labour"
    assert s.risk.value == "red"
    assert s.urgency.value == "urgent"
    assert set(s.risk.decided_by) >= {"headcount"}
    assert s.risk.reason
    names = {x.name for x in s.signals}
    assert {"money", "headcount", "fled", "holiday_wage", "escalation_threat"} <= names


def test_a_quiet_neighbour_matter_is_blue_and_annoying(config):
    s = run("隔壁邻居在楼道里堆放杂物，出入不方便", config)
    assert (s.category, s.risk.value, s.urgency.value, s.domain.value) == ("neighbour", "blue", "annoying", "livelihood")
    assert s.risk.decided_by == ()


def test_self_harm_is_red_whatever_the_category(config):
    s = run("物业费的事没人管，我不想活了", config)
    assert s.risk.value == "red" and "self_harm" in s.risk.decided_by
    assert s.domain.value == "safety"


def test_a_dispute_after_a_court_ruling_is_grave(config):
    s = run("法院判决对方还我12万元，对方拒不履行，执行不到位", config)
    assert s.urgency.value == "grave"
    assert "after_ruling" in s.urgency.decided_by
    assert any(u.name == "法院" for u in s.units)


def test_domain_classes_follow_category_and_signals(config):
    assert run("化工厂偷排废水污染河道", config).domain.value == "ecology"
    assert run("承包地被别人占了", config).domain.value == "agriculture"
    assert run("在工厂上班时手被机器绞伤，申请工伤认定", config).domain.value == "production_safety"
    assert run("老楼墙体裂缝成了危房", config).domain.value == "production_safety"
    assert run("被人冒充公检法诈骗了八万元", config).domain.value == "safety"
    assert run("买的种子是假种子，十亩地都不发芽", config).domain.value == "agriculture"


def test_a_wish_for_public_service_is_a_wish_matter(config):
    s = run("希望在村口装个红绿灯", config)
    assert s.urgency.value == "wish"


def test_units_are_named_by_standard_names_with_reasons(config):
    s = run(WAGE_CRISIS, config, level="county")
    assert s.lead_unit == "人力资源和社会保障局"
    names = [u.name for u in s.units]
    assert "住房和城乡建设局" in names and "总工会" in names and "公安局" in names
    assert all(u.reason for u in s.units)
    assert set(names) <= set(config.units)


def test_a_township_dispatches_to_the_police_station_and_justice_office(config):
    s = run(WAGE_CRISIS, config, level="township")
    names = [u.name for u in s.units]
    assert "派出所" in names and "公安局" not in names
    assert "司法所" in names


def test_small_matters_stay_in_the_village(config):
    s = run("邻居家的狗天天在我家门口拉屎", config, level="village")
    assert s.lead_unit == "村(居)委会"
    county = run("邻居家的狗天天在我家门口拉屎", config, level="county")
    assert county.lead_unit == "人民调解委员会"


def test_an_unknown_level_is_refused(config):
    with pytest.raises(ValueError):
        run("噪音扰民", config, level="province")


def test_as_dict_has_the_cli_contract_keys(config):
    d = run(WAGE_CRISIS, config).as_dict()
    for key in ("category", "category_top3", "domain_class", "urgency", "risk", "signals", "units", "legal_basis", "repeats"):
        assert key in d
    assert set(d["category_top3"][0]) >= {"label", "confidence"}
    assert set(d["signals"][0]) >= {"name", "value", "weight", "explanation"}
    assert set(d["units"][0]) >= {"name", "role", "reason"}


def test_traditional_text_is_graded_like_simplified(config):
    a = run("老闆跑路了，拖欠我們34名工人的工資", config)
    b = run("老板跑路了，拖欠我们34名工人的工资", config)
    assert (a.category, a.risk.value, a.urgency.value) == (b.category, b.risk.value, b.urgency.value)


def test_wage_arrears_weeks_before_spring_festival_count_as_holiday_arrears(config):
    s = run("老板欠我们三个月工资没发", config, now=datetime(2026, 1, 25, 10, 0))
    holiday = [x for x in s.signals if x.name == "holiday_wage"]
    assert holiday and "春节" in holiday[0].explanation
    assert not [x for x in run("老板欠我们三个月工资没发", config).signals if x.name == "holiday_wage"]


def test_upcoming_holiday_is_none_when_the_calendar_year_is_unknown():
    assert upcoming_holiday(date(2035, 1, 20)) is None


def test_editing_a_grade_rule_changes_the_colour(config):
    data = config.as_data()
    data["grades"]["rules"].insert(
        0, {"target": "risk", "value": "red", "priority": 1, "categories": ["noise"], "reason": "本地政策：噪声一律红色"}
    )
    edited = TriageConfig.from_data(data["categories"], data["signals"], data["grades"], data["units"])
    assert run("广场舞音响太吵", config).risk.value == "blue"
    s = run("广场舞音响太吵", edited)
    assert s.risk.value == "red" and s.risk.reason == "本地政策：噪声一律红色"


@pytest.mark.national_laws
def test_legal_basis_cites_law_article_and_text():
    s = suggest("公司拖欠我三个月工资不发", model=None, now=NOW)
    assert s.legal_basis
    first = s.legal_basis[0]
    assert first.law and first.article.startswith("第") and first.text
    assert any("劳动" in h.law for h in s.legal_basis)


def test_the_default_rules_grade_only_in_the_codes_of_the_one_list(config):
    lists = {"risk": Risk.values, "urgency": Urgency.values, "domain": DomainClass.values}
    assert all(c.urgency in Urgency.values and c.domain in DomainClass.values for c in config.categories)
    assert all(r.value in lists[r.target] for r in config.grade_rules)
    assert all(config.grade_defaults[target] in codes for target, codes in lists.items())


def test_a_grade_is_labelled_from_the_one_list(config):
    s = run("希望在村口装个红绿灯", config)
    assert (s.urgency.label, s.domain.label) == (str(Urgency.WISH.label), str(DomainClass(s.domain.value).label))
    assert s.urgency.label == "期盼事·全力办"
