"""Text search (cases/search.py): the index finds what a full scan finds, on both databases."""

import random

import pytest
from django.core.management import call_command
from django.db import connection

from yimen.cases.intake import CaseInput, PartyInput, case_register
from yimen.cases.models import Case, CaseSearch
from yimen.cases.search import case_exact_text_q, case_search_write, document_tokens, query_terms
from yimen.cases.selectors import CaseFilters, case_list_for_user

TEXTS = [
    "张三等12名工人在桃源镇某工地务工，工资共计8万余元至今未结清，包工头电话不接。",
    "双方因房屋漏水问题发生争执，楼上住户拒绝维修，影响楼下正常生活。",
    "WeChat群里约定的A区3栋装修款，对方以各种理由拖延",
    "老王",
]


def _found(query: str, tokens: list[str]) -> bool:
    needed, prefixes = query_terms(query)
    return set(needed) <= set(tokens) and all(any(t.startswith(p) for t in tokens) for p in prefixes)


def test_every_substring_of_a_text_is_found_through_its_tokens():
    rng = random.Random(13)
    for text in TEXTS:
        tokens = document_tokens([text])
        for _ in range(300):
            start = rng.randrange(len(text))
            query = text[start:start + rng.randint(1, 6)]
            assert _found(query, tokens), query
        assert _found(text.upper(), tokens)  # ASCII case is ignored


def test_a_query_not_in_the_text_is_usually_not_a_candidate():
    tokens = document_tokens(TEXTS)
    for query in ("塌方", "泥石流", "违章搭建", "xyz"):
        assert not _found(query, tokens), query


def _register_corpus(world):
    made = {
        "wages": world.register(),  # title 欠薪纠纷, 张三, 某建筑劳务公司
        "leak": world.register(
            title="楼上漏水", description="双方因房屋漏水问题发生争执，楼上住户拒绝维修。", request="请求上门查看",
            address="人民路12号", category=world.neighbour,
            parties=[PartyInput(name="欧阳春花", address="杏花村3组")],
        ),
        "latin": world.register(
            title="装修款纠纷", description="WeChat群里约定的装修款，对方拖延支付。", request="",
            parties=[PartyInput(name="李四", address="A区3栋")],
        ),
        # In another county (明湖区): 青溪县's users never see it, whatever they type.
        "elsewhere": case_register(actor=None, data=CaseInput(
            channel="walk_in", region=world.township3, title="楼上漏水", description="漏水多日，欧阳春花反映。",
            parties=[PartyInput(name="欧阳春花")],
        )),
    }
    return made


def _numbers(user, text):
    return sorted(case_list_for_user(user=user, filters=CaseFilters(text=text)).values_list("number", flat=True))


def _scanned(user, text):
    """What a full scan with the exact test gives (no index)."""
    qs = case_list_for_user(user=user, filters=CaseFilters()).filter(case_exact_text_q(text))
    return sorted(qs.values_list("number", flat=True))


@pytest.mark.parametrize("text", [
    "漏水", "欠薪", "张三",  # 2 characters: title, title, party name
    "漏水问", "建筑劳", "人民路",  # 3: description, party name (organisation), address
    "房屋漏水", "欧阳春花", "杏花村3组",  # 4+: description, party name, party address
    "上门查看",  # request
    "wechat", "WeChat", "a区3栋",  # latin text, any ASCII case; mixed with digits
    "王", "楼", "工",  # one character
    "塌方", "泥石流", "违章搭建", "xyz",  # no match
    "楼上，漏水",  # punctuation in the query: no run crosses it
])
def test_text_search_finds_what_a_full_scan_finds(world, text):
    made = _register_corpus(world)
    for user in (world.dispatcher, world.county_dispatcher, world.city_dispatcher):
        assert _numbers(user, text) == _scanned(user, text), (user, text)
    assert made["elsewhere"].number not in _numbers(world.county_dispatcher, text)


def test_each_field_is_searched_and_out_of_scope_matters_are_never_found(world):
    made = _register_corpus(world)
    expect = {
        "欠薪": {"wages"}, "漏水问题": {"leak"}, "上门查看": {"leak"}, "人民路12号": {"leak"},
        "欧阳春花": {"leak"}, "杏花村3组": {"leak"}, "建筑劳务": {"wages"}, "WECHAT": {"latin"}, "A区3栋": {"latin"},
        "塌方": set(),
    }
    for text, keys in expect.items():
        assert _numbers(world.county_dispatcher, text) == sorted(made[k].number for k in keys), text
    # The city sees the other county's matter too; the county never does.
    assert _numbers(world.city_dispatcher, "欧阳春花") == sorted([made["leak"].number, made["elsewhere"].number])


def test_the_number_is_found_exactly_and_only_whole(world):
    made = _register_corpus(world)
    number = made["leak"].number
    assert _numbers(world.county_dispatcher, number) == [number]
    assert _numbers(world.county_dispatcher, number[:-1]) == []
    assert _numbers(world.outsider, number) == []


def test_a_query_without_word_characters_still_answers_by_scanning(world):
    case = world.register(title="纠纷（紧急）！！", description="见标题")
    assert _numbers(world.dispatcher, "！！") == [case.number]


def test_an_edit_in_the_admin_is_searchable_at_once(world):
    from types import SimpleNamespace

    from django.contrib.admin.sites import site

    case = world.register()
    assert _numbers(world.dispatcher, "鱼塘") == []
    case.title = "鱼塘承包纠纷"
    site._registry[Case].save_model(request=None, obj=case, form=SimpleNamespace(changed_data=["title"]), change=True)
    assert _numbers(world.dispatcher, "鱼塘") == [case.number]
    assert _numbers(world.dispatcher, "欠薪") == []  # the old title is gone from the index


def test_the_reindex_command_rebuilds_missing_tokens_in_batches(world, capsys):
    cases = [world.register(title=f"鱼塘纠纷{i}") for i in range(3)]
    CaseSearch.objects.all().delete()
    assert _numbers(world.dispatcher, "鱼塘") == []
    call_command("search", "reindex", "--batch", "1", "--missing")
    assert _numbers(world.dispatcher, "鱼塘") == sorted(c.number for c in cases)
    assert "done: 3 matters" in capsys.readouterr().out
    call_command("search", "reindex", "--batch", "2")  # everything again: rewrites, no duplicates
    assert CaseSearch.objects.count() == 3


def test_a_rewrite_replaces_the_old_tokens(world):
    case = world.register()
    case.description = "鱼塘承包"
    case.save(update_fields=["description"])
    case_search_write(case=case)
    assert _numbers(world.dispatcher, "鱼塘") == [case.number]
    assert _numbers(world.dispatcher, "包工头") == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQL tokenizer is PostgreSQL's; run by make test there")
def test_the_sql_tokenizer_gives_the_python_tokens(db):
    samples = TEXTS + ["", "ABC-def_12 ＡＢ１２ 𠀋𠀌 한국어 カタカナ ñandú", "449001001-2026-000123", "a", "！？"]
    with connection.cursor() as cursor:
        for text in samples:
            cursor.execute("SELECT array_to_string(tsvector_to_array(yimen_search_document(%s, %s)), ' ')", [text, text])
            assert sorted(cursor.fetchone()[0].split()) == document_tokens([text], number=text), text


@pytest.mark.parametrize("text", ["漏水", "欧阳春花", "纠纷", "王", "塌方"])
def test_a_common_word_past_the_candidate_cap_gives_the_same_matches(world, monkeypatch, text):
    from yimen.cases import search

    _register_corpus(world)
    monkeypatch.setattr(search, "CANDIDATE_CAP", 1)
    for user in (world.dispatcher, world.county_dispatcher, world.city_dispatcher):
        assert _numbers(user, text) == _scanned(user, text), (user, text)


def test_a_query_needs_every_character_covered_by_its_bigrams():
    assert query_terms("拖欠工资") == (["拖欠", "工资"], [])
    assert query_terms("泥石流") == (["泥石", "石流"], [])
    assert query_terms("王 a区3栋") == (["a区", "3栋"], ["王"])


def test_when_the_index_cannot_answer_in_time_the_list_is_walked_with_the_exact_test(world, monkeypatch):
    from yimen.cases import search

    made = _register_corpus(world)
    monkeypatch.setattr(search, "_index_hits", lambda *args, **kwargs: None)
    assert _numbers(world.county_dispatcher, "漏水") == [made["leak"].number]
    assert _numbers(world.county_dispatcher, "欧阳春花") == [made["leak"].number]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the probe's time budget is PostgreSQL's")
def test_an_index_probe_past_its_budget_says_it_could_not_answer(db, settings):
    import psycopg

    from yimen.cases import search

    settings.YIMEN_SEARCH_PROBE_TIMEOUT_MS = 50
    other = connection.settings_dict
    with psycopg.connect(host=other["HOST"], port=other["PORT"] or 5432, user=other["USER"], dbname=other["NAME"]) as blocker:
        blocker.execute("LOCK TABLE cases_casesearch IN ACCESS EXCLUSIVE MODE")  # the probe waits, then gives up
        assert search._index_hits(["漏水"], [], "", limit=10) is None
    assert search._index_hits(["漏水"], [], "", limit=10) == []
    with connection.cursor() as cursor:  # the budget was the probe's only: the transaction goes on unbounded
        cursor.execute("SELECT current_setting('statement_timeout')")
        assert cursor.fetchone()[0] == "0"
