"""`python -m bench [--quick] [--skip-http] [--matters N]` — what `make bench` runs.

Uses the PostgreSQL database in YIMEN_BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/yimen_bench), migrates it, loads the data set once (bench/data.py)
and reuses it while it is the same size and version, then prints one line per figure:

  registration through the service layer      matters/s, one process, one transaction each
  registration over HTTP vs a bare view        req/s under gunicorn, same load, and the ratio
  peak memory per gunicorn worker              VmHWM of each worker after the HTTP runs
  worklist API p50/p95                         server time through Django's test client
  workbench pages p50/p95                      the staff pages, the same way
  text search p50/p95                          the list's text filter: few or no matches, and common words
  deadline sweep                               a run with a day's work, then an idle run
  triage                                       bench/bench_triage.py, when present
  partitioning (only when named)               the matter table flat and partitioned by month, side by side

A figure that misses its target is printed with "MISSES TARGET"; the exit status is non-zero only
when something failed to run.
"""

import argparse
import os
import platform
import secrets
import sys
import time
import traceback

from bench import db
from bench.report import Report, fail, load_average

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/yimen_bench"
FULL_MATTERS = 1_000_000
QUICK_MATTERS = 100_000


def _args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_MATTERS:,} matters and shorter runs")
    parser.add_argument("--skip-http", action="store_true", help="skip the gunicorn runs (registration over HTTP, memory)")
    parser.add_argument("--matters", type=int, help=f"size of the data set (default {FULL_MATTERS:,}; --quick {QUICK_MATTERS:,})")
    parser.add_argument("--only", action="append", choices=["service", "http", "worklist", "pages", "search", "sweep", "triage", "partitioning"],
                        help="run only these sections (repeatable; partitioning runs only when named); the data is always checked")
    args = parser.parse_args(argv)
    if args.matters is None:
        args.matters = QUICK_MATTERS if args.quick else FULL_MATTERS
    if args.matters < 1000:
        parser.error("--matters must be at least 1000")
    return args


def _prepare(target: db.Target, matters: int, report: Report):
    """Reach PostgreSQL, make sure the bench database holds the data set; returns its marker."""
    import django
    from django.core.management import call_command
    from django.db import connection

    from bench import checkpoint, data

    db.ensure(target)
    db.check_dedicated(target)
    django.setup()
    call_command("migrate", verbosity=0)
    checkpoint.recover(report.say)
    marker = data.is_loaded(matters)
    if marker:
        report.figure("data", f"data: {marker['matters']:,} matters ({marker['open']:,} open) reused, loaded as of {marker['as_of']}",
                      value=marker["matters"], open=marker["open"], as_of=marker["as_of"], reused=True)
        return marker
    if data.marker() is not None or _has_matters():
        report.say(f"data: the database holds another data set; recreating {target.name}")
        connection.close()
        db.recreate(target)
        call_command("migrate", verbosity=0)
    report.say(f"data: loading {matters:,} matters …")
    loaded = data.load(matters=matters, log=report.say)
    report.figure("data", f"data: {loaded.matters:,} matters ({loaded.open:,} open) loaded in {loaded.seconds:.0f} s",
                  value=loaded.matters, open=loaded.open, as_of=loaded.as_of.isoformat(), load_seconds=round(loaded.seconds, 1),
                  reused=False)
    return data.marker()


def _has_matters() -> bool:
    from yimen.cases.models import Case

    return Case.objects.exists()


def _code() -> str:
    """The commit measured, and whether the work tree differs from it (figures belong to code)."""
    import subprocess

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                             check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return sha + (" with uncommitted changes" if dirty else "")


def _machine(target: db.Target) -> dict:
    mem_kb = 0
    try:
        with open("/proc/meminfo") as f:
            mem_kb = int(next(line for line in f if line.startswith("MemTotal")).split()[1])
    except (OSError, StopIteration, ValueError):
        pass
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(), "cpu": cpu, "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(), "postgresql": db.server_version(target),
        "kernel": platform.release(), "code": _code(),
    }


def main(argv=None) -> int:
    args = _args(argv)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ["YIMEN_DEBUG"] = "false"
    # The bench runs Yimen outside the demo, where the default key is refused at start (yimen.E001).
    # One random key for this run, inherited by the gunicorn workers so that all agree on it.
    os.environ.setdefault("YIMEN_SECRET_KEY", secrets.token_urlsafe(50))
    url = os.environ.setdefault("YIMEN_BENCH_DATABASE_URL", DEFAULT_URL)
    target = db.Target(url)
    report = Report()
    try:
        machine = _machine(target)
    except db.Unreachable as exc:
        return fail(f"PostgreSQL is not reachable at {target.where} ({exc}); start it or set YIMEN_BENCH_DATABASE_URL")
    report.say(f"bench: {machine['cpus']} CPUs ({machine['cpu']}), {machine['memory_gib']} GiB, "
               f"PostgreSQL {machine['postgresql']}, Python {machine['python']}; database {target.name}; "
               f"code {machine['code']}")
    busy = load_average()
    if busy > 0.5:
        report.say(f"bench: load average {busy:.2f} before starting — something else is using the CPUs; "
                   "rates will be lower and latencies higher than on an idle machine")
    try:
        marker = _prepare(target, args.matters, report)
    except db.NotABenchDatabase as exc:
        return fail(str(exc))
    except db.Unreachable as exc:
        return fail(f"PostgreSQL is not reachable at {target.where} ({exc})")

    from bench import sections

    wanted = set(args.only or ["service", "http", "worklist", "pages", "search", "sweep", "triage"])
    if args.skip_http:
        wanted.discard("http")
    errors = 0
    for name, run in sections.ALL:
        if name not in wanted:
            continue
        try:
            run(report=report, args=args, marker=marker)
        except Exception:  # noqa: BLE001 - one broken section must not hide the others' figures
            errors += 1
            report.say(f"ERROR in {name}:")
            for line in traceback.format_exc().rstrip().splitlines():
                report.say("  " + line)
    report.section("summary")
    elapsed = time.monotonic() - report.started
    if report.misses:
        report.say(f"{len(report.misses)} figure(s) MISS their target: {', '.join(report.misses)}")
    else:
        report.say("every figure with a target meets it")
    report.say(f"bench took {elapsed / 60:.1f} min; figures in bench/out/last-run.txt")
    report.write({"machine": machine, "args": vars(args), "marker": marker, "seconds": round(elapsed)})
    if errors:
        report.say(f"{errors} section(s) failed")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
