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
from bench.report import OUT_DIR, Report

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


def _percentile(ordered: list[float], p: float) -> float:
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


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


def run(report: Report, *, repeat: int, matters: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from yimen.accounts.models import ApiToken, User

    rows, plans, everything = [], [], []
    with checkpoint.kept():
        for username, who in USERS:
            user = User.objects.get(username=username)
            client = Client(headers={"Authorization": f"Bearer {ApiToken.issue(user, name='bench')[1]}"})
            for label, params in FILTERS:
                params = dict(params)
                page = params.pop("page", 1)
                url = "/api/v1/cases?" + urlencode({"limit": 20, **params})
                if page == 2:
                    first = client.get(url)
                    cursor = first.json()["next_cursor"]
                    if not cursor:
                        continue
                    url += "&" + urlencode({"cursor": cursor})
                with CaptureQueriesContext(connection) as captured:
                    response = client.get(url)
                if response.status_code != 200:
                    raise RuntimeError(f"GET {url} as {username}: HTTP {response.status_code} {response.content[:300]!r}")
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
                everything += timings
                timings.sort()
                rows.append((who, label, items, n_queries, statistics.median(timings), _percentile(timings, 95), took, scans))
    OUT_DIR.mkdir(exist_ok=True)
    (OUT_DIR / "plans.txt").write_text("\n".join(plans), encoding="utf-8")

    everything.sort()
    p50, p95 = statistics.median(everything), _percentile(everything, 95)
    report.figure(
        "worklist",
        f"worklist API with {matters:,} matters: p50 {p50:.1f} ms, p95 {p95:.1f} ms "
        f"({len(everything):,} sequential requests, {len(USERS)} users × {len(FILTERS)} pages, server time in-process)",
        value=round(p95, 1), p50=round(p50, 1), target=f"p95 ≤ {P95_TARGET_MS:.0f} ms", met=p95 <= P95_TARGET_MS,
    )
    width = max(len(f"{who} — {label}") for who, label, *_ in rows)
    for who, label, items, queries, r50, r95, took, scans in rows:
        flag = "  SLOW" if r95 > P95_TARGET_MS else ""
        report.say(f"  {f'{who} — {label}':<{width}}  p50 {r50:6.1f} ms  p95 {r95:6.1f} ms  {queries} queries, {items:2d} rows; "
                   f"list query {took:.1f} ms via {', '.join(scans) or '?'}{flag}")
    report.say("  plans: bench/out/plans.txt")
