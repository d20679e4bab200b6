"""The worklist API (GET /api/v1/cases) on the full data set: server time p50/p95, and the plans.

Requests go through Django's test client in this process with the bench settings: the whole Django
stack (middleware, bearer-token auth, Ninja, the selector, keyset pagination, the presenter, JSON)
but no socket and no WSGI server, so the figure is the server's own time. They are sequential, so
nothing queues. Each (user, filter) pair is requested once untimed (its queries are captured and the
list query is EXPLAIN ANALYZEd into bench/out/plans.txt), then `repeat` times timed.
"""

import re
import statistics
import time
from urllib.parse import urlencode

from bench import checkpoint
from bench.report import OUT_DIR, Report, percentile as _percentile

P95_TARGET_MS = 50.0

# username in the bench data -> who they are
USERS = [
    ("dispatcher", "township dispatcher (桃源镇)"),
    ("supervisor", "county supervisor (青溪县)"),
    ("handler", "unit handler (青溪县人社局)"),
    ("city_dispatcher", "city dispatcher (云川市)"),
]
FILTERS = [
    ("first page", {}),
    ("open", {"open": "true"}),
    ("overdue", {"overdue": "true"}),
    ("status=dispatched", {"status": "dispatched"}),
    ("category=labour", {"category": "labour"}),
    ("category=economic (parent)", {"category": "economic"}),
    ("page 2", {"page": 2}),
    ("open, page 2", {"open": "true", "page": 2}),
]
# Lists whose filter matches few or no rows in the user's scope: "newest first, stop after 20" then
# reads the whole scope. Reported apart from the everyday pages above, against the same target.
HARD = [
    ("handler_police", "unit handler (白沙镇派出所, 0.5% of matters)", "first page", {}),
    ("handler_police", "unit handler (白沙镇派出所, 0.5% of matters)", "overdue", {"overdue": "true"}),
    ("handler_police", "unit handler (白沙镇派出所, 0.5% of matters)", "category=labour (none of its own)", {"category": "labour"}),
    ("dispatcher", "township dispatcher (桃源镇)", "text=拖欠 (common)", {"text": "拖欠"}),
    ("city_dispatcher", "city dispatcher (云川市)", "text=塌方 (no match)", {"text": "塌方"}),
    ("city_dispatcher", "city dispatcher (云川市)", "category=unknown code", {"category": "no_such_category"}),
]

# Unit lists (issue 13, item 2): every filter the list offers a unit user, alone and combined, for
# a small unit and a busy one. Their lists are driven from the units' own index
# (assignment_unit_recv); target p95 ≤ 100 ms, and never a 400 "narrow your filters".
UNIT_TARGET_MS = 100.0
UNIT_USERS = [
    ("handler_police", "白沙镇派出所 (0.5%)"),
    ("handler", "青溪县人社局 (4.4%)"),
]


def _named(**params) -> tuple[str, dict]:
    """A filter labelled by what it asks: ("category=labour + open=true", {...})."""
    return " + ".join(f"{key}={value}" for key, value in params.items()), params


def _unit_filters(as_of: str | None) -> list[tuple[str, dict]]:
    filters = [
        ("first page", {}),
        ("page 2", {"page": 2}),
        *(_named(**params) for params in (
            {"status": "dispatched"}, {"status": "in_progress"}, {"open": "true"}, {"open": "false"},
            {"overdue": "true"}, {"overdue": "false"}, {"category": "labour"}, {"category": "neighbour"},
            {"category": "economic"}, {"risk": "red"}, {"urgency": "urgent"}, {"channel": "police"},
            {"category": "labour", "open": "true"}, {"category": "neighbour", "overdue": "true"},
            {"risk": "red", "urgency": "urgent"}, {"status": "in_progress", "category": "labour", "overdue": "true"},
        )),
        ("text=拖欠 (as-is)", {"text": "拖欠"}),
    ]
    if as_of:
        import datetime as dt

        end = dt.date.fromisoformat(as_of[:10])
        month = {"received_from": (end - dt.timedelta(days=30)).isoformat(), "received_to": end.isoformat()}
        old = {"received_from": (end - dt.timedelta(days=300)).isoformat(), "received_to": (end - dt.timedelta(days=270)).isoformat()}
        filters += [
            ("received in the last 30 days", month),
            ("received 9–10 months ago", old),
            ("received 9–10 months ago + category=labour", {**old, "category": "labour"}),
        ]
    return filters


def _list_query(queries: list[dict]) -> str | None:
    """The list's own SELECT (the one over cases_case ordered by received_at)."""
    for q in queries:
        sql = q["sql"]
        if sql.startswith("SELECT") and '"cases_case"' in sql and "ORDER BY" in sql and "received_at" in sql:
            return sql
    return None


def _explain(sql: str) -> tuple[str, float, list[str]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    took = float(m.group(1)) if (m := re.search(r"Execution Time: ([\d.]+) ms", plan)) else float("nan")
    scans = re.findall(r"((?:Index Only Scan|Index Scan|Bitmap Index Scan)(?: Backward)? (?:using|on) \w+|Seq Scan on \w+)", plan)
    return plan, took, list(dict.fromkeys(scans))


def _measure(client, who: str, label: str, params: dict, repeat: int, plans: list) -> tuple | None:
    """One (user, list) pair: captured queries, EXPLAIN ANALYZE of the list query, `repeat` timings."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    params = dict(params)
    page = params.pop("page", 1)
    url = "/api/v1/cases?" + urlencode({"limit": 20, **params})
    if page == 2:
        cursor = client.get(url).json()["next_cursor"]
        if not cursor:
            return None
        url += "&" + urlencode({"cursor": cursor})
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} as {who}: HTTP {response.status_code} {response.content[:300]!r}")
    items = len(response.json()["items"])
    # Read now: the next request resets Django's query log.
    n_queries, sql = len(captured), _list_query(captured.captured_queries)
    plan, took, scans = _explain(sql) if sql else ("(list query not found)", float("nan"), [])
    plans.append(f"### {who} — {label}\nGET {url}\n{n_queries} queries; list query:\n{sql}\n\n{plan}\n")
    timings = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        client.get(url)
        timings.append(1000 * (time.perf_counter() - t0))
    return who, label, items, n_queries, timings, took, scans


def _client(username: str):
    from django.test import Client

    from yimen.accounts.models import ApiToken, User

    user = User.objects.get(username=username)
    return Client(headers={"Authorization": f"Bearer {ApiToken.issue(user, name='bench')[1]}"})


def _print_rows(report: Report, rows: list, *, target_ms: float = P95_TARGET_MS) -> None:
    width = max(len(f"{who} — {label}") for who, label, *_ in rows)
    for who, label, items, queries, timings, took, scans in rows:
        ordered = sorted(timings)
        r50, r95 = statistics.median(ordered), _percentile(ordered, 95)
        flag = "  SLOW" if r95 > target_ms else ""
        if any(scan.startswith("Seq Scan on cases_") and "cases_category" not in scan for scan in scans):
            flag += "  SEQ SCAN"
        report.say(f"  {f'{who} — {label}':<{width}}  p50 {r50:6.1f} ms  p95 {r95:6.1f} ms  {queries} queries, {items:2d} rows; "
                   f"list query {took:.1f} ms via {', '.join(scans) or '?'}{flag}")


def run(report: Report, *, repeat: int, matters: int) -> None:
    _run_everyday(report, repeat=repeat, matters=matters)
    _run_unit_lists(report, repeat=repeat, matters=matters)


def _measure_each(lists, repeat: int, plans: list[str]) -> list[tuple]:
    """[(username, who, label, params)] → the measured rows, one API client per user."""
    clients, rows = {}, []
    for username, who, label, params in lists:
        if username not in clients:
            clients[username] = _client(username)
        if row := _measure(clients[username], who, label, params, repeat, plans):
            rows.append(row)
    return rows


def _write_plans(name: str, plans: list[str]) -> None:
    OUT_DIR.mkdir(exist_ok=True)
    (OUT_DIR / name).write_text("\n".join(plans), encoding="utf-8")


def _run_unit_lists(report: Report, *, repeat: int, matters: int) -> None:
    from bench import data

    marker = data.marker() or {}
    plans = []
    lists = [(username, who, *f) for username, who in UNIT_USERS for f in _unit_filters(marker.get("as_of"))]
    with checkpoint.kept():
        rows = _measure_each(lists, max(5, repeat // 2), plans)
    _write_plans("plans-unit-lists.txt", plans)
    timings = [t for row in rows for t in row[4]]
    report.latency(
        "unit_lists", f"unit lists (API) with {matters:,} matters", timings, target_ms=UNIT_TARGET_MS,
        how=f"{len(timings):,} sequential requests, {len(UNIT_USERS)} unit users × {len(rows) // len(UNIT_USERS)} filter combinations",
    )
    worst = max(rows, key=lambda row: _percentile(sorted(row[4]), 95))
    report.figure(
        "unit_lists_worst", f"unit lists, slowest combination: p95 {_percentile(sorted(worst[4]), 95):.1f} ms "
        f"({worst[0]} — {worst[1]})", value=round(_percentile(sorted(worst[4]), 95), 1),
        target=f"p95 ≤ {UNIT_TARGET_MS:.0f} ms", met=_percentile(sorted(worst[4]), 95) <= UNIT_TARGET_MS,
    )
    _print_rows(report, rows, target_ms=UNIT_TARGET_MS)
    report.say("  plans: bench/out/plans-unit-lists.txt")


def _run_everyday(report: Report, *, repeat: int, matters: int) -> None:
    plans = []
    with checkpoint.kept():
        rows = _measure_each([(username, who, *f) for username, who in USERS for f in FILTERS], repeat, plans)
        hard_rows = _measure_each(HARD, max(3, repeat // 4), plans)
    _write_plans("plans.txt", plans)

    everything = [t for row in rows for t in row[4]]
    report.latency(
        "worklist", f"worklist API with {matters:,} matters", everything, target_ms=P95_TARGET_MS,
        how=f"{len(everything):,} sequential requests, {len(USERS)} users × {len(FILTERS)} pages, server time in-process",
    )
    _print_rows(report, rows)
    hard = sorted(t for row in hard_rows for t in row[4])
    worst = max(hard_rows, key=lambda row: statistics.median(row[4]))
    report.figure(
        "worklist_hard",
        f"worklist API, filters that match little in the scope: p95 {_percentile(hard, 95):.1f} ms, worst "
        f"{statistics.median(worst[4]):.0f} ms ({worst[0]} — {worst[1]})",
        value=round(_percentile(hard, 95), 1), target=f"p95 ≤ {P95_TARGET_MS:.0f} ms",
        met=_percentile(hard, 95) <= P95_TARGET_MS,
    )
    _print_rows(report, hard_rows)
    report.say("  plans: bench/out/plans.txt")
