"""Text search (the `text=` filter of GET /api/v1/cases) on the full data set: server time p50/p95.

The data set's texts come from a few templates, so every word in it is either everywhere or nowhere.
To have words that match a few matters, the section first registers PLANTED matters through the
real intake (so their tokens are written the way production writes them), received at moments spread
over the year, and removes them afterwards (bench.checkpoint). Then, as in bench/worklist.py, each
search is requested once untimed (its list query EXPLAIN ANALYZEd into bench/out/plans-search.txt),
then `repeat` times timed, through Django's test client with a Bearer token.

Targets (issue 13): city-wide text search with few or no matches p95 ≤ 50 ms at 1 M matters,
≤ 150 ms at 10 M. A common word (many matches) is measured for its first page beside it, against
the everyday lists' 50 ms.
"""

import datetime as dt
import statistics

from bench import checkpoint
from bench.report import OUT_DIR, Report, percentile
from bench.worklist import _client, _measure, _print_rows

PLANTED = 5
CITY = ("city_dispatcher", "city dispatcher (云川市)")
TOWNSHIP = ("dispatcher", "township dispatcher (桃源镇)")
# (user, who, label, text); the planted matters hold 山洪冲毁便桥, 欧阳震华, WeChat.
FEW = [
    (*CITY, "2 chars, no match: 塌方", "塌方"),
    (*CITY, "3 chars, no match: 泥石流", "泥石流"),
    (*CITY, "4 chars, no match: 违章搭建", "违章搭建"),
    (*CITY, "1 char, no match: 璐", "璐"),
    (*CITY, "latin, no match: xyz", "xyz"),
    (*CITY, f"2 chars, {PLANTED} matches: 山洪", "山洪"),
    (*CITY, f"4 chars, {PLANTED} matches: 冲毁便桥", "冲毁便桥"),
    (*CITY, f"a party's name, {PLANTED} matches: 欧阳震华", "欧阳震华"),
    (*CITY, f"latin, {PLANTED} matches: wechat", "wechat"),
    (*CITY, "a matter number", None),
    (*TOWNSHIP, "2 chars, no match: 塌方", "塌方"),
]
COMMON = [
    (*CITY, "common: 拖欠", "拖欠"),
    (*CITY, "common: 漏水", "漏水"),
    (*CITY, "common, 1 char: 王", "王"),
    (*CITY, "common, 4 chars: 拖欠工资", "拖欠工资"),
    (*TOWNSHIP, "common: 拖欠", "拖欠"),
    ("handler", "unit handler (青溪县人社局)", "common: 工资", "工资"),
]


def _plant(marker) -> str:
    """Register the planted matters; returns the number of one of them."""
    from yimen.accounts.models import User
    from yimen.cases.intake import CaseInput, PartyInput, case_register
    from yimen.regions.models import Region

    clerk = User.objects.get(username="clerk")
    grid = Region.objects.get(code="449001001001001")
    as_of = dt.datetime.fromisoformat(marker["as_of"])
    number = ""
    for i in range(PLANTED):
        case = case_register(actor=clerk, data=CaseInput(
            channel="walk_in", region=grid, title="山洪冲毁便桥",
            description=f"第{i + 1}次反映：暴雨引发山洪冲毁村口便桥，村民在WeChat群里求助，学生上学需绕行。",
            request="请求尽快修复便桥", received_at=as_of - dt.timedelta(days=20 + 70 * i),
            parties=[PartyInput(name="欧阳震华", address="杏花村山脚")],
        ))
        number = number or case.number
    return number


def run(report: Report, *, repeat: int, marker: dict) -> None:
    matters = marker["matters"]
    target_ms = 150.0 if matters >= 10_000_000 else 50.0
    few_rows, common_rows, plans = [], [], []
    with checkpoint.kept():
        number = _plant(marker)
        clients = {}
        for rows, searches in ((few_rows, FEW), (common_rows, COMMON)):
            for username, who, label, text in searches:
                client = clients.setdefault(username, _client(username))
                if row := _measure(client, who, label, {"text": text or number}, repeat, plans):
                    rows.append(row)
    OUT_DIR.mkdir(exist_ok=True)
    (OUT_DIR / "plans-search.txt").write_text("\n".join(plans), encoding="utf-8")

    few = sorted(t for row in few_rows for t in row[4])
    worst = max(few_rows, key=lambda row: statistics.median(row[4]))
    report.figure(
        "search_few",
        f"text search with few or no matches, {matters:,} matters: p50 {statistics.median(few):.1f} ms, "
        f"p95 {percentile(few, 95):.1f} ms ({len(few)} requests; worst median {statistics.median(worst[4]):.1f} ms: "
        f"{worst[1]}; the target at 10 M is p95 ≤ 150 ms)",
        value=round(percentile(few, 95), 1), p50=round(statistics.median(few), 1),
        target=f"p95 ≤ {target_ms:.0f} ms", met=percentile(few, 95) <= target_ms,
    )
    _print_rows(report, few_rows)
    common = sorted(t for row in common_rows for t in row[4])
    report.figure(
        "search_common",
        f"text search with many matches (first page of 20): p50 {statistics.median(common):.1f} ms, "
        f"p95 {percentile(common, 95):.1f} ms ({len(common)} requests)",
        value=round(percentile(common, 95), 1), p50=round(statistics.median(common), 1),
        target="p95 ≤ 50 ms", met=percentile(common, 95) <= 50.0,
    )
    _print_rows(report, common_rows)
    report.say("  plans: bench/out/plans-search.txt")

