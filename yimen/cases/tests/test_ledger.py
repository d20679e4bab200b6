"""The Excel ledger (事项台账): its columns, masked personal data, the cap, and queries per chunk."""

import io

from django.test.utils import override_settings
from openpyxl import load_workbook

from yimen.cases import ledger
from yimen.cases import transitions as t
from yimen.cases.models import Case
from yimen.cases.selectors import CaseFilters, case_list_for_user
from yimen.common.querycount import count_queries

HEADERS = ["序号", "事项编号", "受理时间", "受理渠道", "事发地/所属区划", "当事人(申请人)", "被申请人", "事项类别",
           "矛盾纠纷简要情况", "诉求", "涉及金额(元)", "涉及人数", "风险等级", "紧急程度", "牵头单位", "协办单位", "状态",
           "签收时间", "办理期限", "是否超期", "办结时间", "办理结果", "调解次数", "回访时间", "回访满意度", "责任中心"]


def _write(qs, **kwargs):
    out = io.BytesIO()
    result = ledger.ledger_write(qs, out, **kwargs)
    out.seek(0)
    return result, load_workbook(out)


def _rows(book):
    return [list(row) for row in book["事项台账"].iter_rows(values_only=True)]


def test_the_ledger_has_the_chinese_header_row_frozen(world):
    _, book = _write(Case.objects.none())
    sheet = book["事项台账"]
    assert _rows(book)[0] == HEADERS
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["I"].width == 50


def test_a_row_carries_the_matter_with_units_and_masked_applicant(world):
    case = world.in_progress(address="杏花村3组")
    _, book = _write(Case.objects.filter(pk=case.pk))
    row = dict(zip(HEADERS, _rows(book)[1]))
    assert row["序号"] == 1 and row["事项编号"] == case.number
    assert row["受理渠道"] == "来访" and row["状态"] == "办理中" and row["事项类别"] == "劳资/欠薪"
    assert row["事发地/所属区划"] == "青溪县桃源镇杏花村杏花村第一网格 杏花村3组"
    assert row["当事人(申请人)"] == "张三（110101********4477，138****8000）"
    assert "110101199003074477" not in str(_rows(book)) and "13800138000" not in str(_rows(book))
    assert "某建筑劳务公司" not in row["当事人(申请人)"]  # the respondent is not the applicant
    assert "某建筑劳务公司" in row["被申请人"]
    assert row["牵头单位"] == "青溪县人力资源和社会保障局" and row["协办单位"] == "桃源镇司法所"
    assert row["责任中心"] == "桃源镇综治中心" and row["是否超期"] == "否"
    assert row["受理时间"].tzinfo is None and row["办理期限"] is not None
    assert row["矛盾纠纷简要情况"].startswith("欠薪纠纷：张三等12名工人")
    assert row["诉求"] == "请求协调支付拖欠工资"


def test_a_resolved_matter_shows_its_result_and_satisfaction(world):
    case = world.in_progress()
    case = t.case_resolve(actor=world.handler, case=case, outcome="agreement", result="双方达成调解协议，已支付")
    Case.objects.filter(pk=case.pk).update(satisfaction="satisfied")
    _, book = _write(Case.objects.filter(pk=case.pk))
    row = dict(zip(HEADERS, _rows(book)[1]))
    assert row["办理结果"] == "调解成功：双方达成调解协议，已支付"
    assert row["回访满意度"] == "满意" and row["办结时间"] is not None


def test_numbers_are_numbers_dates_are_to_the_minute_and_the_loop_has_its_columns(world):
    case = world.in_progress()
    Case.objects.filter(pk=case.pk).update(amount="86000.50", headcount=34)
    mediation = {"date": "2025-03-01", "place": "调解室", "mediators": "褚调解", "method": "back_to_back",
                 "parties_present": "张三", "result": "同意分期", "next_step": "签协议"}
    for _ in range(2):
        t.case_record_progress(actor=world.handler, case=case, note="调解", kind="mediation", details=mediation)
    t.case_record_progress(actor=world.handler, case=case, note="约谈", kind="handling")
    case = t.case_resolve(actor=world.handler, case=case, outcome="agreement", result="已支付")
    case = t.case_follow_up(actor=world.clerk, case=case, satisfaction="satisfied")
    _, book = _write(Case.objects.filter(pk=case.pk))
    row = dict(zip(HEADERS, _rows(book)[1]))
    assert row["涉及金额(元)"] == 86000.5 and row["涉及人数"] == 34 and row["调解次数"] == 2
    for name in ("受理时间", "签收时间", "回访时间"):
        assert row[name].second == 0 and row[name].microsecond == 0, name
    case.refresh_from_db()
    assert row["签收时间"] == ledger._local(case.accepted_at)
    assert row["回访时间"] == ledger._local(case.follow_ups.get().created_at)
    sheet = book["事项台账"]
    amount_cell = sheet.cell(row=2, column=HEADERS.index("涉及金额(元)") + 1)
    assert amount_cell.data_type == "n" and amount_cell.number_format == "#,##0.00"


def test_text_that_looks_like_a_formula_stays_text(world):
    case = world.register(title="=HYPERLINK(\"http://x\")", description="=1+1\x0b描述")
    _, book = _write(Case.objects.filter(pk=case.pk))
    cell = book["事项台账"]["I2"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


def test_the_cap_cuts_the_ledger_and_says_so_in_both_sheets(world):
    for _ in range(4):
        world.register()
    with override_settings(YIMEN_EXPORT_MAX_ROWS=3):
        result, book = _write(Case.objects.order_by("-received_at", "-id"))
    rows = _rows(book)
    assert result.rows == 3 and result.capped
    assert [r[0] for r in rows[1:4]] == [1, 2, 3]
    assert "已达导出上限" in rows[4][0]
    assert any("已达导出上限" in str(r) for r in book["说明"].iter_rows(values_only=True))


def test_no_cap_note_when_everything_fits(world):
    world.register()
    result, book = _write(Case.objects.all(), cap=5)
    assert not result.capped and len(_rows(book)) == 2
    assert not any("已达导出上限" in str(r) for r in book["说明"].iter_rows(values_only=True))


def test_the_ledger_reads_related_rows_per_chunk_not_per_row(world):
    def queries(n_chunk):
        qs = case_list_for_user(user=world.clerk, filters=CaseFilters())
        with count_queries() as captured:
            ledger.ledger_write(qs, io.BytesIO(), chunk_size=n_chunk)
        return captured

    for _ in range(3):
        world.dispatched()
    few = queries(100)
    for _ in range(9):
        world.dispatched()
    assert queries(100) == few  # one chunk either way
    # Three chunks of 5: two more chunks, each reading its units and applicants (place names are cached).
    assert queries(5) == few + 2 * 2
