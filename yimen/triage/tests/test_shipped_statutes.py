"""The regulations shipped as statute data, and what the legal basis of a matter cites from them."""

from datetime import datetime
from importlib import import_module

import pytest
from django.apps import apps

from yimen.triage import legal
from yimen.triage.engine import suggest
from yimen.triage.models import Statute
from yimen.triage.statutes import SHIPPED_DIR, shipped_articles, shipped_statutes, shipped_statutes_load

from .test_seed_stories import DIVIDEND_1642_HOUSEHOLDS, PROPERTY_FEE, THIRTY_FOUR_WORKERS, TWO_COURT_LAND_DISPUTE

NOW = datetime(2025, 6, 10, 9, 0)
_LIBRARY: list = []


@pytest.fixture
def library():
    """The national laws plus the shipped regulations, as an installation has them after migrate."""
    if not _LIBRARY:
        _LIBRARY.append(legal.build_index(local=shipped_articles()))
    legal.set_index(_LIBRARY[0])
    return _LIBRARY[0]


def basis(text, config):
    return suggest(text, config=config, model=None, with_legal=True, now=NOW).legal_basis


def test_every_shipped_file_parses_and_names_its_source():
    shipped = shipped_statutes()
    titles = {s.parsed.title for s in shipped}
    assert {"保障农民工工资支付条例", "物业管理条例", "信访工作条例"} <= titles
    for s in shipped:
        assert len(s.parsed.articles) >= 10, s.file
        assert (SHIPPED_DIR / s.file).read_text(encoding="utf-8").startswith("<!-- 来源："), s.file
    assert {s.parsed.title for s in shipped if s.region_code} == {"山东省多元化解纠纷促进条例", "深圳经济特区矛盾纠纷多元化解条例"}
    assert not any(s.active for s in shipped if s.region_code)


@pytest.mark.django_db
def test_the_migration_loads_them_once_and_keeps_a_centres_own_copy():
    Statute.objects.create(title="物业管理条例", kind="regulation", source_file="本市汇编.md")
    migration = import_module("yimen.triage.migrations.0005_shipped_statutes")
    migration.load_shipped(apps, None)
    migration.load_shipped(apps, None)  # a second run writes nothing twice
    assert Statute.objects.count() == len(shipped_statutes())
    assert Statute.objects.get(title="物业管理条例").source_file == "本市汇编.md"
    wages = Statute.objects.get(title="保障农民工工资支付条例")
    assert wages.articles.count() == 64 and wages.is_active and wages.effective_date.isoformat() == "2019-12-30"
    assert not Statute.objects.get(title="深圳经济特区矛盾纠纷多元化解条例").is_active
    laws = {a.law for a in legal.local_articles_from_db()[0]}
    assert "保障农民工工资支付条例" in laws and "深圳经济特区矛盾纠纷多元化解条例" not in laws
    assert shipped_statutes_load() == []
    migration.unload_shipped(apps, None)
    assert list(Statute.objects.values_list("title", flat=True)) == ["物业管理条例"]


@pytest.mark.national_laws
def test_wage_arrears_rest_on_the_migrant_workers_wage_regulation(library, config):
    for text in (THIRTY_FOUR_WORKERS, "包工头拖欠我们工资三个月了，一直不给"):
        hits = basis(text, config)
        assert hits[0].law == "保障农民工工资支付条例", [h.law for h in hits]


@pytest.mark.national_laws
def test_property_matters_cite_the_property_management_regulation(library, config):
    for text in (PROPERTY_FEE, "小区电梯老是坏，物业不修，还要涨物业费"):
        assert "物业管理条例" in [h.law for h in basis(text, config)]


def _foreign_or_maritime(hit):
    return any(word in hit.law for word in ("海商", "海事", "国际")) or any(w in hit.text for w in ("外国", "涉外", "海事"))


@pytest.mark.national_laws
@pytest.mark.parametrize(
    "text",
    [
        "法院判决对方还我12万元，对方拒不履行，执行不到位",
        TWO_COURT_LAND_DISPUTE,
        "租客退租时房东不退押金，说要扣换锁的钱",
        "李某把矿石运到矿厂，运费谁付谈不拢",
    ],
)
def test_foreign_judgment_and_maritime_procedure_never_lead_a_domestic_dispute(library, config, text):
    hits = basis(text, config)
    assert hits and not any(_foreign_or_maritime(h) for h in hits), [(h.law, h.article) for h in hits]


@pytest.mark.national_laws
def test_a_foreign_judgment_still_finds_its_procedure(library, config):
    hits = basis("我在国外法院打赢了离婚官司，外国法院的判决想在国内申请承认和执行", config)
    assert any(h.law == "中华人民共和国民事诉讼法" and "外国法院" in h.text for h in hits)


@pytest.mark.national_laws
@pytest.mark.parametrize(
    "text",
    ["镇政府和我签了征收补偿协议，现在不按协议给补偿款，我想告政府", "和街道办签的房屋征收安置协议，政府一直不履行"],
)
def test_an_administrative_agreement_cites_the_administrative_litigation_law(library, config, text):
    hits = basis(text, config)
    assert "中华人民共和国行政诉讼法" in [h.law for h in hits[:3]], [(h.law, h.article) for h in hits]


def test_the_shipped_rules_are_tokenised_once_and_read_back_from_disk(tmp_path, monkeypatch):
    monkeypatch.setenv("YIMEN_TRIAGE_CACHE_DIR", str(tmp_path))
    first = legal.build_index(national=False, local=shipped_articles())
    assert list(tmp_path.glob("local-*.npz"))

    def no_tokenising(article):
        raise AssertionError("the cached counts should have been read")

    monkeypatch.setattr(legal, "_article_tokens", no_tokenising)
    again = legal.build_index(national=False, local=shipped_articles())
    assert again.vocab == first.vocab
    query = "包工头拖欠农民工工资"
    assert [(h.law, h.article) for h in again.search(query)] == [(h.law, h.article) for h in first.search(query)]


@pytest.mark.national_laws
def test_the_seeds_stability_stories_cite_the_petition_and_rural_revitalisation_rules(library, config):
    assert "信访工作条例" in [h.law for h in basis(TWO_COURT_LAND_DISPUTE, config)[:2]]
    laws = [h.law for h in basis(DIVIDEND_1642_HOUSEHOLDS, config)]
    assert laws[0] in {"中华人民共和国乡村振兴促进法", "中华人民共和国农村集体经济组织法"}, laws
    assert "中华人民共和国突发公共卫生事件应对法" not in laws[:2]
