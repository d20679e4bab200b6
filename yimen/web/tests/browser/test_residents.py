"""The residents' door (解纷码) in a real phone-sized browser (360×740, touch).

A resident scans the township centre's code, registers with a photo and a one-time SMS code, gets the
number and query code; staff dispatch, accept and resolve through the API; the resident sees each
new step on the tracking page and rates the result. Then the refusals a resident can meet: a wrong
query code, too many SMS requests, an oversized file and a disguised one — each refused in plain
Chinese with everything typed still on the form.
"""

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from yimen.accounts.models import ApiToken
from yimen.cases.models import Attachment, Case, Channel, Status
from yimen.residents.sms import MemorySmsSender

from .conftest import open_page


pytestmark = pytest.mark.browser

PHONE_VIEWPORT = {"width": 360, "height": 740}
PHONE = "13912345678"
DESCRIPTION = "楼上邻居每天夜里十一点以后还在装修打电钻，已经持续两个星期，上门沟通过两次都没有用。"
REQUEST = "希望协调对方晚上十点以后不要施工"


@pytest.fixture
def phone(chromium, live_server, transactional_db, settings):
    """A phone-sized page (360×740, touch, zh-CN), with SMS codes kept in memory for the test to read."""
    settings.YIMEN_SMS_SENDER = "yimen.residents.sms.MemorySmsSender"
    settings.YIMEN_SMS_ECHO_CODE = False
    MemorySmsSender.outbox.clear()
    page = open_page(chromium, viewport=PHONE_VIEWPORT, is_mobile=True, has_touch=True)
    yield page
    page.context.close()


def _png(size=(64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def _photo(name="楼道照片.png", content=None):
    return {"name": name, "mimeType": "image/png", "buffer": content if content is not None else _png()}


def _fill_report(page, world):
    page.get_by_label("邻里纠纷").check()
    page.get_by_label("发生了什么").fill(DESCRIPTION)
    page.get_by_label(f"在{world.township.name}的哪里").select_option(label=world.village.name)
    page.get_by_role("button", name="选好了，显示下一级").click()
    page.get_by_label(f"在{world.village.name}的哪里").select_option(label=world.grid.name)
    page.get_by_label("详细地址（可不填）").fill("杏花村新村小区3栋")
    page.get_by_label("对方是谁（个人或单位，可不填）").fill("楼上502住户")
    page.get_by_label("您希望怎么解决").fill(REQUEST)
    page.get_by_label("您的姓名").fill("刘秀兰")
    page.get_by_label("手机号").fill(PHONE)


def _expect_report_kept(page, world):
    expect(page.get_by_label("邻里纠纷")).to_be_checked()
    expect(page.get_by_label("发生了什么")).to_have_value(DESCRIPTION)
    expect(page.get_by_label(f"在{world.village.name}的哪里")).to_have_value(world.grid.code)
    expect(page.get_by_label("您希望怎么解决")).to_have_value(REQUEST)
    expect(page.get_by_label("您的姓名")).to_have_value("刘秀兰")
    expect(page.get_by_label("手机号")).to_have_value(PHONE)


def _fits_the_phone(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_VIEWPORT["width"], "the page scrolls sideways"


def _api(page, live_server, user, method, path, body=None):
    _token, secret = ApiToken.issue(user, name="browser test")
    response = page.request.fetch(
        f"{live_server.url}/api/v1{path}", method=method, data=body,
        headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
    )
    assert response.ok, response.text()
    return response.json()


def _track(page, live_server, number):
    page.goto(f"{live_server.url}/r/m/{number}/")
    expect(page.locator(".r-number")).to_have_text(number)


def test_a_resident_registers_from_the_code_and_follows_the_matter_to_a_rating(phone, live_server, world):
    page = phone
    # The poster's code opens the township centre's start page.
    page.goto(f"{live_server.url}/r/c/{world.township.code}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(world.centre_township.name)
    _fits_the_phone(page)
    page.get_by_role("link", name="我要反映问题").click()

    _fill_report(page, world)
    page.get_by_label("照片、录音或材料（可不填）").set_input_files(_photo())
    page.get_by_role("button", name="获取验证码").click()
    expect(page.get_by_role("status").filter(has_text="验证码已发送")).to_contain_text("验证码已发送到 139****5678")
    # The photo went into the draft with that request; the page lists it and kept every field.
    expect(page.locator(".r-files")).to_contain_text("楼道照片.png")
    _expect_report_kept(page, world)
    _fits_the_phone(page)
    page.get_by_label("短信验证码").fill(MemorySmsSender.last_code_for(PHONE))
    page.get_by_role("button", name="提交").click()

    expect(page.get_by_role("heading", name="已收到您的反映")).to_be_visible()
    number = page.locator(".r-done-codes .r-code").first.inner_text().strip()
    query_code = "".join(page.locator(".r-query-code").inner_text().split())
    case = Case.objects.get(number=number)
    assert case.query_code == query_code and case.channel == Channel.ONLINE and case.region == world.grid
    assert Attachment.objects.get(case=case).original_name == "楼道照片.png"
    # The image to save: really drawn (a PNG the browser decodes), not a broken-image icon.
    page.wait_for_function("() => { const img = document.querySelector('img.r-card-img'); return img.complete && img.naturalWidth > 0; }")
    _fits_the_phone(page)

    # A clerk's colleague dispatches through the API; the resident sees who handles it and by when.
    _api(page, live_server, world.dispatcher, "POST", f"/cases/{number}/actions/dispatch",
         {"lead_unit": world.justice_office.pk})
    page.get_by_role("link", name="查看办理进度").click()
    expect(page.locator(".r-steps")).to_contain_text("已交给办理单位")
    expect(page.locator(".r-steps")).to_contain_text(world.justice_office.name)
    expect(page.locator(".r-due")).not_to_be_empty()

    _api(page, live_server, world.justice_handler, "POST", f"/cases/{number}/actions/accept", {})
    _api(page, live_server, world.justice_handler, "POST", f"/cases/{number}/actions/resolve",
         {"outcome": "agreement", "result": "经司法所调解，楼上住户承诺晚上十点后停止施工。"})
    _track(page, live_server, number)
    expect(page.locator(".r-steps")).to_contain_text("办理单位已接手")
    expect(page.locator(".r-result")).to_contain_text("晚上十点后停止施工")

    page.get_by_label("满意", exact=True).check()
    page.get_by_role("button", name="提交评价").click()
    expect(page.locator(".r-messages")).to_contain_text("感谢您的评价")
    expect(page.locator(".r-rated")).to_contain_text("满意")
    case.refresh_from_db()
    assert case.status == Status.FOLLOWED_UP and case.satisfaction == "satisfied"
    assert page.js_errors == []


def test_an_unsatisfied_resident_sees_the_matter_go_back_for_handling(phone, live_server, world):
    from yimen.cases import transitions as t

    case = world.in_progress()
    t.case_resolve(actor=world.handler, case=case, outcome="agreement", result="劳务公司承诺月底前付清")
    page = phone
    page.goto(f"{live_server.url}/r/track/?number={case.number}&code={case.query_code}")
    page.get_by_label("不满意").check()
    page.get_by_role("button", name="提交评价").click()
    expect(page.get_by_text("不满意请写明原因", exact=False).first).to_be_visible()
    expect(page.get_by_label("不满意")).to_be_checked()  # the choice stays after the refusal
    page.get_by_label("您的意见").fill("到了月底还是没有付钱")
    page.get_by_role("button", name="提交评价").click()
    expect(page.locator(".r-messages")).to_contain_text(f"事项已重新交给{world.centre_township.name}办理")
    case.refresh_from_db()
    assert case.status == Status.PENDING_DISPATCH and case.reopen_count == 1


def test_a_wrong_query_code_is_refused_keeping_the_number(phone, live_server, world):
    case = world.register()
    page = phone
    page.goto(f"{live_server.url}/r/track/")
    page.get_by_label("事项编号").fill(case.number)
    page.get_by_label("查询码").fill("ABCD EFGH JKLM NPQR STUV")
    page.get_by_role("button", name="查询").click()
    expect(page.locator(".errorlist")).to_contain_text("事项编号或查询码不正确")
    expect(page.get_by_label("事项编号")).to_have_value(case.number)
    expect(page.locator(".r-number")).to_have_count(0)  # nothing of the matter is shown
    _fits_the_phone(page)


def test_too_many_sms_requests_are_refused_keeping_the_form(phone, live_server, world, settings):
    settings.YIMEN_RATE_SMS_PER_PHONE = "2/h"
    page = phone
    page.goto(f"{live_server.url}/r/c/{world.township.code}/new/")
    _fill_report(page, world)
    for _attempt in range(2):
        page.get_by_role("button", name="获取验证码").click()
        expect(page.get_by_role("status").filter(has_text="验证码已发送")).to_be_visible()
    page.get_by_role("button", name="获取验证码").click()
    expect(page.locator(".errorlist")).to_contain_text("获取验证码太频繁")
    _expect_report_kept(page, world)
    assert len(MemorySmsSender.outbox) == 2


def test_an_oversized_and_a_disguised_file_are_refused_keeping_the_form(phone, live_server, world, settings):
    settings.YIMEN_RESIDENT_MAX_UPLOAD_BYTES = 50_000
    page = phone
    page.goto(f"{live_server.url}/r/c/{world.township.code}/new/")
    _fill_report(page, world)

    page.get_by_label("照片、录音或材料（可不填）").set_input_files(_photo("大照片.png", b"\x89PNG" + b"0" * 80_000))
    page.get_by_role("button", name="提交").click()
    expect(page.locator(".errorlist")).to_contain_text("超过了")
    expect(page.locator(".errorlist")).to_contain_text("大照片.png")
    _expect_report_kept(page, world)

    disguised = b"<html><script>alert(1)</script></html>"
    page.get_by_label("照片、录音或材料（可不填）").set_input_files(_photo("收据.jpg", disguised))
    page.get_by_role("button", name="提交").click()
    expect(page.locator(".errorlist")).to_contain_text("不是照片、PDF或录音")
    _expect_report_kept(page, world)
    assert not Case.objects.exists() and not Attachment.objects.exists()
    _fits_the_phone(page)


def test_a_restart_mid_way_loses_nothing(phone, live_server, world):
    """The draft lives in the database: a new page load (as after a server restart) shows it all."""
    page = phone
    page.goto(f"{live_server.url}/r/c/{world.township.code}/new/")
    _fill_report(page, world)
    page.get_by_label("照片、录音或材料（可不填）").set_input_files(_photo())
    page.get_by_role("button", name="选好了，显示下一级").click()
    page.goto(f"{live_server.url}/r/c/{world.township.code}/new/")
    _expect_report_kept(page, world)
    expect(page.locator(".r-files")).to_contain_text("楼道照片.png")


def test_the_basic_path_works_without_javascript(chromium, live_server, transactional_db, settings, world):
    settings.YIMEN_SMS_SENDER = "yimen.residents.sms.MemorySmsSender"
    MemorySmsSender.outbox.clear()
    page = open_page(chromium, viewport=PHONE_VIEWPORT, java_script_enabled=False)
    try:
        page.goto(f"{live_server.url}/r/c/{world.township.code}/new/")
        _fill_report(page, world)
        page.get_by_role("button", name="获取验证码").click()
        page.get_by_label("短信验证码").fill(MemorySmsSender.last_code_for(PHONE))
        page.get_by_role("button", name="提交").click()
        expect(page.get_by_role("heading", name="已收到您的反映")).to_be_visible()
        page.get_by_role("link", name="查看办理进度").click()
        expect(page.locator(".r-steps")).to_contain_text("已收到您的反映")
    finally:
        page.context.close()
