"""The sections of `python -m bench`, in the order they run, with the sizes of --quick and full runs."""

import subprocess
import sys
from pathlib import Path

from bench.report import Report

ROOT = Path(__file__).resolve().parent.parent


def service(*, report: Report, args, marker) -> None:
    from bench import registration

    report.section("registration through the service layer")
    registration.service(report, count=500 if args.quick else 2000)
    registration.queries_per_registration(report)


def http(*, report: Report, args, marker) -> None:
    from bench import httprun

    report.section("registration over HTTP (gunicorn) and memory")
    httprun.run(report, requests=1500 if args.quick else 4000)


def worklist(*, report: Report, args, marker) -> None:
    from bench import worklist as wl

    report.section("worklist API")
    wl.run(report, repeat=8 if args.quick else 20, matters=marker["matters"])


def pages(*, report: Report, args, marker) -> None:
    from bench import pages as wb

    report.section("workbench pages")
    wb.run(report, repeat=8 if args.quick else 20, matters=marker["matters"])


def search(*, report: Report, args, marker) -> None:
    from bench import search as text_search

    report.section("text search")
    text_search.run(report, repeat=8 if args.quick else 20, marker=marker)


def sweep(*, report: Report, args, marker) -> None:
    from bench import sweeprun

    report.section("deadline sweep")
    sweeprun.run(report, marker=marker)


def triage(*, report: Report, args, marker) -> None:
    """bench/bench_triage.py (the triage engine's own bench), when present, in its own process."""
    script = ROOT / "bench" / "bench_triage.py"
    if not script.exists():
        return
    report.section("triage engine (bench/bench_triage.py)")
    command = [sys.executable, str(script)] + (["--n", "1000"] if args.quick else [])
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
    for line in done.stdout.rstrip().splitlines():
        report.say("  " + line)
    if done.returncode:
        for line in done.stderr.rstrip().splitlines()[-15:]:
            report.say("  " + line)
        raise RuntimeError(f"bench/bench_triage.py exited with {done.returncode}")
    report.figures["triage"] = {"text": done.stdout.strip(), "value": None, "target": None, "met": None}


def partitioning(*, report: Report, args, marker) -> None:
    """Opt-in (--only partitioning): the matter table flat and partitioned by month, side by side."""
    from bench import partitioning as part

    report.section("monthly partitioning: the matter table as it is and partitioned, side by side")
    part.run(report, repeat=20 if args.quick else 40)


ALL = [("service", service), ("http", http), ("worklist", worklist), ("pages", pages), ("search", search), ("sweep", sweep), ("triage", triage),
       ("partitioning", partitioning)]
