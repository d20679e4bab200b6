"""The residents' door, part one (解纷码): a centre's start page, QR code and poster, and registering a
matter from a phone — without JavaScript, without losing anything typed or uploaded."""

import io
import os

import pytest
import segno
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.formats import date_format
from PIL import Image

from yimen.cases.models import Case, Channel, PartyRole
from yimen.common.querycount import count_queries
from yimen.residents.models import Draft, DraftFile
from yimen.residents.sms import MemorySmsSender
from yimen.web import resident_card

PHONE = "13912345678"
DESCRIPTION = "老板拖欠我们三个月工资，一共两万多元，一直不给。"


@pytest.fixture(autouse=True)
def _residents(settings, tmp_path):
    settings.YIMEN_SMS_SENDER = "yimen.residents.sms.MemorySmsSender"
    settings.YIMEN_SMS_ECHO_CODE = False
    settings.MEDIA_ROOT = tmp_path
    MemorySmsSender.outbox.clear()
    yield
    MemorySmsSender.outbox.clear()


def png(name="photo.png", *, noise=False) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    if noise:  # random pixels do not compress: a file of a predictable, larger size
        Image.frombytes("RGB", (120, 120), os.urandom(120 * 120 * 3)).save(buffer, "PNG")
    else:
        Image.new("RGB", (40, 30), "teal").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def register_url(centre) -> str:
    return reverse("web:resident_register", kwargs={"code": centre.region.code})


def filled(world, **overrides) -> dict:
    data = {
        "category": str(world.labour.pk), "description": DESCRIPTION, "place": [world.village.code, world.grid.code],
        "address": "杏花村东头工地", "other_party": "某建筑劳务公司", "headcount": "3", "request": "请帮我们要回工资",
        "name": "王五", "phone": PHONE,
    }
    data.update(overrides)
    return data


def send_code(client, world, **overrides) -> str:
    response = client.post(register_url(world.centre_township), {**filled(world, **overrides), "intent": "send_code"})
    assert response.status_code == 200, response.content.decode()
    return MemorySmsSender.last_code_for(PHONE)


def registered(client, world, **overrides) -> Case:
    """The whole path: ask for a code, then submit with it and a photo."""
    code = send_code(client, world)
    data = {**filled(world, **overrides), "code": code, "intent": "submit", "files": [png()]}
    response = client.post(register_url(world.centre_township), data)
    assert response.status_code == 302, response.content.decode()
    case = Case.objects.get()
    assert response["Location"] == reverse("web:resident_done", args=[case.number])
    return case


# -- the start page and the centre's code ----------------------------------------------------


def test_the_start_page_names_the_centre_and_offers_the_three_doors(client, world):
    world.centre_township.address = "桃源镇人民路1号"
    world.centre_township.phone = "0757-1234567"
    world.centre_township.save()
    response = client.get(reverse("web:resident_start", kwargs={"code": world.township.code}))
    html = response.content.decode()
    assert response.status_code == 200
    for text in ("桃源镇综治中心", "桃源镇人民路1号", "0757-1234567", "周一至周五", "我要反映问题", "查询办理进度",
                 "用手机号查我的事项", register_url(world.centre_township), reverse("web:resident_track"),
                 reverse("web:resident_mine")):
        assert text in html, text


def test_an_unknown_centre_code_is_not_found(client, world):
    assert client.get(reverse("web:resident_start", kwargs={"code": "999999"})).status_code == 404
    # A region without a centre (a grid) has no start page either.
    assert client.get(reverse("web:resident_start", kwargs={"code": world.grid.code})).status_code == 404
    assert client.get(register_url(world.centre_township).replace(world.township.code, "999999")).status_code == 404


def test_the_centres_qr_code_holds_its_public_start_address(client, world, settings):
    settings.YIMEN_PUBLIC_BASE_URL = "https://jfm.example.gov.cn/"
    url = reverse("web:resident_qr", kwargs={"code": world.township.code})
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    expected = segno.make(f"https://jfm.example.gov.cn/r/c/{world.township.code}/", error="m")
    buffer = io.BytesIO()
    expected.save(buffer, kind="svg", scale=10, border=4, title="桃源镇综治中心")
    assert response.content == buffer.getvalue()

    picture = client.get(url, {"format": "png"})
    assert picture["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(picture.content)).format == "PNG"


def test_the_start_page_tells_a_returning_resident_their_draft_is_waiting(client, world):
    client.post(register_url(world.centre_township), {"description": "半夜吵闹", "intent": "place"})
    html = client.get(reverse("web:resident_start", kwargs={"code": world.township.code})).content.decode()
    assert "上次没填完的内容还在" in html


# -- posters (staff) -------------------------------------------------------------------------


def poster_url(centre, size=None) -> str:
    url = reverse("web:resident_poster", kwargs={"code": centre.region.code})
    return f"{url}?size={size}" if size else url


def test_a_clerk_prints_the_poster_of_a_centre_in_their_township(client, world, settings):
    settings.YIMEN_PUBLIC_BASE_URL = "https://jfm.example.gov.cn"
    world.centre_township.address = "桃源镇人民路1号"
    world.centre_township.phone = "0757-1234567"
    world.centre_township.save()
    client.force_login(world.clerk)
    html = client.get(poster_url(world.centre_township)).content.decode()
    for text in ("桃源镇综治中心", "扫码反映问题 · 查询办理进度", "只进一扇门 最多跑一地", "桃源镇人民路1号",
                 "0757-1234567", "周一至周五", f"https://jfm.example.gov.cn/r/c/{world.township.code}/",
                 'class="poster-qr-code"', "web/print/poster-a4.css", "data-print", 'class="poster-tools no-print"'):
        assert text in html, text


def test_the_a3_poster_asks_the_printer_for_a3(client, world):
    client.force_login(world.clerk)
    html = client.get(poster_url(world.centre_township, "a3")).content.decode()
    assert "web/print/poster-a3.css" in html and "size-a3" in html
    assert "web/print/poster-a4.css" in client.get(poster_url(world.centre_township, "letter")).content.decode()


def test_posters_are_for_staff_of_the_region_only(client, world):
    response = client.get(poster_url(world.centre_township))
    assert response.status_code == 302 and reverse("web:login") in response["Location"]
    assert client.get(reverse("web:resident_posters")).status_code == 302
    client.force_login(world.outsider)
    assert client.get(poster_url(world.centre_township)).status_code == 404
    client.force_login(world.clerk)
    assert client.get(poster_url(world.centre_township2)).status_code == 404


def test_the_poster_list_shows_the_centres_of_the_users_region(client, world):
    client.force_login(world.clerk)
    with count_queries() as queries:
        html = client.get(reverse("web:resident_posters")).content.decode()
    assert queries <= 6
    assert "桃源镇综治中心" in html and "杏花村综治中心" in html and "石门镇综治中心" not in html
    assert poster_url(world.centre_village) in html and "?size=a3" in html
    client.force_login(world.admin)
    html = client.get(reverse("web:resident_posters")).content.decode()
    assert "明湖区综治中心" in html and "云川市综治中心" in html


def test_centre_staff_find_the_posters_in_the_navigation(client, world):
    client.force_login(world.clerk)
    assert reverse("web:resident_posters") in client.get(reverse("web:home")).content.decode()
    client.force_login(world.handler)
    assert reverse("web:resident_posters") not in client.get(reverse("web:home")).content.decode()


# -- registering -----------------------------------------------------------------------------


def test_the_register_page_asks_in_plain_words(client, world):
    html = client.get(register_url(world.centre_township)).content.decode()
    for text in ("遇到了什么事", "劳资/欠薪", "邻里纠纷", "不清楚，请工作人员判断", "发生了什么", "事情发生在哪里",
                 "杏花村", "选好了，显示下一级", "详细地址（可不填）", "对方是谁", "一共涉及几个人",
                 "您希望怎么解决", "照片、录音或材料（可不填）", 'accept="image/*,application/pdf,audio/*"',
                 "您的姓名", "手机号", "获取验证码", "短信验证码", "提交", 'enctype="multipart/form-data"'):
        assert text in html, text
    assert "案件类别" not in html
    # Nothing is chosen for the resident: "I don't know" must be picked on purpose.
    assert "checked" not in html


def test_a_resident_registers_a_matter_with_a_photo(client, world):
    case = registered(client, world)
    assert case.channel == Channel.ONLINE
    assert case.registering_centre == world.centre_township and case.category == world.labour
    assert case.region == world.grid and case.region.code.startswith(world.township.code)
    assert case.address == "杏花村东头工地" and case.request == "请帮我们要回工资"
    applicant = case.parties.get(role=PartyRole.APPLICANT)
    assert (applicant.name, applicant.phone, applicant.headcount) == ("王五", PHONE, 3)
    assert case.parties.filter(role=PartyRole.RESPONDENT, name="某建筑劳务公司").exists()
    attachment = case.attachments.get()
    assert (attachment.original_name, attachment.content_type) == ("photo.png", "image/png")
    assert not Draft.objects.exists() and not DraftFile.objects.exists()

    response = client.get(reverse("web:resident_done", args=[case.number]))
    html = response.content.decode()
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    grouped = " ".join(case.query_code[i:i + 4] for i in range(0, 20, 4))
    for text in ("已收到您的反映", case.number, grouped, "不要告诉别人", "保存为图片",
                 reverse("web:resident_card", args=[case.number]), "download=", "查看办理进度",
                 reverse("web:resident_case", args=[case.number])):
        assert text in html, text
    # The limit it gives may still change when the centre grades the matter: the tracking page prevails.
    due = date_format(case.due_at.astimezone(), "DATE_FORMAT")
    assert f"一般在 {due} 前答复您（以最新查询为准）。" in html


def test_a_resident_who_does_not_know_the_kind_or_the_place_leaves_it_to_staff(client, world):
    case = registered(client, world, category="", place=[""])
    assert case.category is None and case.region == world.township


def test_the_card_is_a_picture_to_keep_for_this_session_only(client, world):
    case = registered(client, world)
    url = reverse("web:resident_card", args=[case.number])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert "no-store" in response["Cache-Control"]
    disposition = response["Content-Disposition"]
    assert disposition.startswith("inline;") and f"-{case.number}.png" in disposition
    picture = Image.open(io.BytesIO(response.content))
    assert picture.format == "PNG" and picture.width == 720 and picture.height > 400

    stranger = Client()
    for name in ("web:resident_card", "web:resident_done"):
        refused = stranger.get(reverse(name, args=[case.number]))
        assert refused.status_code == 302 and refused["Location"] == "/r/track/"


@pytest.mark.parametrize("font", [None, "/nowhere/broken-font.ttc"])
def test_the_card_is_drawn_even_without_a_chinese_font(client, world, monkeypatch, font):
    case = registered(client, world)
    monkeypatch.setattr(resident_card, "_cjk_font_path", lambda: font)
    response = client.get(reverse("web:resident_card", args=[case.number]))
    assert Image.open(io.BytesIO(response.content)).format == "PNG"


def test_a_wrong_code_keeps_every_field_and_the_uploaded_file(client, world):
    code = send_code(client, world)
    wrong = "000000" if code != "000000" else "111111"
    url = register_url(world.centre_township)
    response = client.post(url, {**filled(world), "code": wrong, "intent": "submit", "files": [png("receipt.png")]})
    html = response.content.decode()
    assert response.status_code == 400 and "验证码不正确" in html
    for text in (DESCRIPTION, 'value="王五"', f'value="{PHONE}"', "杏花村东头工地", "某建筑劳务公司", "请帮我们要回工资",
                 'value="3"', "已上传：receipt.png", f'value="{world.grid.code}" selected'):
        assert text in html, text
    assert not Case.objects.exists()
    # Even after a reload (or a server restart), the draft brings it all back.
    again = client.get(url).content.decode()
    assert DESCRIPTION in again and "已上传：receipt.png" in again and f'value="{world.labour.pk}" checked' in again
    # The right code then sends it, with the file uploaded earlier.
    response = client.post(url, {**filled(world), "code": code, "intent": "submit"})
    assert response.status_code == 302 and Case.objects.get().attachments.get().original_name == "receipt.png"


def test_a_disguised_file_is_refused_and_everything_else_is_kept(client, world):
    disguised = SimpleUploadedFile("photo.jpg", b"<html><script>alert(1)</script></html>", content_type="image/jpeg")
    url = register_url(world.centre_township)
    response = client.post(url, {**filled(world), "intent": "submit", "files": [png("good.png"), disguised]})
    html = response.content.decode()
    assert response.status_code == 400
    assert "文件“photo.jpg”不是照片、PDF或录音" in html and "已上传：good.png" in html and DESCRIPTION in html
    assert list(DraftFile.objects.values_list("original_name", flat=True)) == ["good.png"]
    assert not Case.objects.exists()


def test_an_oversized_file_is_refused_with_its_size_and_the_text_stays(client, world, settings):
    settings.YIMEN_RESIDENT_MAX_UPLOAD_BYTES = 2000
    data = {**filled(world), "intent": "place", "files": [png(noise=True)]}
    response = client.post(register_url(world.centre_township), data)
    html = response.content.decode()
    assert response.status_code == 413 and "超过了" in html and "请压缩后再传" in html and DESCRIPTION in html
    assert not DraftFile.objects.exists()


def test_a_file_is_removed_with_its_own_button(client, world):
    url = register_url(world.centre_township)
    client.post(url, {**filled(world), "intent": "place", "files": [png("a.png"), png("b.png")]})
    first = DraftFile.objects.get(original_name="a.png")
    html = client.post(url, {**filled(world), "remove_file": str(first.pk)}).content.decode()
    assert "已上传：a.png" not in html and "已上传：b.png" in html and DESCRIPTION in html


def test_what_was_typed_survives_a_reload_and_the_next_level_of_places_is_offered(client, world):
    url = register_url(world.centre_township)
    response = client.post(url, {"description": "楼上每天半夜搬东西，吵得睡不着。", "name": "赵六",
                                 "place": [world.village.code], "intent": "place"})
    assert response.status_code == 200 and "杏花村第一网格" in response.content.decode()
    assert "errorlist" not in response.content.decode()  # choosing a place is not sending
    html = client.get(url).content.decode()
    assert "楼上每天半夜搬东西" in html and 'value="赵六"' in html and "杏花村第一网格" in html
    # The draft belongs to this browser and this centre only.
    assert "楼上每天半夜搬东西" not in Client().get(url).content.decode()
    assert "楼上每天半夜搬东西" not in client.get(register_url(world.centre_township2)).content.decode()


def test_submitting_without_the_required_answers_says_what_is_missing(client, world):
    url = register_url(world.centre_township)
    response = client.post(url, {"description": "太短", "phone": "12345", "intent": "submit"})
    html = response.content.decode()
    assert response.status_code == 400
    for text in ("请选一项", "请多写几句，说清楚发生了什么", "请说说您希望怎么解决", "请填写您的姓名", "请填写正确的11位手机号码",
                 "还有几处要改一下"):
        assert text in html, text
    assert 'value="太短"' not in html and "太短" in html  # the textarea keeps what was typed


def test_a_place_outside_the_centre_is_refused(client, world):
    code = send_code(client, world)
    response = client.post(register_url(world.centre_township),
                           {**filled(world, place=[world.village2.code]), "code": code, "intent": "submit"})
    assert response.status_code == 400 and "请从列表里选地方" in response.content.decode()


def test_a_proved_phone_is_not_asked_for_a_code_again(client, world):
    registered(client, world)
    html = client.get(register_url(world.centre_township)).content.decode()
    assert "手机号已验证" in html and f'value="{PHONE}"' in html and 'name="code"' not in html
    response = client.post(register_url(world.centre_township), {**filled(world, request="第二件事"), "intent": "submit"})
    assert response.status_code == 302 and Case.objects.count() == 2


def test_registering_too_often_from_one_phone_is_refused_in_plain_words(client, world, settings):
    settings.YIMEN_RATE_REGISTER_PER_PHONE = "1/d"
    registered(client, world)
    response = client.post(register_url(world.centre_township), {**filled(world, request="又一件事"), "intent": "submit"})
    html = response.content.decode()
    assert response.status_code == 429 and "提交太频繁" in html and "又一件事" in html
    assert Case.objects.count() == 1


def test_asking_for_codes_too_often_is_refused_next_to_the_phone(client, world, settings):
    settings.YIMEN_RATE_SMS_PER_PHONE = "1/h"
    send_code(client, world)
    response = client.post(register_url(world.centre_township), {**filled(world), "intent": "send_code"})
    html = response.content.decode()
    assert response.status_code == 429 and "获取验证码太频繁" in html and DESCRIPTION in html
    assert 'id="id_phone_error"' in html


def test_the_demo_shows_the_code_on_the_page(client, world, settings):
    settings.YIMEN_SMS_ECHO_CODE = True
    html = client.post(register_url(world.centre_township), {**filled(world), "intent": "send_code"}).content.decode()
    assert "验证码已发送" in html and MemorySmsSender.last_code_for(PHONE) in html


# -- query counts ------------------------------------------------------------------------------


def test_the_start_page_reads_little(client, world):
    url = reverse("web:resident_start", kwargs={"code": world.township.code})
    client.post(register_url(world.centre_township), {"description": "半夜吵闹", "intent": "place"})
    with count_queries() as queries:
        assert client.get(url).status_code == 200
    assert queries <= 3


def test_the_register_page_reads_little_whatever_the_draft_holds(client, world):
    url = register_url(world.centre_township)
    client.post(url, {**filled(world), "intent": "place", "files": [png("a.png"), png("b.png"), png("c.png")]})
    with count_queries() as queries:
        html = client.get(url).content.decode()
    assert queries <= 7
    assert "已上传：c.png" in html and "杏花村第一网格" in html
