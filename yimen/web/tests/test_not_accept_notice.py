"""不予受理: what the clerk wrote is kept as written, and a printable 不予受理告知书 is offered."""

import pytest
from django.urls import reverse

from yimen.cases import transitions as t

WHERE = "请持劳动合同向青溪县劳动人事争议仲裁委员会申请仲裁。"
REASON = "属劳动仲裁受理范围"


@pytest.fixture
def turned_down(world):
    return t.case_not_accept(actor=world.dispatcher, case=world.register(), reason=REASON, where_to_go=WHERE)


def test_where_to_go_is_kept_as_written(turned_down):
    turned_down.refresh_from_db()
    assert WHERE in turned_down.result and REASON in turned_down.result
    assert "请向请" not in turned_down.result and "反映。" not in turned_down.result


def test_the_page_of_a_matter_not_accepted_offers_the_notice(client, world, turned_down):
    client.force_login(world.dispatcher)
    html = client.get(reverse("web:case_detail", args=[turned_down.number])).content.decode()
    assert reverse("web:case_not_accept_notice", args=[turned_down.number]) in html and "打印不予受理告知书" in html


def test_the_notice_prints_number_party_reason_where_to_go_basis_date_and_centre(client, world, turned_down):
    client.force_login(world.dispatcher)
    response = client.get(reverse("web:case_not_accept_notice", args=[turned_down.number]))
    html = response.content.decode()
    assert response.status_code == 200
    decided = turned_down.closed_at.astimezone()
    for text in ("不予受理告知书", turned_down.number, "张三", "110101********4477", REASON, WHERE, "《信访工作条例》",
                 f"{decided.year}年{decided.month}月{decided.day}日", turned_down.owning_centre.name,
                 "web/print/receipt-a4.css", "data-print"):
        assert text in html, text
    assert "110101199003074477" not in html and "<style" not in html


def test_no_notice_for_an_accepted_matter_or_outside_scope(client, world, turned_down):
    client.force_login(world.dispatcher)
    assert client.get(reverse("web:case_not_accept_notice", args=[world.register().number])).status_code == 404
    client.force_login(world.outsider)
    assert client.get(reverse("web:case_not_accept_notice", args=[turned_down.number])).status_code == 404
