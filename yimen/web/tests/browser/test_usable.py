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
