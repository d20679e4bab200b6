"""A matter's whole loop in the browser: four people, four sign-ins, each seeing what moved.

Clerk (window) → dispatcher (dispatch) → handler (return) → dispatcher (re-dispatch) → handler
(accept, mediation session, resolve) → grid worker (follow-up, a home visit) → clerk (archive). Every step is done through
the pages a user would use, and checked by what the page then shows.
"""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from yimen.cases.models import Case, CaseEvent

from .conftest import sign_in

pytestmark = pytest.mark.browser

ID_NUMBER = "110101199003074477"
HRSS = "青溪县人力资源和社会保障局"


def register_at_the_window(page, live_server) -> str:
    """The clerk fills the window's one form; returns the new matter's number from the receipt."""
    page.goto(f"{live_server.url}/window/")
    first, second = page.locator("fieldset.party-row").nth(0), page.locator("fieldset.party-row").nth(1)
    first.get_by_label("姓名/名称").fill("张三")
    first.get_by_label("证件号码").fill(ID_NUMBER)
    first.get_by_label("联系电话").fill("13800138000")
    second.get_by_label("姓名/名称").fill("某建筑劳务公司")
    page.get_by_label("事项描述").fill("张三等12名工人在杏花村某工地务工，工资共计8万余元至今未结清，包工头电话不接。")
    page.get_by_label("诉求", exact=True).fill("请求协调支付拖欠工资")
    page.get_by_label("纠纷类别", exact=True).select_option(label="劳资/欠薪")
    # The place cascade is htmx: choosing the village brings its grids.
    page.get_by_label("桃源镇下辖").select_option(label="杏花村")
    page.get_by_label("杏花村下辖").select_option(label="杏花村第一网格")
    page.get_by_role("button", name="登记并打印回执").click()

    expect(page.get_by_role("heading", name="受理回执")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("已登记")
    number = page.locator(".receipt-facts dd.number").inner_text().strip()
    assert page.url == f"{live_server.url}/cases/{number}/receipt/"
    return number


def open_matter(page, live_server, number):
    page.goto(f"{live_server.url}/cases/{number}/")
    expect(page.locator(".case-number")).to_have_text(number)


def action(page, label):
    """Open the matter page's action `label` (a <details> in the actions card) and return it."""
    details = page.locator("#actions details.action").filter(
        has=page.locator("summary", has_text=re.compile(f"^\\s*{label}\\s*$"))
    )
    details.locator("summary").click()
    return details


def expect_status(page, label):
    expect(page.locator(".case-head .badge.status")).to_have_text(label)


def expect_done(page, label):
    expect(page.get_by_role("status")).to_contain_text(f"“{label}”已完成")


def timeline_entries(page):
    return page.locator("ol.timeline > li")


def dispatch_to_the_labour_bureau(page, live_server, number):
    page.goto(f"{live_server.url}/cases/{number}/dispatch/")
    page.get_by_role("radio", name=f"{HRSS}牵头").check()
    # Choosing a unit asks the server (htmx) for the limits it would get: seen before confirming.
    expect(page.locator("#dispatch-preview")).to_contain_text(HRSS)
    page.get_by_role("button", name="确认派单").click()
    expect_done(page, "派单")
    expect_status(page, "待签收")


def test_a_matter_goes_round_the_whole_loop_through_four_peoples_hands(page, live_server, world):
    # 1. The township clerk registers it at the window and gets the receipt.
    sign_in(page, live_server, world.clerk)
    number = register_at_the_window(page, live_server)
    case = Case.objects.get(number=number)
    assert case.region == world.grid and case.category == world.labour
    page.get_by_role("link", name="查看事项").click()
    expect_status(page, "已登记")
    expect(timeline_entries(page).first).to_contain_text("登记受理")

    # 2. The township dispatcher sends it to the county labour bureau.
    sign_in(page, live_server, world.dispatcher)
    dispatch_to_the_labour_bureau(page, live_server, number)

    # 3. The bureau's handler returns it: not theirs, they say.
    sign_in(page, live_server, world.handler)
    open_matter(page, live_server, number)
    form = action(page, "退单")
    form.get_by_label("退单理由").fill("涉及工程款结算，请先由住建局核实")
    form.get_by_role("button", name="确认退单").click()
    expect_done(page, "退单")
    expect_status(page, "已退单")
    expect(timeline_entries(page).filter(has_text="退单")).to_contain_text("涉及工程款结算")

    # 4. The dispatcher sees the reason and dispatches it again.
    sign_in(page, live_server, world.dispatcher)
    page.goto(f"{live_server.url}/cases/{number}/dispatch/")
    expect(page.locator("body")).to_contain_text("涉及工程款结算，请先由住建局核实")
    dispatch_to_the_labour_bureau(page, live_server, number)

    # 5. The handler accepts, records a mediation session and resolves it.
    sign_in(page, live_server, world.handler)
    open_matter(page, live_server, number)
    action(page, "签收").get_by_role("button", name="确认签收").click()
    expect_done(page, "签收")
    expect_status(page, "办理中")

    form = action(page, "记录调解")
    form.get_by_label("调解日期").fill(dt.date.today().isoformat())
    form.get_by_label("调解地点").fill("桃源镇综治中心调解室")
    form.get_by_label("调解员").fill("吴承办、镇司法所陈司法")
    form.get_by_label("调解方式").select_option(label="面对面")
    form.get_by_label("到场当事人").fill("张三等工人代表3人，劳务公司负责人")
    form.get_by_label("调解经过").fill("双方当面核对工资清单，公司认可欠款金额。")
    form.get_by_label("调解结果").fill("公司同意两周内分两次付清")
    form.get_by_role("button", name="确认记录调解").click()
    expect_done(page, "调解记录")
    mediation = timeline_entries(page).filter(has_text="公司同意两周内分两次付清")
    expect(mediation).to_contain_text("面对面")
    expect(mediation).to_contain_text("桃源镇综治中心调解室")

    form = action(page, "办结")
    form.get_by_label("办理结果").select_option(label="调解成功")
    form.get_by_label("办理情况").fill("双方签订调解协议，工资已全部支付。")
    form.get_by_role("button", name="确认办结").click()
    expect_done(page, "办结")
    expect_status(page, "已办结")

    # 6. The grid worker visits the resident for the follow-up; the clerk archives the matter.
    sign_in(page, live_server, world.grid_worker)
    open_matter(page, live_server, number)
    form = action(page, "回访")
    form.get_by_label("满意", exact=True).check()
    form.get_by_label("回访方式").select_option(label="上门")
    form.get_by_label("群众意见").fill("工资拿到了，感谢")
    form.get_by_role("button", name="确认回访").click()
    expect_done(page, "回访")
    expect_status(page, "已回访")
    expect(page.locator(".case-main .facts")).to_contain_text("满意")

    sign_in(page, live_server, world.clerk)
    open_matter(page, live_server, number)
    action(page, "归档").get_by_role("button", name="确认归档").click()
    expect_done(page, "归档")
    expect_status(page, "已归档")
    # Archived: nothing is left for the clerk to do (the transitions module says so, not the page).
    expect(page.locator("#actions details.action")).to_have_count(0)
    expect(page.locator("#actions")).to_contain_text("您当前不能对该事项执行操作")

    kinds = list(CaseEvent.objects.filter(case=case).order_by("pk").values_list("kind", "actor__username"))
    assert kinds == [
        ("registered", "clerk"),
        ("dispatched", "dispatcher"),
        ("returned", "handler"),
        ("dispatched", "dispatcher"),
        ("accepted", "handler"),
        ("progress_recorded", "handler"),
        ("resolved", "handler"),
        ("followed_up", "grid_worker"),
        ("archived", "clerk"),
    ]
    for label in ("登记受理", "派单", "退单", "签收", "办理记录", "办结", "回访", "归档"):
        expect(timeline_entries(page).filter(has_text=label).first).to_be_visible()
    assert page.js_errors == []
