import io
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from yimen.triage import config as config_mod
from yimen.triage import legal
from yimen.triage.config import default_config
from yimen.triage.engine import suggest
from yimen.triage.learning import record_decision, suggestion_accuracy, training_pairs
from yimen.triage.models import CategoryLexiconTerm, GradeRule, SignalRule, Statute, SuggestionRecord, TriageModelVersion
from yimen.triage.rules_db import config_from_db, load_defaults
from yimen.triage.statutes import statute_import
from yimen.triage.training import model_activate, model_train

from .conftest import LOCAL_RULES
from .test_textmodel import LABELS, TEXTS

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_config():
    config_mod.invalidate()
    yield
    config_mod.invalidate()


def test_loaded_defaults_give_the_same_config_as_the_files(config):
    counts = load_defaults()
    assert counts["categories"] == 17 and counts["signals"] == len(config.signals)
    db = config_from_db()
    assert db.source == "db"
    assert db.category_codes == config.category_codes
    assert db.category_by_code["labour"].terms == config.category_by_code["labour"].terms
    text = "包工头拖欠34名工人工资24万余元，老板跑路了"
    a = suggest(text, config=db, model=None, with_legal=False).as_dict()
    b = suggest(text, config=config, model=None, with_legal=False).as_dict()
    for key in ("category", "risk", "urgency", "domain_class", "signals", "units"):
        assert a[key] == b[key]


def test_load_defaults_is_idempotent_and_keeps_edits():
    load_defaults()
    CategoryLexiconTerm.objects.filter(category_code="noise", term="噪音").update(weight=0.5)
    load_defaults()
    assert CategoryLexiconTerm.objects.get(category_code="noise", term="噪音").weight == 0.5
    reds_in_files = sum(1 for r in default_config().grade_rules if (r.target, r.value) == ("risk", "red"))
    assert GradeRule.objects.filter(target="risk", value="red").count() == reds_in_files


def test_an_administrators_edit_takes_effect_after_invalidation():
    load_defaults()
    assert suggest("共享单车堵了小区大门", model=None, with_legal=False).category != "campus"
    CategoryLexiconTerm.objects.create(category_code="campus", term="共享单车", weight=9)
    config_mod.invalidate()
    assert suggest("共享单车堵了小区大门", model=None, with_legal=False).category == "campus"


def test_a_disabled_signal_rule_no_longer_fires():
    load_defaults()
    SignalRule.objects.filter(name="fled").update(enabled=False)
    config_mod.invalidate()
    s = suggest("老板跑路了", model=None, with_legal=False)
    assert "fled" not in {x.name for x in s.signals}


def test_record_decision_and_accuracy():
    now = timezone.now()
    texts = {
        "C-1": ("拖欠工资三个月", "labour"),  # accepted
        "C-2": ("楼上半夜跺脚太吵", "neighbour"),  # overridden: noise → neighbour
        "C-3": ("物业费涨价", "property"),  # accepted
    }
    for ref, (text, final) in texts.items():
        s = suggest(text, model=None, with_legal=False)
        record_decision(case_ref=ref, suggestion=s, final_category=final, decided_by="dispatcher-1", decided_at=now)
    rec = SuggestionRecord.objects.get(case_ref="C-2")
    assert rec.suggested_category == "noise" and rec.final_category == "neighbour" and not rec.category_accepted
    assert rec.final_risk == rec.suggested_risk  # a blank final keeps the suggestion
    report = suggestion_accuracy(since=now - timedelta(days=1))
    assert report.decisions == 3
    assert report.category_accuracy == round(2 / 3, 4)
    assert report.category_top3_accuracy == 1.0
    assert report.by_category["neighbour"]["recall"] == 0.0
    assert "建议准确率" in report.definition
    assert suggestion_accuracy(case_refs=["C-1"]).category_accuracy == 1.0
    assert suggestion_accuracy(since=now + timedelta(days=1)).category_accuracy is None
    assert ("楼上半夜跺脚太吵", "neighbour") in training_pairs()


def test_deciding_a_matter_again_replaces_the_record():
    s = suggest("拖欠工资三个月", model=None, with_legal=False)
    record_decision(case_ref=7, suggestion=s, final_category="debt")
    record_decision(case_ref=7, suggestion=s.as_dict(), final_category="labour")
    assert SuggestionRecord.objects.filter(case_ref="7").count() == 1
    assert SuggestionRecord.objects.get(case_ref="7").category_accepted


def test_imported_statutes_join_the_library():
    legal.set_index(None)
    statute = statute_import(path=LOCAL_RULES, kind="local", region_code="440000")
    assert statute.articles.count() == 6
    assert Statute.objects.get().effective_date.isoformat() == "2024-01-01"
    index = legal.build_index(national=False, local=legal.local_articles_from_db()[0])
    hits = index.search("犬只伤人谁赔偿", 2)
    assert hits[0].law == "示例市邻里纠纷调解办法" and hits[0].article == "第五条"
    statute_import(path=LOCAL_RULES)  # re-import replaces, not duplicates
    assert Statute.objects.count() == 1 and statute.articles.count() == 6


def test_a_trained_model_is_registered_activated_and_used(tmp_path):
    result = model_train(texts=TEXTS, labels=LABELS, out_dir=tmp_path, features="char", folds=3, activate=True)
    assert result.registered
    row = TriageModelVersion.objects.get(is_active=True)
    assert row.version == result.model.version and row.metrics["char"]["macro_f1"] > 0.9
    s = suggest("工资拖欠", with_legal=False)
    assert s.model_version == row.version and s.category_top3 and s.as_dict()["model_version"] == row.version
    second = model_train(texts=TEXTS, labels=LABELS, out_dir=tmp_path, features="char", folds=3, activate=False)
    TriageModelVersion.objects.filter(version=second.model.version).update(version="v2")
    model_activate(version="v2")
    assert list(TriageModelVersion.objects.filter(is_active=True).values_list("version", flat=True)) == ["v2"]


def test_the_management_command_runs_the_cli():
    out = io.StringIO()
    call_command("triage", "load-defaults", stdout=out)
    assert '"categories": 17' in out.getvalue()


def test_a_grading_rule_in_the_old_engine_spelling_is_refused():
    rule = GradeRule(target="urgency", value="wishes", priority=5, reason="期盼")
    with pytest.raises(ValidationError) as refused:
        rule.full_clean()
    assert "wish（期盼事·全力办）" in refused.value.message_dict["value"][0]
    GradeRule(target="urgency", value="wish", priority=5, reason="期盼").full_clean()
