"""The receipt (受理回执): printable on A4 and A5, with number, query code and a QR code to the
residents' tracking page."""

import re

import pytest
import segno
from django.urls import reverse
from django.utils.formats import date_format

from yimen.cases.deadlines import due_label
from yimen.cases.intake import PartyInput
from yimen.common.querycount import count_queries
from yimen.web.links import resident_track_url


@pytest.fixture
def receipt_of(client):
    def get(user, case, **params):
        client.force_login(user)
        return client.get(reverse("web:case_receipt", args=[case.number]), params)

    return get


def test_the_receipt_shows_what_the_resident_needs_with_personal_data_masked(receipt_of, world, settings):
    settings.YIMEN_PUBLIC_BASE_URL = "https://jfm.example.gov.cn/"
    world.centre_township.address = "桃源镇人民路1号"
    world.centre_township.phone = "0757-1234567"
    world.centre_township.save()
    case = world.register()
    html = receipt_of(world.clerk, case).content.decode()
    for text in ("桃源镇综治中心", "受理回执", case.number, case.query_code, "来访", "张三", "110101********4477",
                 "138****8000", "欠薪纠纷", "劳资/欠薪", "杏花村第一网格", "桃源镇人民路1号", "0757-1234567", "李窗口"):
        assert text in html, text
    assert "110101199003074477" not in html and "13800138000" not in html
    # The response limit, as the due tags write it.
    due = f"{case.due_at.astimezone().year}年"
    assert due in html and "前答复" in html
    track = f"https://jfm.example.gov.cn/r/track/?number={case.number}&code={case.query_code}"
    assert segno.make(track, error="m").svg_inline(scale=4, border=2, svgclass="qr", lineclass="qr-line") in html
    assert track.replace("&", "&amp;") in html
    assert "web/print/receipt-a4.css" in html and 'data-print' in html and 'class="receipt-tools no-print"' in html


def test_the_a5_receipt_renders_for_the_smaller_printer(receipt_of, world):
    case = world.register()
    html = receipt_of(world.clerk, case, size="a5").content.decode()
    assert "web/print/receipt-a5.css" in html and "receipt size-a5" in html and case.query_code in html
    assert '<svg width="' in html and 'transform="scale(3)"' in html


def test_an_unknown_paper_size_prints_on_a4(receipt_of, world):
    assert "web/print/receipt-a4.css" in receipt_of(world.clerk, world.register(), size="letter").content.decode()


def test_a_clerk_of_another_township_cannot_open_the_receipt(receipt_of, world):
    case = world.register()
    assert receipt_of(world.other_clerk, case).status_code == 404
    assert receipt_of(world.outsider, case).status_code == 404


def test_a_unit_handler_who_sees_the_matter_cannot_print_its_query_code(receipt_of, world):
    case = world.dispatched()
    response = receipt_of(world.handler, case)
    assert response.status_code == 403 and case.query_code not in response.content.decode()


def test_the_township_dispatcher_and_the_county_may_reprint_the_receipt(receipt_of, world):
    case = world.register()
    assert receipt_of(world.dispatcher, case).status_code == 200
    assert receipt_of(world.county_dispatcher, case).status_code == 200


def test_the_tracking_link_uses_the_request_address_when_no_public_address_is_set(rf, world, settings):
    case = world.register()
    settings.YIMEN_PUBLIC_BASE_URL = ""
    settings.ALLOWED_HOSTS = ["10.1.2.3", "testserver"]
    url = resident_track_url(rf.get("/", HTTP_HOST="10.1.2.3:8000"), case)
    assert url == f"http://10.1.2.3:8000/r/track/?number={case.number}&code={case.query_code}"
    settings.YIMEN_PUBLIC_BASE_URL = "https://jfm.example.gov.cn"
    assert resident_track_url(rf.get("/"), case).startswith("https://jfm.example.gov.cn/r/track/?number=")


def _queries(client, case) -> int:
    with count_queries() as ctx:
        response = client.get(reverse("web:case_receipt", args=[case.number]))
    assert response.status_code == 200
    return ctx


def test_the_receipt_costs_the_same_number_of_queries_with_more_parties_and_history(client, world):
    client.force_login(world.clerk)
    small = world.register()
    few = _queries(client, small)
    many = [PartyInput(name=f"工人{i}", phone=f"1390000{i:04d}") for i in range(8)]
    for _ in range(4):
        world.register()
    big = world.register(parties=many)
    assert _queries(client, big) == few


def test_each_print_size_has_its_page_rule_in_a_file_of_our_own():
    # The Content-Security-Policy allows no inline <style>: the @page rules live in static files.
    from django.contrib.staticfiles import finders

    for name, size in (("receipt-a4", "A4"), ("receipt-a5", "A5"), ("poster-a4", "A4 portrait"), ("poster-a3", "A3 portrait")):
        path = finders.find(f"web/print/{name}.css")
        assert path and f"@page {{ size: {size};" in open(path, encoding="utf-8").read()


# ---------------------------------------------------------------------------------------------
# Issue 12 B.6: every party (masked), the head-count, the amount, and the limit as it is now.

SIX_PARTIES = [
    PartyInput(name="张三", id_number="110101199003074477", phone="13800138000", headcount=12),
    PartyInput(name="李四", id_number="110101198505120037", phone="13912345678"),
    PartyInput(name="某建筑劳务公司", role="respondent", kind="organisation", phone="07571234567"),
    PartyInput(name="钱包工", role="respondent", id_number="110101197801019991", phone="13700001111"),
    PartyInput(name="某总承包公司", role="third", kind="organisation"),
    PartyInput(name="孙监理", role="third", phone="13655556666"),
]
CLEAR = ("110101199003074477", "13800138000", "110101198505120037", "13912345678", "07571234567",
         "110101197801019991", "13700001111", "13655556666")


def test_the_receipt_lists_every_party_with_role_and_masked_numbers(receipt_of, world):
    case = world.register(parties=SIX_PARTIES)
    html = receipt_of(world.clerk, case).content.decode()
    for party in SIX_PARTIES:
        assert party.name in html, party.name
    for masked in ("110101********4477", "138****8000", "110101********0037", "139****5678", "075****4567",
                   "110101********9991", "137****1111", "136****6666"):
        assert masked in html, masked
    for clear in CLEAR:
        assert clear not in html, clear
    # Each party's role next to its name.
    for role, name in (("申请人", "李四"), ("被申请人", "钱包工"), ("第三人", "孙监理")):
        assert re.search(rf"<td[^>]*>{role}</td>\s*<td[^>]*>{name}</td>", html), (role, name)


def test_the_receipt_shows_the_head_count_and_the_amount(receipt_of, world):
    case = world.register(headcount=23, amount="81234.50")
    html = receipt_of(world.clerk, case).content.decode()
    assert re.search(r"<dt>涉及人数</dt>\s*<dd>23", html)
    assert re.search(r"<dt>涉及金额</dt>\s*<dd>81234\.50 元", html)


def test_a_matter_without_an_amount_says_so_rather_than_printing_none(receipt_of, world):
    html = receipt_of(world.clerk, world.register()).content.decode()
    assert re.search(r"<dt>涉及金额</dt>\s*<dd>—", html) and "None" not in html


def test_the_receipt_prints_the_limit_as_it_is_now_after_grading_changes_it(receipt_of, world):
    from yimen.cases import transitions

    case = world.register()  # 烦心事 by default: 15 working days
    first = receipt_of(world.clerk, case).content.decode()
    before = due_label(case.due_at, case.due_provisional)
    assert before in first
    graded = transitions.case_triage(actor=world.dispatcher, case=case, urgency="urgent", risk="yellow")
    graded.refresh_from_db()
    assert graded.due_at < case.due_at  # 急难事: one working day
    after = due_label(graded.due_at, graded.due_provisional)
    again = receipt_of(world.clerk, graded).content.decode()
    assert after in again and before not in again
    short_date = date_format(graded.due_at.astimezone(), "DATE_FORMAT")
    assert f"办理期限至 {short_date}（以最新查询为准）" in again


def test_the_date_on_the_receipt_says_the_latest_query_prevails(receipt_of, world):
    case = world.register()
    html = receipt_of(world.clerk, case).content.decode()
    exact = f"{due_label(case.due_at, case.due_provisional)}前答复（以最新查询为准）"
    assert exact in html


def test_the_receipt_costs_the_same_queries_with_one_party_and_with_six(client, world):
    client.force_login(world.clerk)
    one = world.register(parties=[PartyInput(name="张三", id_number="110101199003074477", phone="13800138000")])
    six = world.register(parties=SIX_PARTIES)
    assert _queries(client, six) == _queries(client, one)


def test_the_receipt_lists_applicants_then_respondents_then_third_parties(receipt_of, world):
    entered = [PartyInput(name="某总承包公司", role="third", kind="organisation"), PartyInput(name="张三"),
               PartyInput(name="某劳务公司", role="respondent", kind="organisation"), PartyInput(name="李四")]
    html = receipt_of(world.clerk, world.register(parties=entered)).content.decode()
    table = html[html.index('class="receipt-party-table"'):]
    assert [table.index(n) for n in ("张三", "李四", "某劳务公司", "某总承包公司")] == sorted(
        table.index(n) for n in ("张三", "李四", "某劳务公司", "某总承包公司"))
