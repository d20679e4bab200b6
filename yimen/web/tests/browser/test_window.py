"""The window's live parts in a real browser: htmx answers while the clerk types."""

import pytest
from playwright.sync_api import expect

from .conftest import sign_in

pytestmark = pytest.mark.browser


def test_typing_a_known_id_number_at_the_window_flags_the_persons_open_matter_at_once(page, live_server, world):
    earlier = world.register(title="上个月的欠薪纠纷")
    sign_in(page, live_server, world.clerk)
    page.goto(f"{live_server.url}/window/")

    first = page.locator("fieldset.party-row").first
    first.get_by_label("证件号码").press_sequentially("110101199003074477")

    history = first.locator(".party-history")
    expect(history.locator(".repeat-flag")).to_be_visible()
    expect(history).to_contain_text("尚未办结")
    expect(history.get_by_role("link", name=earlier.number)).to_be_visible()
    expect(history).to_contain_text("上个月的欠薪纠纷")
