import pytest

from yimen.triage import legal
from yimen.triage.statutes import StatuteFormatError, parse_statute, read_statute_file

from .conftest import LOCAL_RULES


def test_the_importer_reads_title_chapters_articles_and_continued_paragraphs():
    parsed = read_statute_file(LOCAL_RULES)
    assert parsed.title == "示例市邻里纠纷调解办法"
    assert parsed.effective_date == "2024-01-01"
    assert [a.number for a in parsed.articles] == [1, 2, 3, 4, 5, 6]
    third = parsed.articles[2]
    assert third.label == "第三条"
    assert third.chapter == "第二章 调解"
    assert "背靠背" in third.text  # the second paragraph belongs to the same article


def test_the_importer_accepts_traditional_text_and_arabic_article_numbers(tmp_path):
    f = tmp_path / "條例.txt"
    f.write_text("示範條例\n第一章 總則\n第1条 為了保障勞動者權益，制定本條例。\n第2条 本條例自公布之日起施行。\n", encoding="utf-8")
    parsed = read_statute_file(f)
    assert parsed.title == "示范条例"
    assert [a.number for a in parsed.articles] == [1, 2]
    assert "劳动者" in parsed.articles[0].text


def test_a_file_without_articles_is_refused_in_chinese():
    with pytest.raises(StatuteFormatError, match="第X条"):
        parse_statute("# 某某办法\n这里没有条文。")


def test_duplicate_article_numbers_are_refused():
    with pytest.raises(StatuteFormatError, match="两次"):
        parse_statute("# 某办法\n第一条 甲。\n第一条 乙。")


def test_search_finds_the_local_rule_about_leaks():
    hits = legal.search("楼上漏水把我家泡坏了，要求赔偿", k=3)
    assert hits[0].law == "示例市邻里纠纷调解办法"
    assert hits[0].article == "第四条"
    assert hits[0].source == "local"


def test_search_returns_nothing_for_text_without_legal_words():
    assert legal.search("嗯嗯好的", k=3) == []


def test_find_accepts_short_law_names():
    index = legal.get_index()
    assert index.find("《示例市邻里纠纷调解办法》", 5).label == "第五条"
    assert index.find("示例市邻里纠纷调解办法", 99) is None


@pytest.mark.national_laws
def test_national_laws_are_searchable_and_cite_articles():
    hits = legal.search("离婚后前夫不给孩子抚养费", k=5, category="marriage")
    assert hits and hits[0].law == "中华人民共和国民法典"
    assert any("抚养费" in h.text for h in hits)
    index = legal.get_index()
    assert index.find("人民调解法", 33) is not None
    assert index.find("中华人民共和国民法典", 1085) is not None


@pytest.mark.national_laws
def test_no_law_fills_more_than_two_places():
    hits = legal.search("工资 劳动报酬 拖欠 用人单位 劳动合同", k=5)
    laws = [h.law for h in hits]
    assert max(laws.count(x) for x in laws) <= legal.MAX_PER_LAW
