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


def test_a_receipt_with_six_parties_prints_on_one_sheet_of_a4_and_of_a5(page, live_server, world):
    import re

    from yimen.cases.intake import PartyInput

    parties = [PartyInput(name="张三", id_number="110101199003074477", phone="13800138000", headcount=14),
               PartyInput(name="李四", phone="13912345678"),
               PartyInput(name="云川市某建筑劳务有限公司", role="respondent", kind="organisation", phone="0757-1234567"),
               PartyInput(name="钱包工", role="respondent", phone="13700001111"),
               PartyInput(name="云川市某建设集团有限公司（总承包）", role="third", kind="organisation"),
               PartyInput(name="孙监理", role="third", phone="13655556666")]
    case = world.register(parties=parties, amount="182400", address="杏花村安置小区三期工地")
    sign_in(page, live_server, world.clerk)
    for size in ("a4", "a5"):
        assert page.goto(f"{live_server.url}/cases/{case.number}/receipt/?size={size}").status == 200
        pdf = page.pdf(prefer_css_page_size=True)
        assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1, size
