"""The deadline sweep on the full data set.

The data set's sweep state is "the sweep stopped 24 hours before the load" (bench/data.py), and every
run is at a fixed moment (deadline_sweep(now=…)), so the data does not age between bench runs:
  1. the day's two heavy sweeps. Day-counted limits end at 24:00 local time and their warnings fall
     at 16:00 (8 + 24·k hours before), so the first sweep after 16:00 sends a whole day's warnings
     and the first after midnight marks a whole day's limits overdue (and escalates those whose
     policy says so; escalations are capped per sweep, the rest go in the next sweeps, timed apart);
  2. idle: once nothing is left, the sweep that runs every minute all day;
  3. after a 24-hour outage (the data put back first): both of those at once, in one sweep.
The data is put back afterwards (bench/checkpoint.py).
"""

import datetime as dt
import time

from django.utils import timezone

from bench import checkpoint
from bench.report import Report
from bench.server import cpu_seconds, own_backend

TARGET_S = 2.0
MAX_DRAIN = 30


_cpu = {"python": 0.0, "postgres": 0.0}  # CPU seconds of the timed sweeps, for the figure's footnote


def _timed(now):
    from yimen.cases.sweep import deadline_sweep

    backend = own_backend()
    c0, p0, t0 = time.process_time(), cpu_seconds(backend), time.perf_counter()
    result = deadline_sweep(now=now)
    elapsed = time.perf_counter() - t0
    _cpu["python"] = time.process_time() - c0
    _cpu["postgres"] = cpu_seconds(backend) - p0
    return elapsed, result


def _busy(result) -> bool:
    return any(result.as_dict().values())


def _what(result) -> str:
    done = {k: v for k, v in result.as_dict().items() if v}
    return ", ".join(f"{k} {v:,}" for k, v in done.items()) or "nothing to do"


def _next_local(moment: dt.datetime, hour: int) -> dt.datetime:
    """The first `hour`:00:30 local time after `moment`."""
    local = timezone.localtime(moment, timezone.get_default_timezone())
    at = dt.datetime.combine(local.date(), dt.time(hour), tzinfo=local.tzinfo) + dt.timedelta(seconds=30)
    return at if at > local else at + dt.timedelta(days=1)


def _drain(now) -> tuple[int, float]:
    """Sweep at `now` until nothing is left (escalations are capped per sweep): (sweeps, seconds)."""
    runs, seconds = 0, 0.0
    while runs < MAX_DRAIN:
        t, r = _timed(now)
        if not _busy(r):
            break
        runs, seconds = runs + 1, seconds + t
    return runs, seconds


def run(report: Report, *, marker: dict) -> None:
    from yimen.cases.models import OPEN_STATUSES, Case, Deadline

    as_of = dt.datetime.fromisoformat(marker["as_of"])
    day_start = as_of - dt.timedelta(hours=24)
    moments = sorted([("16:00", _next_local(day_start, 16)), ("midnight", _next_local(day_start, 0))], key=lambda m: m[1])
    open_matters = Case.objects.filter(status__in=OPEN_STATUSES).count()
    open_deadlines = Deadline.objects.filter(state="open").count()
    normal = {}
    with checkpoint.kept(snapshot=checkpoint.SWEEP_ROWS):
        cpu = {}
        for name, moment in moments:
            seconds, result = _timed(moment)
            cpu[name] = dict(_cpu)
            normal[name] = (seconds, result, *_drain(moment))
        t_idle, r_idle = _timed(as_of)
    with checkpoint.kept(snapshot=checkpoint.SWEEP_ROWS):
        t_outage, r_outage = _timed(as_of)
        outage_drain = _drain(as_of)
    peak_name = max(normal, key=lambda n: normal[n][0])
    peak = normal[peak_name][0]
    report.figure(
        "sweep",
        f"deadline sweep with {marker['matters']:,} matters ({open_matters:,} open, {open_deadlines:,} open deadlines): "
        f"{normal['16:00'][0]:.2f} s at 16:00, {normal['midnight'][0]:.2f} s at midnight (a day's warnings and a day's "
        f"overdue limits: the day's two heaviest), {1000 * t_idle:.0f} ms idle",
        value=round(peak, 3), at_16=round(normal["16:00"][0], 3), at_midnight=round(normal["midnight"][0], 3),
        idle=round(t_idle, 3), target=f"≤ {TARGET_S:g} s", met=max(peak, t_idle) <= TARGET_S,
    )
    for name, (seconds, result, drain_runs, drain_seconds) in normal.items():
        more = f"; then {drain_runs} more sweep(s), {drain_seconds:.2f} s, for capped escalations" if drain_runs else ""
        report.say(f"  {name}: {_what(result)} — CPU {cpu[name]['python']:.2f} s Python + {cpu[name]['postgres']:.2f} s "
                   f"PostgreSQL{more}")
    report.say(f"  idle: {_what(r_idle)}")
    report.figure(
        "sweep_outage",
        f"deadline sweep after a 24-hour outage (both at once): {t_outage:.2f} s"
        + (f", then {outage_drain[0]} more sweep(s), {outage_drain[1]:.2f} s, for capped escalations" if outage_drain[0] else ""),
        value=round(t_outage, 3), drain_runs=outage_drain[0], drain_seconds=round(outage_drain[1], 3),
        target=f"≤ {TARGET_S:g} s", met=t_outage <= TARGET_S,
    )
    report.say(f"  after the outage: {_what(r_outage)}")
