"""No one edits or deletes the audit trail: not the admin (a superuser neither), not the model, not the
database; only the pruning job removes rows, and only those past the retention."""

import datetime as dt

import pytest
from django.db import IntegrityError, InternalError, OperationalError, connection, transaction
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone

from yimen.audit.checks import check_audit_retention
from yimen.audit.guard import guard_install
from yimen.audit.models import AppendOnly, AuditEvent, AuditKind
from yimen.audit.services import audit_prune, audit_record

DB_REFUSALS = (IntegrityError, InternalError, OperationalError)


def _event(*, days_old=0, summary="clerk 登录"):
    return AuditEvent.objects.create(at=timezone.now() - dt.timedelta(days=days_old), kind=AuditKind.SIGNED_IN,
                                     actor_username="clerk", summary=summary)


def test_the_model_refuses_to_save_an_existing_record_again(db):
    event = _event()
    event.summary = "改过"
    with pytest.raises(AppendOnly):
        event.save()
    assert AuditEvent.objects.get().summary == "clerk 登录"


def test_the_model_and_its_queryset_refuse_to_delete_or_update(db):
    event = _event()
    with pytest.raises(AppendOnly):
        event.delete()
    with pytest.raises(AppendOnly):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(summary="改过")
    assert AuditEvent.objects.get().summary == "clerk 登录"


@pytest.mark.parametrize("who", ["auditor", "admin"])
def test_the_admin_offers_no_add_change_or_delete_even_to_a_superuser(client, admins, who):
    event = _event()
    client.force_login(getattr(admins, who))
    assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    assert client.post(reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    client.post(reverse("admin:audit_auditevent_change", args=[event.pk]), {"summary": "改过"})
    assert AuditEvent.objects.get(pk=event.pk).summary == "clerk 登录"


def test_the_audit_administrator_reads_the_trail_in_the_admin_read_only(client, admins):
    event = _event()
    client.force_login(admins.auditor)
    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == 200
    page = client.get(reverse("admin:audit_auditevent_change", args=[event.pk])).content.decode()
    assert 'name="summary"' not in page and "clerk 登录" in page


def test_the_database_refuses_an_update_and_the_early_delete_of_a_record(db):
    guard_install(connection)
    event = _event(days_old=179)
    for sql in (f"UPDATE audit_auditevent SET summary = 'x' WHERE id = {event.pk}",
                f"DELETE FROM audit_auditevent WHERE id = {event.pk}"):
        with pytest.raises(DB_REFUSALS), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert AuditEvent.objects.get().summary == "clerk 登录"


def test_the_pruning_job_keeps_180_days_and_removes_what_is_older(db):
    guard_install(connection)  # the job passes the database's own guard
    kept = [_event(days_old=0), _event(days_old=179)]
    _event(days_old=181, summary="过期")
    assert audit_prune() == 1
    assert sorted(AuditEvent.objects.values_list("pk", flat=True)) == sorted(e.pk for e in kept)


@override_settings(YIMEN_AUDIT_RETENTION_DAYS=400)
def test_a_longer_retention_keeps_more(db):
    _event(days_old=200)
    assert audit_prune() == 0 and AuditEvent.objects.count() == 1


@override_settings(YIMEN_AUDIT_RETENTION_DAYS=30)
def test_a_retention_below_six_months_stops_the_start_in_chinese_and_english(db):
    (error,) = check_audit_retention()
    assert error.id == "yimen.E031" and "YIMEN_AUDIT_RETENTION_DAYS=30" in error.msg
    assert "网络安全法第二十一条" in error.msg and "six months" in error.msg
    # Even so, the job would not go below the legal floor.
    _event(days_old=100)
    assert audit_prune() == 0


def test_the_default_retention_passes_the_check(settings):
    assert settings.YIMEN_AUDIT_RETENTION_DAYS == 180 and check_audit_retention() == []


def test_the_worker_prunes_the_trail_in_its_hourly_round(db):
    from yimen.common.jobs import HOURLY, periodic_jobs

    (job,) = [job for job in periodic_jobs() if job.name == "audit retention"]
    _event(days_old=365)
    job.run(every=job.interval(), stop=None)
    assert job.interval() == HOURLY and not AuditEvent.objects.exists()


def test_audit_text_from_outside_loses_its_control_characters(db):
    event = audit_record(kind=AuditKind.SIGN_IN_FAILED, summary="以账号 a\x00b 登录失败", actor_username="a\x00b")
    assert "\x00" not in event.summary and "\x00" not in event.actor_username
