"""The residents' door under load (issue 11): a photo bomb is refused from its header with what was
typed kept; uploads count against a per-session and a per-address byte budget; every 429 — pages
and API — says when to come back (Retry-After, seconds)."""

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from yimen.cases.models import Attachment, Case
from yimen.common.errors import RateLimited
from yimen.residents.models import Draft, DraftFile
from yimen.residents.tests.test_uploads import png_bomb

from .test_resident_intake import DESCRIPTION, _residents, filled, png, register_url  # noqa: F401 (fixture)
from .test_resident_track import _prove

T0 = "2025-03-03 10:48:00+00:00"  # 12 minutes before the hour's window ends


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(T0, tick=False):
        yield


def _upload(client, world, *files, **typed):
    return client.post(register_url(world.centre_township), {**filled(world, **typed), "intent": "place", "files": list(files)})


def test_a_photo_bomb_is_refused_quickly_and_what_was_typed_is_kept(client, world):
    bomb = SimpleUploadedFile("截图.png", png_bomb(), content_type="image/png")
    response = _upload(client, world, bomb, request="请帮忙要回工钱")
    html = response.content.decode()
    assert response.status_code == 400
    assert "照片“截图.png”的尺寸太大（超过4000万像素）" in html
    assert DESCRIPTION in html and "请帮忙要回工钱" in html
    draft = Draft.objects.get()
    assert draft.data["request"] == "请帮忙要回工钱" and not DraftFile.objects.exists()


def test_an_upload_flood_from_one_session_is_refused_with_the_text_kept_and_retry_after(client, world, settings):
    settings.YIMEN_RATE_UPLOAD_BYTES_PER_SESSION = "2KB/h"  # each small photo counts as 1 KB
    assert _upload(client, world, png("一.png"), png("二.png")).status_code == 200
    response = _upload(client, world, png("三.png"), request="还有一张照片")
    html = response.content.decode()
    assert response.status_code == 429 and response["Retry-After"] == str(12 * 60)
    assert "文件“三.png”没有上传：一段时间内上传的文件太多了，请约12分钟后再试。" in html
    assert "还有一张照片" in html and Draft.objects.get().data["request"] == "还有一张照片"
    assert sorted(DraftFile.objects.values_list("original_name", flat=True)) == ["一.png", "二.png"]


def test_the_address_budget_holds_across_sessions(world, settings):
    settings.YIMEN_RATE_UPLOAD_BYTES_PER_ADDRESS = "2KB/h"
    first, second = Client(), Client()
    assert _upload(first, world, png("一.png"), png("二.png")).status_code == 200
    response = _upload(second, world, png("三.png"))
    assert response.status_code == 429 and "“三.png”没有上传" in response.content.decode()


def test_supplements_count_against_the_same_budget(client, world, settings):
    settings.YIMEN_RATE_UPLOAD_BYTES_PER_SESSION = "1KB/h"
    case = world.in_progress()
    _prove(client, case)
    url = reverse("web:resident_supplement", args=[case.number])
    assert client.post(url, {"files": [png("一.png")]}).status_code == 302
    response = client.post(url, {"files": [png("二.png")]})
    assert response.status_code == 429 and response["Retry-After"] == str(12 * 60)
    assert "“二.png”没有上传" in response.content.decode()
    assert list(Attachment.objects.filter(case=case).values_list("original_name", flat=True)) == ["一.png"]


def test_asking_for_codes_too_often_on_the_register_page_says_when_to_retry(client, world, settings):
    settings.YIMEN_RATE_SMS_PER_PHONE = "1/h"
    client.post(register_url(world.centre_township), {**filled(world), "intent": "send_code"})
    response = client.post(register_url(world.centre_township), {**filled(world), "intent": "send_code"})
    assert response.status_code == 429 and response["Retry-After"] == str(12 * 60)


def test_asking_for_codes_too_often_on_my_matters_says_when_to_retry(client, world, settings):
    settings.YIMEN_RATE_SMS_PER_PHONE = "1/h"
    url = reverse("web:resident_mine")
    client.post(url, {"phone": "13912345678", "intent": "send_code"})
    response = client.post(url, {"phone": "13912345678", "intent": "send_code"})
    assert response.status_code == 429 and response["Retry-After"] == str(12 * 60)


def test_a_429_from_the_api_carries_retry_after(client, world, monkeypatch):
    from yimen.api import cases
    from yimen.api.tests.conftest import Api, case_body

    def throttled(**kwargs):
        raise RateLimited("登记太频繁，请约2分钟后再试。", retry_after=120)

    monkeypatch.setattr(cases, "case_register", throttled)
    response = Api(client).post(world.clerk, "/cases", case_body(world))
    assert response.status_code == 429 and response["Retry-After"] == "120"
    assert Case.objects.count() == 0
