import json
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from yimen.cases.models import Attachment, Case, CaseEvent, IdempotencyRecord, Party
from yimen.common.querycount import count_queries

from .conftest import case_body


def test_a_clerk_registers_a_matter_and_gets_number_query_code_and_limit(api, world):
    response = api.post(world.clerk, "/cases", case_body(world))
    assert response.status_code == 201, response.content
    body = response.json()
    case = Case.objects.get(number=body["number"])
    assert body["query_code"] == case.query_code and len(body["query_code"]) == 20
    assert body["status"] == "registered" and body["status_label"] == "已登记"
    assert body["due_at"] and body["due_text"].startswith("剩余")
    assert body["url"] == f"/api/v1/cases/{case.number}"
    assert case.registered_by == world.clerk and case.region == world.grid and case.category == world.labour
    assert [p.name for p in Party.objects.filter(case=case).order_by("id")] == ["张三", "某建筑劳务公司"]
    event = CaseEvent.objects.get(case=case)
    assert event.kind == "registered" and event.actor == world.clerk and event.to_status == "registered"


@pytest.mark.parametrize("role", ["clerk", "dispatcher", "director", "grid_worker", "external"])
def test_every_registering_role_may_register_in_its_area(api, world, role):
    assert api.post(getattr(world, role), "/cases", case_body(world)).status_code == 201


@pytest.mark.parametrize("role", ["handler", "mediator", "supervisor"])
def test_other_roles_may_not_register(api, world, role):
    response = api.post(getattr(world, role), "/cases", case_body(world))
    assert response.status_code == 403
    assert "登记" in response.json()["message"]
    assert not Case.objects.exists()


def test_registering_outside_ones_area_is_refused(api, world):
    response = api.post(world.other_clerk, "/cases", case_body(world))
    assert response.status_code == 403
    assert response.json()["field"] == "region_code"
    assert not Case.objects.exists()


def test_a_missing_field_is_named_in_chinese(api, world):
    body = case_body(world)
    del body["description"]
    response = api.post(world.clerk, "/cases", body)
    assert response.status_code == 400
    error = response.json()
    assert error["code"] == "invalid" and error["field"] == "description"
    assert error["message"] == "请填写事项描述（description）。"


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"channel": "pigeon"}, "channel", "来源渠道"),
        ({"urgency": "soon"}, "urgency", "紧急程度"),
        ({"amount": "lots"}, "amount", "涉及金额"),
        ({"title": "长" * 121}, "title", "不能超过120个字"),
        ({"parties": [{"name": "张三", "headcount": 0}]}, "parties[0].headcount", "当事人人数"),
        ({"parties": [{"role": "applicant"}]}, "parties[0].name", "当事人姓名"),
        ({"parties": [{"name": "张三", "id_number": "110101199003074478"}]}, "parties[0].id_number", "校验位"),
        ({"parties": [{"name": "张三", "phone": "12345"}]}, "parties[0].phone", "联系电话"),
        ({"parties": []}, "parties", "当事人"),
        ({"description": "   "}, "description", "事项描述"),
        ({"region_code": "999999"}, "region_code", "不存在"),
        ({"category": "astrology"}, "category", "纠纷类别"),
        ({"received_at": "yesterday"}, "received_at", "受理时间"),
        ({"colour": "red"}, "colour", "不认识的字段"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_leaves_nothing(api, world, overrides, field, words):
    response = api.post(world.clerk, "/cases", case_body(world, **overrides))
    assert response.status_code == 400, response.content
    error = response.json()
    assert error["field"] == field
    assert words in error["message"], error["message"]
    assert not Case.objects.exists() and not Party.objects.exists()


def test_a_body_that_is_not_json_is_400(api, world):
    response = api.post(world.clerk, "/cases", raw="{not json")
    assert response.status_code == 400 and "JSON" in response.json()["message"]


def _multipart(api, user, body, files, **extra):
    data = {"payload": json.dumps(body), **files}
    return api.client.post("/api/v1/cases", data, headers=api.headers(user, **extra))


def test_multipart_registers_with_attachments(api, world):
    files = {"attachments": [SimpleUploadedFile("工资单.jpg", b"x" * 100, "image/jpeg"), SimpleUploadedFile("b.pdf", b"%PDF", "application/pdf")]}
    response = _multipart(api, world.clerk, case_body(world), files)
    assert response.status_code == 201, response.content
    case = Case.objects.get(number=response.json()["number"])
    assert sorted(a.original_name for a in Attachment.objects.filter(case=case)) == ["b.pdf", "工资单.jpg"]
    detail = api.get(world.clerk, f"/cases/{case.number}").json()
    assert {a["name"] for a in detail["attachments"]} == {"b.pdf", "工资单.jpg"}


@override_settings(YIMEN_MAX_ATTACHMENT_BYTES=1000)
def test_an_attachment_over_the_limit_is_413_and_registers_nothing(api, world):
    files = {"attachments": [SimpleUploadedFile("big.jpg", b"x" * 1001, "image/jpeg")]}
    response = _multipart(api, world.clerk, case_body(world), files)
    assert response.status_code == 413
    assert response.json()["code"] == "too_large" and response.json()["field"] == "attachments"
    assert "big.jpg" in response.json()["message"]
    assert not Case.objects.exists() and not Attachment.objects.exists()


def test_multipart_without_payload_or_with_bad_payload_is_400(api, world):
    response = api.client.post("/api/v1/cases", {"x": "1"}, headers=api.headers(world.clerk))
    assert response.status_code == 400 and response.json()["field"] == "payload"
    response = _multipart(api, world.clerk, case_body(world, urgency="x"), {})
    assert response.status_code == 400 and response.json()["field"] == "urgency"
    files = {"photo": SimpleUploadedFile("a.jpg", b"x", "image/jpeg")}
    response = _multipart(api, world.clerk, case_body(world), files)
    assert response.status_code == 400 and response.json()["field"] == "attachments"
    assert not Case.objects.exists()


def test_a_retried_registration_with_the_same_key_creates_one_matter(api, world):
    first = api.post(world.clerk, "/cases", case_body(world), key="reg-1")
    again = api.post(world.clerk, "/cases", case_body(world), key="reg-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert Case.objects.count() == 1 and CaseEvent.objects.count() == 1
    # Another user's identical key is their own.
    assert api.post(world.dispatcher, "/cases", case_body(world), key="reg-1").status_code == 201
    assert Case.objects.count() == 2


def test_a_multipart_retry_with_the_same_key_creates_one_matter(api, world):
    for _ in range(2):
        files = {"attachments": [SimpleUploadedFile("a.jpg", b"x" * 10, "image/jpeg")]}
        response = _multipart(api, world.clerk, case_body(world), files, Idempotency_Key="mp-1")
        assert response.status_code == 201
    assert Case.objects.count() == 1 and Attachment.objects.count() == 1


def test_a_failed_request_stores_nothing_so_the_corrected_retry_runs(api, world):
    assert api.post(world.clerk, "/cases", case_body(world, urgency="x"), key="k").status_code == 400
    assert not IdempotencyRecord.objects.exists()
    assert api.post(world.clerk, "/cases", case_body(world), key="k").status_code == 201


def test_a_key_reused_on_another_path_is_409(api, world):
    created = api.post(world.clerk, "/cases", case_body(world), key="same").json()
    response = api.act(world.clerk, created["number"], "withdraw", reason="群众撤回", key="same")
    assert response.status_code == 409 and response.json()["code"] == "idempotency_key_reused"
    assert Case.objects.get().status == "registered"


def test_racing_retries_are_caught_by_the_unique_constraint(api, world):
    """The second retry checked before the first had committed: its insert fails, its change rolls
    back, and it answers with the first one's response."""
    first = api.post(world.clerk, "/cases", case_body(world), key="race").json()
    with mock.patch("yimen.api.idempotency._find", side_effect=[None, IdempotencyRecord.objects.get(key="race")]):
        again = api.post(world.clerk, "/cases", case_body(world), key="race")
    assert again.status_code == 201 and again.json() == first
    assert Case.objects.count() == 1 and Party.objects.count() == 2


def test_an_overlong_key_is_400(api, world):
    response = api.post(world.clerk, "/cases", case_body(world), key="k" * 101)
    assert response.status_code == 400 and response.json()["field"] == "Idempotency-Key"


# ---------------------------------------------------------------------------------------------
# Reference data read through the per-process caches (common.refcache)


def test_a_warm_server_registers_without_reading_reference_tables(api, world):
    """Place, centre, category and policies come from memory; the due time goes in with the INSERT."""
    assert api.post(world.clerk, "/cases", case_body(world)).status_code == 201
    with count_queries() as captured:
        response = api.post(world.clerk, "/cases", case_body(world, description="另一批工人反映工资被拖欠三个月。"))
    assert response.status_code == 201
    statements = captured.sql
    for table in ("regions_region", "regions_centre", "cases_category", "cases_timelimitpolicy"):
        assert not [s for s in statements if f'FROM "{table}"' in s], table
    assert not [s for s in statements if s.startswith('UPDATE "cases_case"')]
    case = Case.objects.get(number=response.json()["number"])
    assert case.due_at == case.deadlines.get(step="handle").due_at


def test_a_category_stopped_in_the_admin_is_refused_at_once(api, world):
    assert api.post(world.clerk, "/cases", case_body(world)).status_code == 201
    world.labour.active = False
    world.labour.save()
    response = api.post(world.clerk, "/cases", case_body(world))
    assert response.status_code == 400 and response.json()["field"] == "category"


def test_a_centre_opened_for_a_village_takes_its_matters_at_once(api, world):
    from yimen.regions.models import Centre

    before = api.post(world.external, "/cases", case_body(world, region_code=world.grid2.code)).json()
    assert Case.objects.get(number=before["number"]).owning_centre == world.centre_township2
    village_centre = Centre.objects.create(region=world.village2, name="石门村综治中心")
    after = api.post(world.external, "/cases", case_body(world, region_code=world.grid2.code)).json()
    assert Case.objects.get(number=after["number"]).owning_centre == village_centre


def test_a_change_written_by_another_process_is_seen_within_a_minute(api, world):
    """Another web worker's admin edit sends no signal here: this process keeps its copy until it
    is a minute old."""
    from yimen.cases.models import Category

    clock = mock.patch("yimen.common.refcache.time.monotonic", return_value=5000.0)
    with clock:
        assert api.post(world.clerk, "/cases", case_body(world)).status_code == 201
        Category.objects.filter(pk=world.labour.pk).update(active=False)  # no post_save in this process
        assert api.post(world.clerk, "/cases", case_body(world)).status_code == 201
    with mock.patch("yimen.common.refcache.time.monotonic", return_value=5061.0):
        response = api.post(world.clerk, "/cases", case_body(world))
    assert response.status_code == 400 and response.json()["field"] == "category"
