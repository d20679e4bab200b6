"""诉求类型 in a real browser: the clerk types a question at the window and states it is a 咨询; the
dispatcher sees the type, the engine's proposal with its reason, and the 12345 limit of 2 working days."""

import pytest
from playwright.sync_api import expect

from yimen.cases.deadlines import compute_due
from yimen.cases.models import Case, LimitUnit

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("lexicon_only")]


def test_a_consultation_registered_at_the_window_shows_its_type_proposal_and_limit(page, live_server, world):
    sign_in(page, live_server, world.clerk)
    page.goto(f"{live_server.url}/window/")
    page.locator("fieldset.party-row").nth(0).get_by_label("姓名/名称").fill("刘女士")
    page.get_by_label("事项描述").fill("请问灵活就业人员的养老保险每年最低交多少钱，在哪里可以缴纳？")
    page.get_by_label("诉求类型").select_option(label="咨询")
    page.get_by_label("桃源镇下辖").select_option(label="杏花村")  # the village will do: no grid needed
    page.get_by_role("button", name="登记并打印回执").click()
    expect(page.get_by_role("heading", name="受理回执")).to_be_visible()

    case = Case.objects.get()
    assert case.request_type == "consult"
    assert case.due_at == compute_due(case.received_at, 2, LimitUnit.WORKING_DAYS).at

    sign_in(page, live_server, world.dispatcher)
    page.goto(f"{live_server.url}/cases/{case.number}/")
    head = page.locator("header.case-head")
    expect(head).to_contain_text("诉求类型")
    expect(head).to_contain_text("咨询")
    panel = page.locator("section.triage")
    expect(panel).to_contain_text("建议诉求类型")
    expect(panel).to_contain_text("命中提示语")
    page.screenshot(path="/tmp/rt/request_type_case.png", full_page=True)
