"""Usable at 1366×768 and on a tablet, a label on every field, and the keyboard reaches the actions."""

import pytest

from .conftest import sign_in

pytestmark = pytest.mark.browser

# Fields a user fills in must be named by a <label>, aria-label or aria-labelledby (what a screen
# reader reads out, and what a click on the text focuses).
UNLABELLED_FIELDS = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => el.type !== 'hidden' && el.offsetParent !== null)
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
  .map(el => el.outerHTML.slice(0, 120))"""
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


def _pages(world):
    case = world.in_progress()
    fresh = world.register(title="待派单的邻里纠纷")
    return case, fresh, [
        (world.clerk, ["/", "/window/", f"/cases/{case.number}/", f"/cases/{case.number}/receipt/", "/cases/", "/followups/"]),
        (world.dispatcher, ["/", f"/cases/{fresh.number}/dispatch/", "/supervise/"]),
        (world.handler, ["/", "/inbox/", f"/cases/{case.number}/"]),
    ]


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 768}, {"width": 768, "height": 1024}], ids=["1366x768", "tablet"])
def test_the_main_pages_fit_the_screen_and_label_every_field(page, live_server, world, viewport):
    page.set_viewport_size(viewport)
    _, _, pages = _pages(world)
    problems = []
    for user, paths in pages:
        sign_in(page, live_server, user)
        for path in paths:
            assert page.goto(live_server.url + path).status == 200, path
            # Tables scroll inside their own frame; the page itself must not scroll sideways.
            if (overflow := page.evaluate(OVERFLOW)) > 1:
                problems.append(f"{path} as {user.username}: {overflow}px wider than the screen")
            for field in page.evaluate(UNLABELLED_FIELDS):
                problems.append(f"{path} as {user.username}: no label for {field}")
    assert problems == []


def test_the_keyboard_reaches_a_handlers_actions_on_the_matter_page(page, live_server, world):
    case, _, _ = _pages(world)
    sign_in(page, live_server, world.handler)
    page.goto(f"{live_server.url}/cases/{case.number}/")
    reached = set()
    for _ in range(200):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("() => (document.activeElement.innerText || document.activeElement.value || '').trim()"))
    # Each action the handler may take now is a <summary> (opening its form) reachable by Tab.
    for action in ("退单", "记录办理情况", "办结", "申请延期"):
        assert any(text.startswith(action) for text in reached), (action, sorted(reached)[:40])
    page.keyboard.press("Escape")


# The ledger's table itself, not only the page, must not scroll sideways at 1366×768 (issue 12 B.7).
TABLE_OVERFLOW = """() => { const s = document.scrollingElement, w = document.querySelector('#case-rows .table-wrap');
  return [s.scrollWidth - s.clientWidth, w.scrollWidth - w.clientWidth]; }"""
VISIBLE_HEADS = "() => [...document.querySelectorAll('table.case-list thead th')].filter(th => th.offsetParent).map(th => th.innerText.trim())"


def test_the_ledger_reads_at_1366_without_scrolling_sideways(page, live_server, world):
    from yimen.cases import transitions

    long_title = "某小区业主委员会与物业服务企业因公共收益分配及电梯维修资金使用问题多次协商未果引发群体性纠纷"
    long_address = "青溪县桃源镇杏花村东头原农机站旧址对面新建安置小区三期十二栋二单元"
    for i in range(6):
        world.register(title=f"{long_title}{i}", address=long_address)
    closed = world.register(title="已办结的欠薪纠纷", address=long_address)
    transitions.case_not_accept(actor=world.dispatcher, case=closed, reason="属仲裁范围", where_to_go="请向劳动仲裁委员会申请仲裁。")
    sign_in(page, live_server, world.city_dispatcher)

    assert page.goto(live_server.url + "/cases/").status == 200
    page_overflow, table_overflow = page.evaluate(TABLE_OVERFLOW)
    assert page_overflow <= 0 and table_overflow <= 0, (page_overflow, table_overflow)
    heads = page.evaluate(VISIBLE_HEADS)
    assert {"事项编号", "标题", "状态", "风险", "办理期限"} <= {h.rstrip(" ▲▼") for h in heads}
    assert "渠道" not in heads and "主办中心" not in heads  # shown on a wider screen only
    # A title cut short keeps the whole text on hover; numbers and dates stay on one line.
    title = page.locator("table.case-list td.title .clamp").last
    assert title.get_attribute("title").startswith(long_title)
    assert title.evaluate("el => el.scrollHeight > el.clientHeight")
    number = page.locator("table.case-list tbody td.num a").first
    assert number.evaluate("a => a.getClientRects().length") == 1

    page.set_viewport_size({"width": 1920, "height": 1080})
    page.reload()
    assert {"渠道", "主办中心"} <= set(page.evaluate(VISIBLE_HEADS))
    assert page.evaluate(TABLE_OVERFLOW) == [0, 0]
