"""The audit page (/audit/): the audit administrator's alone, filterable, paged, exported."""

import datetime as dt
import io
from urllib.parse import unquote

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from yimen.audit.models import AuditEvent, AuditKind
from yimen.common.querycount import count_queries
from yimen.web.views.audit import PAGE_SIZE

T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))




def _event(**fields):
    defaults = dict(at=T0, kind=AuditKind.SIGNED_IN, actor_username="clerk", address="10.0.0.1", summary="clerk 登录")
    defaults.update(fields)
    return AuditEvent.objects.create(**defaults)


def _rows(response) -> list[str]:
    return [e.summary for e in response.context["events"]]


@pytest.mark.parametrize("who", ["clerk", "director", "secadmin", "sysadmin", "admin"])
def test_the_page_and_its_export_are_not_found_for_anyone_but_the_audit_administrator(client, admins, who):
    client.force_login(getattr(admins, who))
    assert client.get("/audit/").status_code == 404
    assert client.get("/audit/export.xlsx").status_code == 404
    assert "/audit/" not in client.get("/").content.decode()


def test_the_audit_administrator_finds_the_page_in_the_navigation(client, admins):
    client.force_login(admins.auditor)
    assert reverse("web:audit") == "/audit/"
    assert 'href="/audit/"' in client.get("/").content.decode()


def test_signed_out_visitors_are_sent_to_sign_in(client, admins):
    assert client.get("/audit/")["Location"].startswith(reverse("web:login"))


def test_events_are_listed_newest_first(client, admins):
    _event(summary="早", at=T0)
    _event(summary="晚", at=T0 + dt.timedelta(hours=1))
    client.force_login(admins.auditor)
    response = client.get("/audit/")
    rows = _rows(response)
    assert rows.index("晚") < rows.index("早")
    assert "用户 #" in response.content.decode()  # the auditor's own sign-in, its object named in words


def test_the_filters_narrow_by_period_kind_actor_address_and_text(client, admins):
    _event(summary="十一月一日 登录", at=T0 - dt.timedelta(days=1))
    _event(summary="十一月二日 登录", at=T0)
    _event(summary="导出台账", kind=AuditKind.EXPORTED, actor_username="dispatcher", address="10.9.0.7")
    client.force_login(admins.auditor)
    assert _rows(client.get("/audit/?since=2026-11-02&until=2026-11-02")) == ["导出台账", "十一月二日 登录"]
    assert _rows(client.get("/audit/?kind=exported")) == ["导出台账"]
    assert _rows(client.get("/audit/?actor=dispatcher")) == ["导出台账"]
    assert _rows(client.get("/audit/?address=10.9.")) == ["导出台账"]
    assert _rows(client.get("/audit/?text=十一月")) == ["十一月二日 登录", "十一月一日 登录"]


def test_a_reversed_period_is_refused_in_chinese(client, admins):
    client.force_login(admins.auditor)
    response = client.get("/audit/?since=2026-11-05&until=2026-11-01")
    assert "结束日期不能早于开始日期" in response.content.decode()


def test_the_list_is_paged_and_reads_the_same_few_queries_whatever_the_page_holds(
        client, admins):
    AuditEvent.objects.bulk_create([AuditEvent(at=T0, kind=AuditKind.SIGNED_IN, actor_username=f"u{i}", summary=f"第{i}条")
                                    for i in range(PAGE_SIZE + 5)])
    client.force_login(admins.auditor)
    client.get("/audit/")  # warm the session
    with count_queries() as queries:
        first = client.get("/audit/")
    assert queries <= 6
    assert len(first.context["events"]) == PAGE_SIZE and first.context["page"].has_next
    second = client.get("/audit/?page=2")
    assert len(second.context["events"]) >= 5 and not second.context["page"].has_next


def test_the_export_holds_the_filtered_rows_and_is_itself_recorded(client, admins):
    _event(summary="导出台账", kind=AuditKind.EXPORTED, actor_username="dispatcher")
    _event(summary="clerk 登录")
    client.force_login(admins.auditor)
    response = client.get("/audit/export.xlsx?kind=exported")
    assert response.status_code == 200
    assert unquote(response["Content-Disposition"].split("filename*=UTF-8''")[1]).startswith("审计记录_")
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book["审计记录"].iter_rows(min_row=2, values_only=True))
    assert [r[6] for r in rows] == ["导出台账"] and rows[0][1] == "导出数据" and rows[0][2] == "dispatcher"
    notes = dict(row[:2] for row in book["说明"].iter_rows(min_row=2, values_only=True))
    assert notes["类型"] == "导出数据" and notes["导出人"] == "auditor"
    recorded = AuditEvent.objects.filter(kind=AuditKind.EXPORTED, actor=admins.auditor).get()
    assert recorded.object_type == "audit.auditevent" and recorded.details["rows"] == 1


def test_the_export_is_capped_like_the_ledger(client, admins, settings):
    settings.YIMEN_EXPORT_MAX_ROWS = 3
    AuditEvent.objects.bulk_create([AuditEvent(at=T0, kind=AuditKind.SIGNED_IN, summary=f"第{i}条") for i in range(5)])
    client.force_login(admins.auditor)
    book = load_workbook(io.BytesIO(b"".join(client.get("/audit/export.xlsx").streaming_content)))
    rows = list(book["审计记录"].iter_rows(min_row=2, values_only=True))
    assert len(rows) == 4 and "仅导出前 3 条" in rows[-1][0]
