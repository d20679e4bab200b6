"""Starting gunicorn on the loopback for the bench, and reading its workers' memory.

gunicorn serves yimen.wsgi with DJANGO_SETTINGS_MODULE=bench.settings (Yimen's settings on the bench
database, plus /bench/insert). With --threads > 1 it runs the gthread worker, which keeps
connections alive. The server is this process's own child, stopped with SIGTERM by its pid.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        pass
    found = []  # kernels without the children file: scan /proc for processes whose parent is pid
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    return found


def memory_kib(pid: int) -> dict[str, int]:
    """VmHWM (peak resident set) and VmRSS of a process, in KiB."""
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _sep, rest = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                values[key] = int(rest.split()[0])
    return values


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


class CpuMeter:
    """CPU used by a set of processes between start() and stop(), however busy the machine is.

    Throughput on a loaded machine depends on what else runs; the CPU each request costs does not
    (much), so it is the steadier figure to compare two endpoints with.
    """

    def __init__(self, pids_now):
        self.pids_now = pids_now  # a callable: the processes to count, read at start and at stop
        self.before: dict[int, float] = {}
        self.used = 0.0

    def start(self) -> None:
        self.before = {pid: cpu_seconds(pid) for pid in self.pids_now()}

    def stop(self) -> float:
        self.used = sum(cpu_seconds(pid) - self.before.get(pid, 0.0) for pid in self.pids_now())
        return self.used


def database_backends() -> list[int]:
    """The PostgreSQL backends serving the bench database, other than this process's own."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'"
        )
        return [row[0] for row in cursor.fetchall()]


def own_backend() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


class Gunicorn:
    def __init__(self, *, workers: int, threads: int, env: dict[str, str] | None = None):
        """`env`: settings of this server beyond the bench's (YIMEN_TRIAGE_IN_WORKER, say)."""
        self.workers, self.threads, self.env = workers, threads, dict(env or {})
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "gunicorn", "yimen.wsgi:application",
            "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(self.workers), "--threads", str(self.threads), "--worker-class", "gthread",
            "--keep-alive", "10", "--backlog", "256", "--log-level", "warning", "--timeout", "60",
        ]

    def __enter__(self):
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "YIMEN_DEBUG": "false", **self.env}
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}")
            if len(self.worker_pids()) == self.workers and self._answers():
                return self
            time.sleep(0.2)
        self.__exit__(None, None, None)
        raise RuntimeError("gunicorn did not start within 60 s")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def worker_pids(self) -> list[int]:
        return _children(self.process.pid) if self.process else []

    def worker_memory(self) -> dict[int, dict[str, int]]:
        return {pid: memory_kib(pid) for pid in self.worker_pids()}

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return False
