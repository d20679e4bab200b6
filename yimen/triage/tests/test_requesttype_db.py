"""Request types as rows the administrator edits: the engine follows the admin's edits."""

import pytest
from django.urls import reverse

from yimen.triage import config as config_mod
from yimen.triage.config import get_config
from yimen.triage.engine import suggest
from yimen.triage.models import RequestType, RequestTypeCue
from yimen.triage.rules_db import config_from_db, load_defaults

TEXT = "这位网格员半夜冒雨帮我们疏通下水道，特此点赞表扬"


@pytest.fixture(autouse=True)
def _fresh_config():
    config_mod.invalidate()
    yield
    config_mod.invalidate()


def test_loaded_request_types_give_the_same_suggestions_as_the_files(db, config):
    load_defaults()
    from_db = config_from_db()
    assert [(t.code, t.label, t.is_default, sorted(t.cues)) for t in from_db.request_types] == [
        (t.code, t.label, t.is_default, sorted(t.cues)) for t in config.request_types
    ]
    assert from_db.lexicon_guards == config.lexicon_guards


def test_a_type_and_cue_added_in_the_admin_are_suggested_with_their_reason(
    client, world, django_capture_on_commit_callbacks
):
    load_defaults()
    before = suggest(TEXT, config=get_config(), model=None, with_legal=False).request_type
    assert before.code != "praise"
    client.force_login(world.admin)
    form = {
        "code": "praise", "label": "表扬", "sort_order": "9", "enabled": "on", "description": "",
        "cues-TOTAL_FORMS": "1", "cues-INITIAL_FORMS": "0", "cues-MIN_NUM_FORMS": "0", "cues-MAX_NUM_FORMS": "1000",
        "cues-0-cue": "点赞|表扬|感谢", "cues-0-weight": "6", "cues-0-enabled": "on",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:triage_requesttype_add"), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    after = suggest(TEXT, config=get_config(), model=None, with_legal=False).request_type
    assert after.code == "praise" and after.label == "表扬"
    assert "点赞" in after.reason

    # Switching the cue off in the admin's table: the suggestion goes back to what it was.
    cue = RequestTypeCue.objects.get(request_type__code="praise")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:triage_requesttype_change", args=[cue.request_type_id]), {
            **form, "cues-INITIAL_FORMS": "1", "cues-0-id": str(cue.pk), "cues-0-request_type": str(cue.request_type_id),
            "cues-0-enabled": "",
        })
    assert suggest(TEXT, config=get_config(), model=None, with_legal=False).request_type.code == before.code


def test_the_admin_refuses_a_cue_that_is_not_a_valid_pattern(client, world):
    load_defaults()
    client.force_login(world.admin)
    consult = RequestType.objects.get(code="consult")
    response = client.post(reverse("admin:triage_requesttype_add"), {
        "code": "x", "label": "某类", "sort_order": "9", "enabled": "on",
        "cues-TOTAL_FORMS": "1", "cues-INITIAL_FORMS": "0", "cues-MIN_NUM_FORMS": "0", "cues-MAX_NUM_FORMS": "1000",
        "cues-0-cue": "(未闭合", "cues-0-weight": "2", "cues-0-enabled": "on",
    })
    assert response.status_code == 200 and "不是有效的正则表达式" in response.content.decode()
    assert not RequestType.objects.filter(code="x").exists() and consult.cues.exists()


def test_the_data_migration_brings_the_request_types_terms_and_unit_rules_to_loaded_tables(db, config):
    import importlib

    from django.apps import apps as django_apps

    from yimen.triage.models import CategoryLexiconTerm, UnitRule

    migration = importlib.import_module("yimen.triage.migrations.0008_seed_request_types")
    load_defaults()  # an installation that loaded the rule tables before this change …
    migration.backwards(django_apps, None)
    assert not RequestType.objects.exists()
    assert not CategoryLexiconTerm.objects.filter(term="养老保险").exists()
    assert not UnitRule.objects.filter(lead_unit="人力资源和社会保障局", conditions__categories=["other"]).exists()
    migration.forwards(django_apps, None)  # … gets them, once
    migration.forwards(django_apps, None)
    assert RequestType.objects.count() == len(config.request_types)
    assert CategoryLexiconTerm.objects.filter(term="养老保险", category_code="marriage", weight=0).count() == 1
    assert UnitRule.objects.filter(reason__startswith="社会保险").count() == 1
    config_mod.invalidate()
    s = suggest("请问灵活就业人员的养老保险每年最低交多少钱", config=get_config(), model=None, with_legal=False,
                level="township")
    assert s.category == "other" and s.lead_unit == "人力资源和社会保障局"
