"""The workbench pages on the full data set: server time p50/p95 per page, and queries per page.

Like the worklist API bench: Django's test client in this process with the bench settings (the
whole stack: sessions, CSRF, auth, the scoped selectors, template rendering), sequential requests,
so the figure is the server's own time. Each page is requested once untimed (its queries counted),
then `repeat` times timed. Target: p95 ≤ 100 ms (issue 3).
"""

import statistics
import time

from bench import checkpoint
from bench.report import Report, percentile as _percentile

P95_TARGET_MS = 100.0


def _matter_numbers(username: str) -> dict:
    """A few matters in the user's scope to open: the newest, one being handled, one to dispatch."""
    from yimen.accounts.models import User
    from yimen.cases.models import Status
    from yimen.cases.selectors import CaseFilters, case_list_for_user

    user = User.objects.get(username=username)

    def first(**kw):
        return case_list_for_user(user=user, filters=CaseFilters(**kw)).values_list("number", flat=True).first()

    return {
        "newest": first(),
        "in_progress": first(status=[Status.IN_PROGRESS]),
        "to_dispatch": first(status=[Status.PENDING_DISPATCH, Status.REGISTERED, Status.RETURNED]),
        "resolved": first(status=[Status.RESOLVED]),
    }


def _pages(username: str) -> list[tuple[str, str, dict, str | None]]:
    """(label, url name, kwargs, query string) for the pages this user works on."""
    n = _matter_numbers(username)
    pages = [
        ("home", "web:home", {}, None),
        ("matter list", "web:case_list", {}, None),
        ("matter list, open", "web:case_list", {}, "open=true"),
        ("matter list, overdue", "web:case_list", {}, "overdue=true"),
        ("matter list, category=labour", "web:case_list", {}, "category=labour"),
    ]
    for key, label in (("newest", "matter page (newest)"), ("in_progress", "matter page (in progress)"),
                       ("resolved", "matter page (resolved)")):
        if n[key]:
            pages.append((label, "web:case_detail", {"number": n[key]}, None))
    return pages


ROLE_PAGES = {
    "clerk": [("window", "web:window", {}, None)],
    "dispatcher": [("follow-up queue", "web:followups", {}, None), ("supervisor board", "web:supervise", {}, None)],
    "supervisor": [("supervisor board", "web:supervise", {}, None), ("follow-up queue", "web:followups", {}, None)],
    "handler": [("unit inbox", "web:inbox", {}, None)],
    "city_dispatcher": [("supervisor board", "web:supervise", {}, None)],
}
USERS = [
    ("clerk", "township clerk (桃源镇)"),
    ("dispatcher", "township dispatcher (桃源镇)"),
    ("supervisor", "county supervisor (青溪县)"),
    ("handler", "unit handler (青溪县人社局)"),
    ("city_dispatcher", "city dispatcher (云川市)"),
]


def _url(name: str, kwargs: dict, query: str | None) -> str | None:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(name, kwargs=kwargs) + (f"?{query}" if query else "")
    except NoReverseMatch:
        return None


def _measure(client, url: str, repeat: int) -> tuple[int, list[float], int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url}: HTTP {response.status_code} {response.content[:300]!r}")
    queries = len(captured)
    timings = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        client.get(url)
        timings.append(1000 * (time.perf_counter() - t0))
    return queries, timings, len(response.content)


def run(report: Report, *, repeat: int, matters: int) -> None:
    from django.test import Client

    from yimen.accounts.models import User

    rows, missing = [], []
    with checkpoint.kept():
        for username, who in USERS:
            client = Client()
            client.force_login(User.objects.get(username=username))
            pages = _pages(username) + ROLE_PAGES.get(username, [])
            # The dispatch view and the receipt, for the users who open them.
            if username == "dispatcher":
                n = _matter_numbers(username)
                if n["to_dispatch"]:
                    pages.append(("dispatch view", "web:case_dispatch", {"number": n["to_dispatch"]}, None))
                if n["newest"]:
                    pages.append(("receipt", "web:case_receipt", {"number": n["newest"]}, None))
            for label, name, kwargs, query in pages:
                url = _url(name, kwargs, query)
                if url is None:
                    missing.append(f"{who} — {label} ({name})")
                    continue
                queries, timings, size = _measure(client, url, repeat)
                rows.append((who, label, url, queries, timings, size))
    everything = [t for row in rows for t in row[4]]
    report.latency(
        "pages", f"workbench pages with {matters:,} matters", everything, target_ms=P95_TARGET_MS,
        how=f"{len(everything):,} sequential requests over {len(rows)} pages, server time in-process",
    )
    width = max((len(f"{who} — {label}") for who, label, *_ in rows), default=10)
    for who, label, url, queries, timings, size in rows:
        ordered = sorted(timings)
        r50, r95 = statistics.median(ordered), _percentile(ordered, 95)
        flag = "  SLOW" if r95 > P95_TARGET_MS else ""
        report.say(f"  {f'{who} — {label}':<{width}}  p50 {r50:6.1f} ms  p95 {r95:6.1f} ms  {queries:2d} queries, "
                   f"{size / 1024:5.1f} KiB  {url}{flag}")
    for line in missing:
        report.say(f"  not measured (page not found): {line}")
