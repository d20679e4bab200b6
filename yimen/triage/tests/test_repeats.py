from datetime import datetime, timedelta

from yimen.triage.engine import suggest
from yimen.triage.repeats import (
    InMemoryHistory,
    PriorMatter,
    find_repeats,
    hamming,
    party_key,
    party_keys_in_text,
    simhash,
    valid_id_number,
)

NOW = datetime(2025, 6, 10, 9, 0)
ID = "11010519491231002X"


def test_resident_id_numbers_are_checked_by_their_check_digit():
    assert valid_id_number(ID)
    assert not valid_id_number("110105194912310021")


def test_party_keys_normalise_phones_and_ids():
    assert party_key("+86 138-0013-8000") == "phone:13800138000"
    assert party_key(ID.lower()) == f"id:{ID}"
    assert party_key("张三") is None
    assert party_keys_in_text(f"来访人身份证{ID}，电话13800138000") == [f"id:{ID}", "phone:13800138000"]


def test_simhash_is_stable_and_close_for_near_identical_texts():
    a = simhash("小区楼下餐馆深夜噪声扰民，严重影响休息")
    assert a == simhash("小区楼下餐馆深夜噪声扰民，严重影响休息")
    assert hamming(a, simhash("小区楼下餐馆深夜噪声扰民,严重影响休息!")) <= 3
    assert hamming(a, simhash("物业公司乱收停车费，业主很不满")) > 10


def history():
    return InMemoryHistory(
        [
            PriorMatter("A-1", "楼上漏水把我家天花板泡坏了", NOW - timedelta(days=20), ("phone:13800138000",), "neighbour"),
            PriorMatter("A-2", "老板拖欠34名工人工资共计24万余元，包工头电话打不通", NOW - timedelta(days=3), (), "labour"),
            PriorMatter("A-3", "早年的一件事", NOW - timedelta(days=400), ("phone:13800138000",), "other"),
        ]
    )


def test_the_same_party_within_the_window_is_a_repeat():
    links = find_repeats(
        "又来反映漏水", ["13800138000"], history(), now=NOW, repeat_window_days=180, duplicate_window_days=30, duplicate_threshold=90
    )
    assert [(l.ref, l.kind) for l in links] == [("A-1", "repeat")]
    assert "138****8000" in links[0].reason


def test_near_identical_text_is_a_duplicate():
    links = find_repeats(
        "老板拖欠34名工人工资共计24万余元，包工头电话打不通！",
        [],
        history(),
        now=NOW,
        repeat_window_days=180,
        duplicate_window_days=30,
        duplicate_threshold=90,
    )
    assert [(l.ref, l.kind) for l in links] == [("A-2", "duplicate")]
    assert links[0].score >= 90


def test_matters_outside_the_window_are_not_linked():
    links = find_repeats(
        "又来反映漏水", ["13800138000"], history(), now=NOW, repeat_window_days=10, duplicate_window_days=30, duplicate_threshold=90
    )
    assert links == []


def test_a_different_matter_is_not_a_duplicate():
    links = find_repeats(
        "广场舞音响太吵", [], history(), now=NOW, repeat_window_days=180, duplicate_window_days=30, duplicate_threshold=90
    )
    assert links == []


def test_suggest_shows_repeats_and_raises_a_repeat_party_signal(config):
    s = suggest("楼上又漏水了", party_ids=["138 0013 8000"], history=history(), now=NOW, config=config, model=None, with_legal=False)
    assert [r.ref for r in s.repeats] == ["A-1"]
    assert "repeat_party" in {x.name for x in s.signals}
    assert s.risk.value == "yellow"
    assert s.as_dict()["repeats"][0]["kind"] == "repeat"


def test_a_matter_does_not_repeat_itself(config):
    h = history()
    s = suggest("楼上漏水把我家天花板泡坏了", history=h, now=NOW, config=config, model=None, with_legal=False, exclude_ref="A-1")
    assert s.repeats == []


def test_similar_resolved_matters_come_from_the_same_category():
    h = InMemoryHistory(
        [
            PriorMatter("R-1", "楼上漏水泡坏天花板，调解后楼上赔偿2000元", NOW, (), "neighbour", True, "赔偿2000元"),
            PriorMatter("R-2", "拖欠工资", NOW, (), "labour", True, "已支付"),
            PriorMatter("R-3", "楼上漏水", NOW, (), "neighbour", False),
        ]
    )
    found = h.similar_resolved("楼上漏水泡坏了我家", category="neighbour")
    assert [m.ref for m in found] == ["R-1"]
