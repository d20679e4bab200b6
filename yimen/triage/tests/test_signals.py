import pytest

from yimen.triage.normalize import normalize
from yimen.triage.signals import detect_signals, extract_amounts, extract_headcounts, parse_number


def signals(text, config):
    return {s.name: s for s in detect_signals(normalize(text).match, config)}


def amounts(text):
    return [a.value for a in extract_amounts(normalize(text).match)]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("拖欠工资共计24万余元", 240000),
        ("拖欠工资二十四万余元", 240000),
        ("借款人民币贰万元整", 20000),
        ("借款壹万贰仟元", 12000),
        ("工程款3.5万元", 35000),
        ("欠我12,500元", 12500),
        ("一共１２０００元", 12000),
        ("他欠了我三万多，一直不还", 30000),
        ("赔了5w", 50000),
        ("月薪8k", 8000),
        ("¥3500", 3500),
        ("人民币120000元", 120000),
        ("一百二十万元的工程款", 1200000),
        ("损失1.2亿元", 120000000),
        ("一万五千块钱", 15000),
        ("欠了一万五", 15000),
        ("两万块", 20000),
        ("三千五百块", 3500),
        ("十几万块钱", 120000),
        ("他欠我3000", 3000),
        ("工资一万二不给", 12000),
        ("二十多万", 200000),
    ],
)
def test_it_reads_amounts_in_every_numeral_style(text, value):
    assert max(amounts(text)) == value


@pytest.mark.parametrize("text", ["涉及2万人", "3万平方米的厂房", "干了3个月", "2024年5月", "住在3号楼", "34名工人", "三明市三元区岩前镇", "多元化解"])
def test_numbers_that_are_not_money_are_not_amounts(text):
    assert amounts(text) == []


def test_余_and_多_mark_an_amount_as_approximate():
    (a,) = extract_amounts(normalize("24万余元").match)
    assert a.approximate
    (b,) = extract_amounts(normalize("24万元").match)
    assert not b.approximate


def test_parse_number_understands_colloquial_forms():
    assert parse_number("三十多万") == (300000.0, True)
    assert parse_number("一万五") == (15000.0, False)
    assert parse_number("12,500") == (12500.0, False)
    assert parse_number(",") is None


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("34名工人", 34),
        ("42户", 42),
        ("小区1642户业主", 1642),
        ("二十多个农民工", 20),
        ("十余名工人", 10),
        ("上百名业主", 100),
        ("30多人", 30),
        ("三十多个老人", 30),
        ("五十多户村民", 50),
    ],
)
def test_it_counts_people_and_households(text, count):
    assert max(h.value for h in extract_headcounts(normalize(text).match)) == count


@pytest.mark.parametrize("text", ["第一名", "3个月", "3000余人次", "20人民币", "兄妹四人", "一家三口人", "3位数"])
def test_it_does_not_count_ranks_months_or_families_as_crowds(text):
    assert extract_headcounts(normalize(text).match) == [] or max(h.value for h in extract_headcounts(normalize(text).match)) < 3


def test_money_signal_weight_grows_with_the_sum(config):
    small = signals("欠我3000元", config)["money"]
    large = signals("欠我24万余元", config)["money"]
    huge = signals("欠款三百多万元", config)["money"]
    assert small.weight < large.weight < huge.weight
    assert large.value == 240000
    assert "24万余元" in large.explanation


def test_headcount_signal_explains_the_crowd(config):
    s = signals("包工头拖欠34名工人工资", config)["headcount"]
    assert s.value == 34
    assert "34" in s.explanation and "群体" in s.explanation


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("threat_violence", "他说再不给钱就拿刀去砍死老板"),
        ("threat_violence", "邻居扬言要让我好看"),
        ("self_harm", "我真的活不下去了，再不给就从楼上跳下去，我就跳楼"),
        ("self_harm", "她说要喝农药"),
        ("escalation_threat", "工人们说要去北京上访"),
        ("escalation_threat", "家属把遗体停在工厂门口"),
        ("fled", "老板跑路了"),
        ("fled", "司机肇事逃逸"),
        ("unreachable", "包工头电话打不通"),
        ("holiday_wage", "马上过年了，工钱还没发"),
        ("elderly", "我父亲今年82岁"),
        ("elderly", "村里的孤寡老人"),
        ("minor", "孩子才9岁"),
        ("disabled", "老人瘫痪在床"),
        ("hardship", "我家是低保户"),
        ("repeat_visit", "这是我第四次来反映了"),
        ("repeat_visit", "推来推去一直没解决"),
        ("prior_escalation", "已经打过12345好几次"),
        ("after_ruling", "法院判决他还钱，可他拒不履行"),
        ("long_standing", "这个事拖了十几年了"),
        ("casualty", "工人在厂里触电身亡"),
        ("violence_occurred", "两家人为了田埂打起来了"),
        ("safety_hazard", "燃气管道漏气，闻到很大的煤气味"),
        ("group_action", "全村村民都受影响"),
        ("urgent_now", "快来人，他们正在打架"),
    ],
)
def test_each_signal_fires_on_its_words(config, name, text):
    fired = signals(text, config)
    assert name in fired, fired
    assert fired[name].explanation and fired[name].weight > 0


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("threat_violence", "我每天拼命干活也没拿到钱"),
        ("threat_violence", "打死也不同意这个方案"),
        ("casualty", "父亲去世后留下一套房子，兄弟几个分遗产"),
        ("casualty", "鱼塘里的鱼都死了"),
        ("minor", "产妇在医院生孩子大出血"),
        ("holiday_wage", "马上过年了，想把房子修一修"),
        ("after_ruling", "我想去法院起诉"),
        ("fled", "我跑了好几趟"),
    ],
)
def test_signals_do_not_fire_on_look_alikes(config, name, text):
    assert name not in signals(text, config)


def test_traditional_characters_fire_the_same_signals(config):
    fired = signals("老闆跑路了，拖欠我們15個民工的工資共計九萬多元", config)
    assert {"fled", "money", "headcount"} <= set(fired)
    assert fired["headcount"].value == 15
