"""Registration over HTTP under gunicorn, against the rows it must write and a bare insert view.

Two gunicorns (2 workers × 4 threads, gthread), the same but for where the triage proposal is made,
serve /api/v1/cases from the bench settings: one in the request (the default), one in `yimen worker`
after the commit (YIMEN_TRIAGE_IN_WORKER=true). The first also serves the two baselines of
bench/bare/views.py (/bench/insert: one row; /bench/rows: the rows of a registration and nothing
else, the floor). The load generator keeps `CONCURRENCY` keep-alive connections busy. The runs
alternate (bare, rows, API, API with triage in the worker; twice) so that a slow moment of the
machine hits all four; each figure is the requests that succeeded over the wall time of its runs.
The proposals the deferred runs left pending are then made here as the worker's job makes them, so
the cost moved out of the request is printed too. Afterwards the worklist is read over HTTP for a
while (so the memory figure includes list pages), then VmHWM of each worker is read.
"""

import json
import statistics

from bench import checkpoint, registration
from bench.load import Generator, combine
from bench.report import Report
from bench.server import CpuMeter, Gunicorn, database_backends, own_backend

WORKERS = 2
THREADS = 4
CONCURRENCY = 8  # = WORKERS × THREADS: every server thread busy, none queued for long
LOAD_PROCESSES = 2
RATIO_TARGET = 0.50  # registration with triage in the worker against /bench/rows (issue 13, item 6)
TIME_LIMIT = 60.0  # seconds, per run


def _ms(seconds: float) -> str:
    return f"{1000 * seconds:.1f} ms"


# The runs of one round, in order: (name, which server, what it is).
RUNS = (
    ("bare", "inline", "bare insert"),
    ("rows", "inline", "rows only"),
    ("api", "inline", "POST /api/v1/cases (triage in the request)"),
    ("deferred", "deferred", "POST /api/v1/cases (triage in the worker)"),
)


def run(report: Report, *, requests: int, rounds: int = 2) -> None:
    from yimen.accounts.models import ApiToken, User

    people = registration.clerks()
    with checkpoint.kept():
        tokens = {c.user.pk: ApiToken.issue(c.user, name="bench")[1] for c in people}
        reader = User.objects.get(username="dispatcher")
        reader_token = ApiToken.issue(reader, name="bench")[1]
        api_threads, bare_threads, rows_threads = registration.bodies_for_threads(people, tokens, CONCURRENCY, per_thread=200)
        threads_of = {"bare": bare_threads, "rows": rows_threads, "api": api_threads, "deferred": api_threads}
        list_threads = [(
            ["/api/v1/cases?limit=20", "/api/v1/cases?limit=20&open=true", "/api/v1/cases?limit=20&category=labour"],
            {"Authorization": f"Bearer {reader_token}"}, [None],
        )] * CONCURRENCY
        generator = Generator(LOAD_PROCESSES)
        try:
            # Two servers, the same but for where triage runs; only one is under load at a time.
            with Gunicorn(workers=WORKERS, threads=THREADS) as inline, \
                    Gunicorn(workers=WORKERS, threads=THREADS, env={"YIMEN_TRIAGE_IN_WORKER": "true"}) as deferred:
                servers = {"inline": inline, "deferred": deferred}
                report.say(f"gunicorn {WORKERS} workers × {THREADS} threads (gthread) on 127.0.0.1:{inline.port} (triage in the "
                           f"request) and :{deferred.port} (YIMEN_TRIAGE_IN_WORKER=true); load: {CONCURRENCY} keep-alive "
                           f"connections from {LOAD_PROCESSES} processes")
                # Warm up: imports, connections, caches in every worker.
                for name, server_name, _what in RUNS:
                    warm = generator.run(port=servers[server_name].port, method="POST", per_thread=threads_of[name],
                                         requests=40 * CONCURRENCY, time_limit=TIME_LIMIT)
                    _check(warm, "warm-up")
                _check(generator.run(port=inline.port, method="GET", per_thread=list_threads, requests=40 * CONCURRENCY,
                                     time_limit=TIME_LIMIT), "warm-up")
                runs = {name: [] for name, *_ in RUNS}
                cpu = {name: [0.0, 0.0] for name in runs}  # seconds: gunicorn workers, PostgreSQL
                for _round in range(rounds):
                    for name, server_name, what in RUNS:
                        workers, database = CpuMeter(servers[server_name].worker_pids), CpuMeter(database_backends)
                        workers.start()
                        database.start()
                        runs[name].append(generator.run(port=servers[server_name].port, method="POST",
                                                        per_thread=threads_of[name], requests=requests, time_limit=TIME_LIMIT))
                        cpu[name][0] += workers.stop()
                        cpu[name][1] += database.stop()
                        _check(runs[name][-1], what)
                listing = generator.run(port=inline.port, method="GET", per_thread=list_threads, requests=requests // 2,
                                        time_limit=TIME_LIMIT)
                _check(listing, "GET /api/v1/cases")
                memory = inline.worker_memory()
            worker_share = _worker_share()
        finally:
            generator.close()
    # Rates: the requests of all rounds over the sum of the rounds' wall times.
    done = {name: combine(r) for name, r in runs.items()}
    rate = {name: d.ok / d.seconds for name, d in done.items()}
    per_request = {name: [1000 * x / done[name].ok for x in cpu[name]] for name in cpu}
    total_cpu = {name: sum(per_request[name]) for name in cpu}
    to_floor, inline_to_floor = rate["deferred"] / rate["rows"], rate["api"] / rate["rows"]
    report.figure(
        "registration_http",
        f"registration over HTTP, triage in the worker (YIMEN_TRIAGE_IN_WORKER): {rate['deferred']:,.0f} req/s = "
        f"{to_floor:.0%} of the rows floor ({rate['rows']:,.0f} req/s); triage in the request: {rate['api']:,.0f} req/s = "
        f"{inline_to_floor:.0%}",
        value=round(rate["deferred"]), floor=round(rate["rows"]), ratio=round(to_floor, 3), inline=round(rate["api"]),
        inline_ratio=round(inline_to_floor, 3), target=f"≥ {RATIO_TARGET:.0%} of the floor", met=to_floor >= RATIO_TARGET,
    )
    report.figure(
        "registration_http_cpu",
        "  server CPU per request: " + "; ".join(
            f"{label} {total_cpu[name]:.2f} ms (Python {per_request[name][0]:.2f} + PostgreSQL {per_request[name][1]:.2f})"
            for name, label in (("deferred", "registration, triage in the worker"), ("api", "triage in the request"),
                                ("rows", "the rows floor"), ("bare", "bare insert"))
        ) + f"; registration to the floor by CPU {total_cpu['rows'] / total_cpu['deferred']:.0%} "
            f"(triage in the request {total_cpu['rows'] / total_cpu['api']:.0%})",
        value=round(total_cpu["deferred"]), inline=round(total_cpu["api"], 2), rows=round(total_cpu["rows"], 2),
        bare=round(total_cpu["bare"], 2), cpu_ratio=round(total_cpu["rows"] / total_cpu["deferred"], 3),
    )
    report.figure(
        "registration_http_floor",
        f"  the rows of a registration and nothing else (/bench/rows): {rate['rows']:,.0f} req/s; the bare insert view "
        f"{rate['bare']:,.0f} req/s (registration {rate['deferred'] / rate['bare']:.0%} of it, the floor "
        f"{rate['rows'] / rate['bare']:.0%})",
        value=round(rate["rows"]), bare=round(rate["bare"]), bare_ratio=round(rate["deferred"] / rate["bare"], 3),
    )
    if worker_share:
        made, seconds, cpu_ms = worker_share
        report.figure(
            "registration_worker_triage",
            f"  the worker's share: {made:,} proposals made afterwards in {seconds:.1f} s ({made / seconds:,.0f}/s in one "
            f"process, {cpu_ms:.2f} ms CPU each with PostgreSQL's): a registration plus its proposal costs "
            f"{total_cpu['deferred'] + cpu_ms:.2f} ms against {total_cpu['api']:.2f} ms in the request",
            value=round(made / seconds), cpu=round(cpu_ms, 2),
        )
    report.say("  client-side latency at {n} connections: ".format(n=CONCURRENCY) + "; ".join(
        f"{name} p50 {_ms(statistics.median(d.latencies))}, p95 {_ms(d.percentile(95))}" for name, d in done.items()
    ) + f"; {sum(d.ok for d in done.values()):,} requests, {sum(d.errors for d in done.values())} errors")
    report.figure(
        "worklist_http",
        f"worklist over HTTP (township dispatcher, 20 per page, {CONCURRENCY} connections): {listing.rate:,.0f} req/s, "
        f"client p50 {_ms(statistics.median(listing.latencies))}, p95 {_ms(listing.percentile(95))}",
        value=round(listing.rate),
    )
    peaks = sorted(m["VmHWM"] / 1024 for m in memory.values())
    report.figure(
        "memory",
        "peak memory per gunicorn worker: " + ", ".join(f"{p:.0f} MiB" for p in peaks) + " (VmHWM after all HTTP runs)",
        value=round(max(peaks)), workers=[round(p) for p in peaks],
    )
    report.say("  " + json.dumps({f"statuses_{name}": d.statuses for name, d in done.items()}))


def _worker_share() -> tuple[int, float, float] | None:
    """What the deferred registrations left to `yimen worker`, made here as its job makes them:
    (proposals, seconds, ms of CPU each — this process and its PostgreSQL backend)."""
    import time

    from yimen.cases.jobs import suggest_pending
    from yimen.cases.models import Case

    if not Case.objects.filter(triage_pending=True).exists():
        return None
    database = CpuMeter(lambda: [own_backend()])
    started, cpu_started = time.perf_counter(), time.process_time()
    database.start()
    made = suggest_pending()
    backend = database.stop()
    seconds = time.perf_counter() - started
    return made, seconds, 1000 * (time.process_time() - cpu_started + backend) / max(made, 1)


def _check(result, what: str) -> None:
    if result.ok == 0:
        raise RuntimeError(f"{what}: no request succeeded ({result.errors} errors; first: {result.sample_error})")
    if result.errors:
        raise RuntimeError(f"{what}: {result.errors} of {result.ok + result.errors} requests failed (first: {result.sample_error})")
