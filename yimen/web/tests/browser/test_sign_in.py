"""Signing in through the real form, in headless Chromium: the workbench a user then sees."""

import pytest
from playwright.sync_api import expect

from .conftest import PASSWORD, sign_in

pytestmark = pytest.mark.browser


def nav_links(page):
    return page.get_by_role("navigation", name="工作台导航").get_by_role("link")


def test_a_dispatcher_signs_in_and_sees_the_centre_sections_with_htmx_loaded(page, live_server, world):
    sign_in(page, live_server, world.dispatcher)

    assert page.url == f"{live_server.url}/"
    expect(page).to_have_title("工作台 · 一门")
    expect(page.locator("header.topbar .roles")).to_have_text("研判派单员")
    expect(nav_links(page)).to_have_text(["工作台", "受理窗口", "事项台账", "督办看板", "回访", "解纷码海报"])
    # htmx comes from node_modules through the static files, never from a CDN: it must really load.
    # The header can be there before the deferred script has run, so wait for the page's load event.
    page.wait_for_load_state("load")
    assert page.evaluate("typeof window.htmx") == "object"
    assert page.js_errors == []


def test_a_handler_sees_the_unit_inbox_and_not_the_window(page, live_server, world):
    sign_in(page, live_server, world.handler)

    expect(nav_links(page)).to_have_text(["工作台", "事项台账", "部门待办"])


def test_a_wrong_password_keeps_the_username_and_says_so_in_chinese(page, live_server, world):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill("clerk")
    page.get_by_label("密码").fill("not-" + PASSWORD)
    page.get_by_role("button", name="登录").click()

    expect(page.get_by_role("alert")).to_contain_text("密码")
    expect(page.get_by_label("用户名")).to_have_value("clerk")


def test_a_stranger_is_sent_to_sign_in_and_then_back_to_the_page_asked_for(page, live_server, world):
    world.clerk.set_password(PASSWORD)
    world.clerk.save(update_fields=["password"])

    page.goto(f"{live_server.url}/cases/")
    assert page.url.startswith(f"{live_server.url}/login/?next=")
    page.get_by_label("用户名").fill("clerk")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    expect(page).to_have_url(f"{live_server.url}/cases/")
