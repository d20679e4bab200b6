"""Scope and personal data as a user meets them in the browser."""

import pytest
from playwright.sync_api import expect

from yimen.cases.models import RevealAudit

from .conftest import sign_in

pytestmark = pytest.mark.browser

ID_NUMBER = "110101199003074477"  # 张三's, as world.register() records it
MASKED = "110101********4477"


def test_a_clerk_of_another_township_gets_404_for_a_matter_that_is_not_theirs(page, live_server, world):
    case = world.register(title="桃源镇的欠薪纠纷")
    sign_in(page, live_server, world.other_clerk)

    response = page.goto(f"{live_server.url}/cases/{case.number}/")

    assert response.status == 404
    expect(page.locator("body")).not_to_contain_text("桃源镇的欠薪纠纷")
    expect(page.locator("body")).not_to_contain_text("张三")
    assert page.goto(f"{live_server.url}/cases/{case.number}/receipt/").status == 404


def test_an_id_number_stays_masked_on_the_matter_page_until_revealed(page, live_server, world):
    case = world.register()
    sign_in(page, live_server, world.clerk)

    page.goto(f"{live_server.url}/cases/{case.number}/")
    row = page.get_by_role("row").filter(has_text="张三")
    expect(row).to_contain_text(f"证件号码：{MASKED}")
    expect(page.locator("body")).not_to_contain_text(ID_NUMBER)

    row.get_by_role("button", name="显示").click()

    expect(row).to_contain_text(f"证件号码：{ID_NUMBER}")
    expect(row).to_contain_text("电话：13800138000")
    expect(row).to_contain_text("已留痕")
    assert RevealAudit.objects.filter(case=case, user=world.clerk, party__name="张三").exists()
