"""The seeds' stories (the five reports in the team's shared seeds) graded as their reports describe them.

Each text is quoted from its report as a centre would register it (the reports from Dalian and
Sanming are in traditional characters; they are kept so). Legal retrieval is off here; the legal
basis of these stories is tested in test_shipped_statutes.py.
"""

from datetime import datetime

from yimen.cases.codes import DomainClass, Risk, Urgency
from yimen.triage.engine import suggest

NOW = datetime(2025, 6, 10, 9, 0)  # far from any holiday, so no holiday signal is added by the date

# 001 (Dalian, Zhuanghe): a greenhouse-land lease dispute after rulings of two courts.
TWO_COURT_LAND_DISPUTE = (
    "因設施農業大棚土地租用問題，大連莊河市徐嶺鎮村民孫某與楊某產生合同糾紛，經兩級法院裁定后，"
    "孫某仍不服判決，反復申訴、上訪，雙方矛盾逐步升級為可能引發惡性事件的重大安全隱患。"
)
# 004 (Yulin, Zizhou): dividends owed to households lifted out of poverty.
DIVIDEND_1642_HOUSEHOLDS = (
    "受疫情影响，企业经营困难，大户集体经济带动脱贫户过程中，1642户脱贫户不能按时分红，可能引发群体性事件的风险。"
)
# 000 (Qingyuan): a boundary quarrel a grid worker reported before it got worse.
BOUNDARY_QUARREL = "连南瑶族自治县三江镇某村民与邻居因土地边界问题产生激烈争吵，矛盾有进一步激化趋势。"
# 000 (Qingyuan): 42 workers whose boss ran away.
FORTY_TWO_WORKERS = "去年10月，42名工人因老板“跑路”而集体讨薪。他们来到清新区综治中心，情绪激动地表达了自己的诉求。"
# 000 (Qingyuan): 34 workers, 240,000 yuan, no written contract.
THIRTY_FOUR_WORKERS = (
    "在英德市青塘镇务工的34名工人来到当地综治中心，反映他们在某工程项目中被拖欠工资共计24万余元，"
    "因承包方与发包方对施工面积、单价存在争议且未签合同，导致欠薪纠纷久拖不决。"
)
# 000 (Qingyuan): the plain matters of the same report.
RESTAURANT_NOISE = "清远市清新区太和镇居民李伯在镇综治中心反映完自家楼下餐馆深夜噪声扰民问题"
DEPOSIT = "清城区凤城街道一名租客退租时要求房东退还押金，该房东以需支付换锁费用为由拒绝，双方争执后报警。"
# 001 (Dalian, Ganjingzi): two years of unpaid property fees.
PROPERTY_FEE = "王先生以物業公司未按合同約定事項服務為由，拒繳兩年的物業費6000余元。物業公司將王先生起訴到大連市甘井子區人民法院。"
# 003 (Sanming): a neighbours' dispute in 三元區 (a district, not three yuan).
SANMING_NEIGHBOURS = "在三元區列東街道，社區調解員林秀蘭與心理諮詢專家組成的“黃金搭檔”，成功化解了一起持續半年的鄰里糾紛"


def run(text, config, **kw):
    kw.setdefault("now", NOW)
    return suggest(text, config=config, model=None, with_legal=False, **kw)


def names(s):
    return {x.name for x in s.signals}


def test_the_two_court_land_dispute_that_may_turn_violent_is_red_and_read_as_stability(config):
    s = run(TWO_COURT_LAND_DISPUTE, config, level="county")
    assert s.risk.value == Risk.RED
    assert "grave_incident_risk" in s.risk.decided_by
    assert {"after_ruling", "worsening", "repeat_visit"} <= names(s)
    # "重大安全隐患" here is the dispute's danger, not a hazard at work: stability, not 安全生产.
    assert "safety_hazard" not in names(s)
    assert s.domain.value == DomainClass.SAFETY
    assert s.urgency.value == Urgency.URGENT
    assert s.category == "contract"
    units = {u.name for u in s.units}
    assert {"公安局", "法院", "信访局", "自然资源局", "农业农村局"} <= units
    grave = next(x for x in s.signals if x.name == "grave_incident_risk")
    assert "恶性事件" in grave.explanation and "稳控" in grave.explanation


def test_the_1642_household_dividend_matter_is_a_red_group_risk_led_by_agriculture(config):
    s = run(DIVIDEND_1642_HOUSEHOLDS, config, level="county")
    assert s.risk.value == Risk.RED
    assert "mass_incident_risk" in s.risk.decided_by
    headcount = next(x for x in s.signals if x.name == "headcount")
    assert headcount.value == 1642
    assert s.domain.value == DomainClass.SAFETY
    assert s.lead_unit == "农业农村局"
    units = {u.name: u for u in s.units}
    assert {"公安局", "信访局", "村(居)委会"} <= set(units)
    assert "群体性事件" in units["信访局"].reason


def test_a_boundary_quarrel_that_is_getting_worse_is_yellow_with_the_police_station(config):
    s = run(BOUNDARY_QUARREL, config, level="township")
    assert s.risk.value == Risk.YELLOW
    assert s.risk.decided_by == ("worsening",)
    assert "派出所" in {u.name for u in s.units}


def test_forty_two_workers_whose_boss_ran_away_stay_red_and_urgent(config):
    s = run(FORTY_TWO_WORKERS, config)
    assert (s.category, s.risk.value, s.urgency.value) == ("labour", Risk.RED, Urgency.URGENT)
    assert {"headcount", "fled"} <= set(s.risk.decided_by)


def test_thirty_four_workers_owed_wages_are_a_yellow_urgent_labour_matter(config):
    s = run(THIRTY_FOUR_WORKERS, config, level="county")
    assert (s.category, s.risk.value, s.urgency.value) == ("labour", Risk.YELLOW, Urgency.URGENT)
    assert s.lead_unit == "人力资源和社会保障局"
    assert "住房和城乡建设局" in {u.name for u in s.units}


def test_the_plain_matters_of_the_reports_stay_blue(config):
    for text, category in ((RESTAURANT_NOISE, "noise"), (DEPOSIT, "contract"), (SANMING_NEIGHBOURS, "neighbour")):
        s = run(text, config)
        assert (s.category, s.risk.value) == (category, Risk.BLUE), text
        assert s.risk.decided_by == ()
    assert names(run(SANMING_NEIGHBOURS, config)) == set()  # 三元區 is a district, not 3 yuan


def test_the_property_fee_matter_is_blue(config):
    s = run(PROPERTY_FEE, config)
    assert s.risk.value == Risk.BLUE
    assert names(s) == {"money"}
