"""Registration over HTTP under gunicorn, against the bare insert view; peak memory per worker.

One gunicorn (2 workers × 4 threads, gthread) serves /api/v1/cases and the two baselines of
bench/bare/views.py (/bench/insert: one row; /bench/rows: the rows of a registration and nothing
else) from the bench settings. The load generator keeps `CONCURRENCY` keep-alive connections busy.
The runs alternate (bare, rows, API, bare, rows, API) so that a slow moment of the machine hits all
three; each figure is the requests that succeeded over the wall time of its runs. Afterwards the worklist is read over HTTP
for a while (so the memory figure includes list pages), then VmHWM of each worker is read.
"""

import json
import statistics

from bench import checkpoint, registration
from bench.load import Generator, combine
from bench.report import Report
from bench.server import CpuMeter, Gunicorn, database_backends

WORKERS = 2
THREADS = 4
CONCURRENCY = 8  # = WORKERS × THREADS: every server thread busy, none queued for long
LOAD_PROCESSES = 2
RATIO_TARGET = 0.60
TIME_LIMIT = 60.0  # seconds, per run


def _ms(seconds: float) -> str:
    return f"{1000 * seconds:.1f} ms"


def run(report: Report, *, requests: int, rounds: int = 2) -> None:
    from yimen.accounts.models import ApiToken, User

    people = registration.clerks()
    with checkpoint.kept():
        tokens = {c.user.pk: ApiToken.issue(c.user, name="bench")[1] for c in people}
        reader = User.objects.get(username="dispatcher")
        reader_token = ApiToken.issue(reader, name="bench")[1]
        api_threads, bare_threads, rows_threads = registration.bodies_for_threads(people, tokens, CONCURRENCY, per_thread=200)
        list_threads = [(
            ["/api/v1/cases?limit=20", "/api/v1/cases?limit=20&open=true", "/api/v1/cases?limit=20&category=labour"],
            {"Authorization": f"Bearer {reader_token}"}, [None],
        )] * CONCURRENCY
        generator = Generator(LOAD_PROCESSES)
        try:
            with Gunicorn(workers=WORKERS, threads=THREADS) as server:
                report.say(f"gunicorn {WORKERS} workers × {THREADS} threads (gthread) on 127.0.0.1:{server.port}; "
                           f"load: {CONCURRENCY} keep-alive connections from {LOAD_PROCESSES} processes")
                # Warm up: imports, connections, caches in every worker.
                for threads in (bare_threads, rows_threads, api_threads, list_threads):
                    warm = generator.run(port=server.port, method="GET" if threads is list_threads else "POST",
                                         per_thread=threads, requests=40 * CONCURRENCY, time_limit=TIME_LIMIT)
                    _check(warm, "warm-up")
                bare_runs, rows_runs, api_runs = [], [], []
                cpu = {"bare": [0.0, 0.0], "rows": [0.0, 0.0], "api": [0.0, 0.0]}  # seconds: gunicorn workers, PostgreSQL
                for _round in range(rounds):
                    for name, threads, runs in (("bare", bare_threads, bare_runs), ("rows", rows_threads, rows_runs),
                                                ("api", api_threads, api_runs)):
                        workers, database = CpuMeter(server.worker_pids), CpuMeter(database_backends)
                        workers.start()
                        database.start()
                        runs.append(generator.run(port=server.port, method="POST", per_thread=threads,
                                                  requests=requests, time_limit=TIME_LIMIT))
                        cpu[name][0] += workers.stop()
                        cpu[name][1] += database.stop()
                        _check(runs[-1], {"bare": "bare insert", "rows": "rows only", "api": "POST /api/v1/cases"}[name])
                listing = generator.run(port=server.port, method="GET", per_thread=list_threads, requests=requests // 2,
                                        time_limit=TIME_LIMIT)
                _check(listing, "GET /api/v1/cases")
                memory = server.worker_memory()
        finally:
            generator.close()
    # Rates: the requests of all rounds over the sum of the rounds' wall times.
    bare, rows, api = combine(bare_runs), combine(rows_runs), combine(api_runs)
    bare_rate, rows_rate, api_rate = bare.ok / bare.seconds, rows.ok / rows.seconds, api.ok / api.seconds
    ratio = api_rate / bare_rate
    report.figure(
        "registration_http",
        f"registration over HTTP: {api_rate:,.0f} req/s (bare insert view: {bare_rate:,.0f} req/s, ratio {ratio:.0%})",
        value=round(api_rate), bare=round(bare_rate), ratio=round(ratio, 3),
        target="ratio ≥ 60%", met=ratio >= RATIO_TARGET,
    )
    served = {"bare": bare.ok, "rows": rows.ok, "api": api.ok}
    per_request = {name: [1000 * x / served[name] for x in cpu[name]] for name in cpu}
    api_cpu, rows_cpu, bare_cpu = (sum(per_request[name]) for name in ("api", "rows", "bare"))
    report.figure(
        "registration_http_cpu",
        f"  server CPU per request: registration {api_cpu:.2f} ms (Python {per_request['api'][0]:.2f} + PostgreSQL "
        f"{per_request['api'][1]:.2f}), bare insert {bare_cpu:.2f} ms (Python {per_request['bare'][0]:.2f} + PostgreSQL "
        f"{per_request['bare'][1]:.2f}); ratio by CPU {bare_cpu / api_cpu:.0%}",
        value=round(api_cpu, 2), bare=round(bare_cpu, 2), api_python=round(per_request["api"][0], 2),
        api_postgres=round(per_request["api"][1], 2), bare_python=round(per_request["bare"][0], 2),
        bare_postgres=round(per_request["bare"][1], 2), ratio=round(bare_cpu / api_cpu, 3),
    )
    report.figure(
        "registration_http_floor",
        f"  the rows of a registration and nothing else (/bench/rows): {rows_rate:,.0f} req/s, {rows_cpu:.2f} ms CPU "
        f"(Python {per_request['rows'][0]:.2f} + PostgreSQL {per_request['rows'][1]:.2f}); ratio to the bare view "
        f"{rows_rate / bare_rate:.0%} by rate, {bare_cpu / rows_cpu:.0%} by CPU: the best any registration could reach here",
        value=round(rows_rate), cpu=round(rows_cpu, 2), ratio=round(rows_rate / bare_rate, 3),
        cpu_ratio=round(bare_cpu / rows_cpu, 3),
    )
    report.say(f"  client-side latency at {CONCURRENCY} connections: registration p50 {_ms(statistics.median(api.latencies))}, "
               f"p95 {_ms(api.percentile(95))}; rows only p50 {_ms(statistics.median(rows.latencies))}, p95 {_ms(rows.percentile(95))}; "
               f"bare p50 {_ms(statistics.median(bare.latencies))}, p95 {_ms(bare.percentile(95))}; "
               f"{api.ok:,} + {rows.ok:,} + {bare.ok:,} requests, {api.errors + rows.errors + bare.errors} errors")
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
    report.say("  " + json.dumps({"statuses_api": api.statuses, "statuses_rows": rows.statuses, "statuses_bare": bare.statuses}))


def _check(result, what: str) -> None:
    if result.ok == 0:
        raise RuntimeError(f"{what}: no request succeeded ({result.errors} errors; first: {result.sample_error})")
    if result.errors:
        raise RuntimeError(f"{what}: {result.errors} of {result.ok + result.errors} requests failed (first: {result.sample_error})")
