"""A small HTTP load generator for the loopback: keep-alive connections, a fixed number of requests.

Runs in separate processes (spawned, so they share nothing with the Django process that started
them), each with a few threads, each thread holding one keep-alive `http.client` connection and
sending its share of the requests back to back (a closed loop: concurrency = processes × threads).
Every run is bounded twice: by its request count and by a time limit, whichever comes first.
Only 127.0.0.1 is ever a target.

This module imports nothing from Django: the spawned processes start fast and stay small.
"""

import http.client
import multiprocessing
import threading
import time
from dataclasses import dataclass, field

HOST = "127.0.0.1"


@dataclass
class Spec:
    """One process's part of a run."""

    port: int
    method: str
    # One entry per thread: (path, headers, bodies) — the thread cycles through its bodies (or paths).
    threads: list[tuple[list[str], dict, list[bytes | None]]]
    requests_per_thread: int
    start_at: float  # time.time() at which every thread starts (all processes together)
    time_limit: float  # seconds after start_at when threads stop even if not done


@dataclass
class Result:
    ok: int = 0
    errors: int = 0
    statuses: dict = field(default_factory=dict)
    latencies: list = field(default_factory=list)
    started: float = 0.0
    finished: float = 0.0
    sample_error: str = ""

    def merge(self, other: "Result") -> None:
        self.ok += other.ok
        self.errors += other.errors
        for status, count in other.statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + count
        self.latencies += other.latencies
        self.started = min(self.started or other.started, other.started)
        self.finished = max(self.finished, other.finished)
        self.sample_error = self.sample_error or other.sample_error

    @property
    def seconds(self) -> float:
        return max(self.finished - self.started, 1e-9)

    @property
    def rate(self) -> float:
        return self.ok / self.seconds

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _thread(spec: Spec, paths, headers, bodies, out: Result, lock: threading.Lock) -> None:
    mine = Result()
    conn = http.client.HTTPConnection(HOST, spec.port, timeout=30)
    stop_at = spec.start_at + spec.time_limit
    delay = spec.start_at - time.time()
    if delay > 0:
        time.sleep(delay)
    for i in range(spec.requests_per_thread):
        if time.time() >= stop_at:
            break
        body = bodies[i % len(bodies)]
        path = paths[i % len(paths)]
        t0 = time.perf_counter()
        try:
            conn.request(spec.method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            mine.errors += 1
            mine.sample_error = mine.sample_error or f"{type(exc).__name__}: {exc}"
            continue
        mine.latencies.append(time.perf_counter() - t0)
        mine.statuses[status] = mine.statuses.get(status, 0) + 1
        if 200 <= status < 300:
            mine.ok += 1
        else:
            mine.errors += 1
            mine.sample_error = mine.sample_error or f"HTTP {status}"
    conn.close()
    mine.started, mine.finished = spec.start_at, time.time()
    with lock:
        out.merge(mine)


def _process(spec: Spec) -> Result:
    out, lock = Result(), threading.Lock()
    threads = [
        threading.Thread(target=_thread, args=(spec, paths, headers, bodies, out, lock), daemon=True)
        for paths, headers, bodies in spec.threads
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(spec.time_limit + 60)
    return out


def combine(runs: list[Result]) -> Result:
    """Several runs as one: counts and latencies added up, `seconds` the sum of their wall times."""
    total = Result(sample_error=next((r.sample_error for r in runs if r.sample_error), ""))
    for run in runs:
        total.ok += run.ok
        total.errors += run.errors
        total.latencies += run.latencies
        for status, count in run.statuses.items():
            total.statuses[status] = total.statuses.get(status, 0) + count
    total.started, total.finished = 0.0, sum(r.seconds for r in runs)
    return total


class Generator:
    """A pool of load processes, spawned once and reused for every run."""

    def __init__(self, processes: int):
        self.processes = processes
        self.pool = multiprocessing.get_context("spawn").Pool(processes)

    def run(self, *, port: int, method: str, per_thread: list[tuple[list[str], dict, list[bytes | None]]],
            requests: int, time_limit: float) -> Result:
        """Send `requests` in all (split evenly over the threads) with len(per_thread) connections."""
        per_thread_requests = max(1, requests // len(per_thread))
        start_at = time.time() + 0.5  # every process started and waiting by then
        specs = [
            Spec(port, method, per_thread[i::self.processes], per_thread_requests, start_at, time_limit)
            for i in range(self.processes)
            if per_thread[i::self.processes]
        ]
        total = Result()
        for part in self.pool.map(_process, specs):
            total.merge(part)
        return total

    def close(self) -> None:
        self.pool.close()
        self.pool.join()
