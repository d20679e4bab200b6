"""The rename to the one code list: rules and records stored in the engine's old words read back in the new."""

from importlib import import_module

import pytest
from django.apps import apps as current_apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.test import override_settings

from yimen.cases.models import Case, DomainClass, Urgency
from yimen.triage.config import get_config, invalidate
from yimen.triage.models import CategoryProfile, GradeRule, SuggestionRecord, TriageSetting

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("triage", "0002_grades_in_cases_codes")]
OLD_PROPOSAL = {
    "category": "other",
    "risk": {"code": "blue", "label": "蓝色"},
    "urgency": {"code": "wishes", "label": "期盼事全力办", "reason": "诉求属于期盼", "decided_by": []},
    "domain_class": {"code": "peace", "label": "平安建设", "reason": "", "decided_by": []},
}


@pytest.fixture
def migrations_on():
    """The real migrations, the test database taken as migrated to the latest (it is built from the models)."""
    with override_settings(MIGRATION_MODULES={}):
        recorder = MigrationRecorder(connection)
        recorder.ensure_schema()
        had = set(recorder.applied_migrations())
        for app, name in MigrationExecutor(connection).loader.graph.nodes:
            recorder.record_applied(app, name)
        yield
        _migrate(_latest())
        for app, name in set(recorder.applied_migrations()) - had:
            recorder.record_unapplied(app, name)


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _store_old_rules(apps):
    apps.get_model("triage", "CategoryProfile").objects.create(code="other", label="其他", domain="work_safety", urgency="wishes")
    GradeRule_ = apps.get_model("triage", "GradeRule")
    GradeRule_.objects.create(target="domain", value="social_livelihood", priority=10, reason="民生")
    GradeRule_.objects.create(target="risk", value="red", priority=10, reason="红")
    Setting = apps.get_model("triage", "TriageSetting")
    Setting.objects.create(key="grade_defaults", value={"risk": "blue", "urgency": "worrying", "domain": "social_livelihood"})
    Setting.objects.create(key="grade_labels", value={"urgency": {"wishes": "期盼事全力办"}})
    apps.get_model("triage", "SuggestionRecord").objects.create(
        case_ref="YC-1", suggested_category="other", suggested_risk="blue", suggested_urgency="wishes",
        suggested_domain="peace", suggestion=OLD_PROPOSAL, final_category="other", final_urgency="wishes",
        final_domain="work_safety", category_accepted=True, all_accepted=False, decided_at="2026-01-05T08:00:00Z",
    )


def test_rules_and_records_in_the_old_spelling_read_back_in_the_new_and_back_again(migrations_on):
    try:
        _store_old_rules(_migrate(BEFORE))
        _migrate(_latest())

        profile = CategoryProfile.objects.get(code="other")
        assert (profile.domain, profile.urgency) == (DomainClass.PRODUCTION_SAFETY, Urgency.WISH)
        # (0006 adds the escalation rules beside them: the table holds rows.)
        stored = GradeRule.objects.filter(reason__in=["民生", "红"])
        assert set(stored.values_list("target", "value")) == {("domain", "livelihood"), ("risk", "red")}
        assert TriageSetting.objects.get(key="grade_defaults").value["domain"] == "livelihood"
        assert not TriageSetting.objects.filter(key="grade_labels").exists()
        record = SuggestionRecord.objects.get()
        assert (record.suggested_urgency, record.suggested_domain) == ("wish", "safety")
        assert (record.final_urgency, record.final_domain) == ("wish", "production_safety")
        assert record.suggestion["urgency"] == {**OLD_PROPOSAL["urgency"], "code": "wish", "label": "期盼事·全力办"}
        assert record.suggestion["domain_class"]["code"] == "safety" and record.suggestion["risk"] == OLD_PROPOSAL["risk"]
        invalidate()
        assert get_config().grade_defaults["domain"] == "livelihood"  # the engine reads the renamed rows

        old = _migrate(BEFORE)
        record = old.get_model("triage", "SuggestionRecord").objects.get()
        assert (record.suggested_urgency, record.final_domain, record.suggestion) == ("wishes", "work_safety", OLD_PROPOSAL)
        assert old.get_model("triage", "CategoryProfile").objects.get().domain == "work_safety"
        assert old.get_model("triage", "TriageSetting").objects.filter(key="grade_labels").exists()
    finally:
        invalidate()


def test_a_matters_stored_proposal_takes_the_new_codes(world):
    """cases 0010 runs the same rename over Case.triage (in SQL: the table holds millions of matters)."""
    case = world.register(description="希望在村口装个红绿灯")
    other = world.register(description="楼上漏水把我家泡坏了")
    Case.objects.filter(pk=case.pk).update(triage=OLD_PROPOSAL)
    Case.objects.filter(pk=other.pk).update(triage={**OLD_PROPOSAL, "urgency": {"code": "urgent", "label": "急难事马上办"}})
    migration = import_module("yimen.cases.migrations.0010_triage_in_cases_codes")
    with connection.schema_editor() as editor:
        migration.forwards(current_apps, editor)
    case.refresh_from_db()
    other.refresh_from_db()
    assert case.triage["urgency"] == {**OLD_PROPOSAL["urgency"], "code": "wish", "label": "期盼事·全力办"}
    assert case.triage["domain_class"]["code"] == other.triage["domain_class"]["code"] == "safety"
    assert other.triage["urgency"] == {"code": "urgent", "label": "急难事马上办"}  # spelt the same: left alone
    with connection.schema_editor() as editor:
        migration.backwards(current_apps, editor)
    case.refresh_from_db()
    assert case.triage == OLD_PROPOSAL
