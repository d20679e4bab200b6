"""The deadline sweep on the full data set.

The data set's sweep state is "the sweep stopped 24 hours before the load" (bench/data.py). So, all
at the load's moment `as_of` (deadline_sweep(now=as_of) — the data does not age between runs):
  1. a sweep at the start of that day plus one minute: what a sweep every minute normally finds;
  2. a sweep at `as_of`: the rest of the day's backlog (thousands of warnings and overdue marks,
     the escalations the policies ask for, their events and outbox messages);
  3. the same again: nothing left to do (the idle sweep, which runs every minute all day).
The target applies to the slowest of them. The data is put back afterwards (bench/checkpoint.py).
"""

import datetime as dt
import time

from bench import checkpoint
from bench.report import Report

TARGET_S = 2.0


def _timed(now):
    from yimen.cases.sweep import deadline_sweep

    t0 = time.perf_counter()
    result = deadline_sweep(now=now)
    return time.perf_counter() - t0, result


def _what(result) -> str:
    done = {k: v for k, v in result.as_dict().items() if v}
    return ", ".join(f"{k} {v:,}" for k, v in done.items()) or "nothing to do"


def run(report: Report, *, marker: dict) -> None:
    from yimen.cases.models import Case, Deadline, OPEN_STATUSES

    as_of = dt.datetime.fromisoformat(marker["as_of"])
    minute = as_of - dt.timedelta(hours=24) + dt.timedelta(minutes=1)
    open_matters = Case.objects.filter(status__in=OPEN_STATUSES).count()
    open_deadlines = Deadline.objects.filter(state="open").count()
    with checkpoint.kept(snapshot=checkpoint.SWEEP_ROWS):
        t_minute, r_minute = _timed(minute)
        t_day, r_day = _timed(as_of)
        t_idle, r_idle = _timed(as_of)
    worst = max(t_minute, t_day, t_idle)
    report.figure(
        "sweep",
        f"deadline sweep with {marker['matters']:,} matters ({open_matters:,} open, {open_deadlines:,} open deadlines): "
        f"{t_day:.2f} s for a day's backlog, {t_minute:.2f} s for one minute's work, {t_idle:.2f} s idle",
        value=round(t_day, 3), minute=round(t_minute, 3), idle=round(t_idle, 3),
        target=f"≤ {TARGET_S:g} s", met=worst <= TARGET_S,
    )
    report.say(f"  a day's backlog: {_what(r_day)}")
    report.say(f"  one minute: {_what(r_minute)}; idle: {_what(r_idle)}")
