"""Export of the current matter list to an Excel ledger (GET /cases/export.xlsx)."""

import io
from urllib.parse import unquote

from django.test.utils import override_settings
from django.urls import reverse
from openpyxl import load_workbook

from yimen.common.querycount import count_queries

URL = "/cases/export.xlsx"


def _export(client, user, query=""):
    client.force_login(user)
    response = client.get(f"{URL}?{query}" if query else URL)
    assert response.status_code == 200, response
    body = b"".join(response.streaming_content)
    return response, load_workbook(io.BytesIO(body))


def _numbers(book) -> list[str]:
    return [row[1] for row in book["事项台账"].iter_rows(min_row=2, values_only=True) if isinstance(row[0], int)]


def test_the_export_is_an_xlsx_with_a_chinese_file_name(client, world):
    world.register()
    response, book = _export(client, world.clerk)
    assert reverse("web:case_export") == URL
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="yimen-ledger-')
    assert unquote(disposition.split("filename*=UTF-8''")[1]).startswith("事项台账_")
    assert unquote(disposition).endswith(".xlsx")
    header = next(book["事项台账"].iter_rows(max_row=1, values_only=True))
    assert header[:3] == ("序号", "事项编号", "受理时间") and header[-1] == "责任中心"


def test_the_export_holds_the_filtered_rows_with_personal_data_masked(client, world):
    red = world.register(risk="red")
    world.register(risk="blue")
    _, book = _export(client, world.clerk, "risk=red")
    assert _numbers(book) == [red.number]
    text = str(list(book["事项台账"].iter_rows(values_only=True)))
    assert "张三（110101********4477，138****8000）" in text
    assert "110101199003074477" not in text and "13800138000" not in text
    notes = dict(row[:2] for row in book["说明"].iter_rows(min_row=2, values_only=True))
    assert notes["风险等级"] == "红色" and notes["导出人"] == "李窗口"


def test_the_export_follows_the_lists_sort(client, world):
    blue = world.register(risk="blue")
    red = world.register(risk="red")
    _, book = _export(client, world.clerk, "sort=risk")
    assert _numbers(book) == [red.number, blue.number]
    _, book = _export(client, world.clerk, "sort=received")
    assert _numbers(book) == [blue.number, red.number]


def test_the_export_is_scoped_like_the_page(client, world):
    world.register(title="未派单")
    dispatched = world.dispatched()
    _, book = _export(client, world.outsider)
    assert _numbers(book) == []
    _, book = _export(client, world.handler)
    assert _numbers(book) == [dispatched.number]


def test_the_export_stops_at_the_cap_and_says_so(client, world):
    made = [world.register() for _ in range(3)]
    with override_settings(YIMEN_EXPORT_MAX_ROWS=2):
        _, book = _export(client, world.clerk)
        page = client.get("/cases/").content.decode()
    assert _numbers(book) == [made[2].number, made[1].number]
    assert any("已达导出上限" in str(row) for row in book["事项台账"].iter_rows(values_only=True))
    assert "单次最多 2 条" in page


def test_a_wrong_filter_sends_the_user_back_to_the_list_with_a_message(client, world):
    client.force_login(world.clerk)
    response = client.get(URL + "?region=abc&risk=red", follow=True)
    assert response.redirect_chain[0][0] == "/cases/?region=abc&risk=red"
    assert "筛选条件有误" in response.content.decode()


def test_a_signed_out_visitor_cannot_export(client, db):
    assert client.get(URL).status_code == 302


def _export_queries(client, user):
    client.force_login(user)
    with count_queries() as captured:
        response = client.get(URL)
        b"".join(response.streaming_content)
    return captured


def test_the_export_makes_the_same_number_of_queries_for_3_and_12_matters(client, world):
    for _ in range(3):
        world.dispatched()
    few = _export_queries(client, world.clerk)
    for _ in range(9):
        world.dispatched()
    assert _export_queries(client, world.clerk) == few
