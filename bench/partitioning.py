"""Would monthly partitioning help? The matter table as it is, and partitioned by month, side by side.

Opt-in (`python -m bench --only partitioning`): it copies the loaded matters twice, so it takes
minutes at 10 M and needs about twice the list columns' size on disk. Both copies hold the same
narrow rows — the columns the lists, look-ups, KPI counts and the sweep filter on — with the same
indexes as `cases_case`:

  flat         one table, as today
  partitioned  PARTITION BY RANGE (received_at), one partition a month (declarative partitioning,
               what django-postgres-extra and pg_partman manage). PostgreSQL requires every unique
               index of a partitioned table to contain the partition key, so the primary key becomes
               (id, received_at) and the matter number is unique only together with received_at.

Each question a page or job asks of the matter table is timed on both (from Python, planning
included: with partitions, planning is part of the cost), alternating, `repeat` times each.
The copies are UNLOGGED tables in their own schema, dropped afterwards.
"""

import random
import statistics
import time

from django.db import connection

from bench.report import Report

SCHEMA = "bench_partitioning"
COLUMNS = ("id, number, received_at, region_code, owning_code, status, category_id, risk, urgency, overdue, due_at, "
           "title")
OPEN = "('registered', 'pending_dispatch', 'dispatched', 'returned', 'in_progress')"
# The same indexes as cases_case's for these columns (yimen/cases/models/case.py).
INDEXES = (
    "(region_code varchar_pattern_ops, received_at DESC, id DESC)",
    "(owning_code varchar_pattern_ops, status, received_at DESC)",
    "(status, received_at DESC)",
    "(received_at DESC, id DESC)",
    "(category_id)",
    f"(due_at) WHERE status IN {OPEN}",
)


def _ms(seconds: float) -> str:
    return f"{1000 * seconds:.1f}"


def _index(cursor, table: str, *, key: str) -> None:
    cursor.execute(f"ALTER TABLE {SCHEMA}.{table} ADD PRIMARY KEY (id{key})")
    cursor.execute(f"CREATE UNIQUE INDEX ON {SCHEMA}.{table} (number{key})")
    for index in INDEXES:
        cursor.execute(f"CREATE INDEX ON {SCHEMA}.{table} {index}")


def _build(cursor) -> dict:
    cursor.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA}")
    cursor.execute("SELECT date_trunc('month', min(received_at)), date_trunc('month', max(received_at)) FROM cases_case")
    first, last = cursor.fetchone()
    built = {}
    started = time.perf_counter()
    cursor.execute(f"CREATE UNLOGGED TABLE {SCHEMA}.flat AS SELECT {COLUMNS} FROM cases_case")
    _index(cursor, "flat", key="")
    built["flat"] = time.perf_counter() - started

    started = time.perf_counter()
    cursor.execute(f"CREATE UNLOGGED TABLE {SCHEMA}.part (LIKE {SCHEMA}.flat) PARTITION BY RANGE (received_at)")
    cursor.execute("SELECT generate_series(%s::timestamptz, %s::timestamptz, interval '1 month')", [first, last])
    months = [row[0] for row in cursor.fetchall()]
    for n, month in enumerate(months):
        cursor.execute(
            f"CREATE UNLOGGED TABLE {SCHEMA}.part_{n:02d} PARTITION OF {SCHEMA}.part "
            "FOR VALUES FROM (%s) TO (%s::timestamptz + interval '1 month')", [month, month],
        )
    cursor.execute(f"INSERT INTO {SCHEMA}.part SELECT * FROM {SCHEMA}.flat")
    _index(cursor, "part", key=", received_at")  # a unique index must hold the partition key
    built["partitioned"] = time.perf_counter() - started
    # VACUUM as well as ANALYZE: index-only scans need the visibility map that the loaded tables have.
    cursor.execute(f"VACUUM ANALYZE {SCHEMA}.flat")
    cursor.execute(f"VACUUM ANALYZE {SCHEMA}.part")
    built["months"] = len(months)
    return built


def _questions(cursor, rnd: random.Random) -> list[tuple[str, str, list]]:
    """(what asks it, SQL with {t} for the table, parameter sets to cycle through)."""
    cursor.execute(f"SELECT min(id), max(id) FROM {SCHEMA}.flat")
    low, high = cursor.fetchone()
    ids = [rnd.randint(low, high) for _ in range(50)]
    cursor.execute(f"SELECT number FROM {SCHEMA}.flat WHERE id = ANY(%s)", [ids])
    numbers = [row[0] for row in cursor.fetchall()]
    cursor.execute(f"SELECT max(received_at) FROM {SCHEMA}.flat")
    (newest,) = cursor.fetchone()
    cursor.execute(f"SELECT region_code FROM {SCHEMA}.flat WHERE id = ANY(%s)", [ids])
    counties = sorted({row[0][:6] for row in cursor.fetchall()})
    cursor.execute(f"SELECT category_id, count(*) FROM {SCHEMA}.flat WHERE category_id IS NOT NULL GROUP BY 1 ORDER BY 2 LIMIT 1")
    rare_category = cursor.fetchone()[0]
    return [
        ("a matter by id (every detail page, every join from parties, assignments, deadlines, events)",
         "SELECT * FROM {t} WHERE id = %s", [[i] for i in ids]),
        ("a matter by number (the URL of its page, the residents' query)",
         "SELECT * FROM {t} WHERE number = %s", [[n] for n in numbers]),
        ("the city's newest page (a director's list)",
         "SELECT id FROM {t} ORDER BY received_at DESC, id DESC LIMIT 20", [[]]),
        ("a county's newest page",
         "SELECT id FROM {t} WHERE region_code LIKE %s ORDER BY received_at DESC, id DESC LIMIT 20",
         [[c + "%"] for c in counties]),
        ("a county's list filtered by its rarest category",
         "SELECT id FROM {t} WHERE region_code LIKE %s AND category_id = %s ORDER BY received_at DESC, id DESC LIMIT 20",
         [[c + "%", rare_category] for c in counties]),
        ("a page ten months back (a keyset cursor deep in the list)",
         "SELECT id FROM {t} WHERE (received_at, id) < (%s::timestamptz - interval '10 months', 0) "
         "ORDER BY received_at DESC, id DESC LIMIT 20", [[newest]]),
        ("one month's received count (a KPI's period)",
         "SELECT count(*) FROM {t} WHERE received_at >= date_trunc('month', %s::timestamptz) - interval '2 months' "
         "AND received_at < date_trunc('month', %s::timestamptz) - interval '1 month'", [[newest, newest]]),
        ("open matters due by now, a sweep batch",
         f"SELECT id FROM {{t}} WHERE status IN {OPEN} AND due_at <= %s ORDER BY due_at LIMIT 2000", [[newest]]),
    ]


def run(report: Report, *, repeat: int) -> None:
    rnd = random.Random(13)
    with connection.cursor() as cursor:
        report.say("  copying the matters' list columns into a flat and a monthly-partitioned table …")
        built = _build(cursor)
        cursor.execute(f"SELECT pg_total_relation_size('{SCHEMA}.flat'), "
                       f"(SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits WHERE inhparent = '{SCHEMA}.part'::regclass)")
        flat_size, part_size = cursor.fetchone()
        report.figure(
            "partitioning_build",
            f"  built in {built['flat']:.0f} s (flat) and {built['partitioned']:.0f} s ({built['months']} monthly partitions); "
            f"{flat_size / 2**30:.2f} GiB and {part_size / 2**30:.2f} GiB with their indexes",
            value=built["months"], flat_seconds=round(built["flat"]), partitioned_seconds=round(built["partitioned"]),
        )
        rows = []
        for label, sql, params in _questions(cursor, rnd):
            times = {"flat": [], "part": []}
            for k in range(repeat):
                args = params[k % len(params)]
                for table in ("flat", "part") if k % 2 == 0 else ("part", "flat"):
                    started = time.perf_counter()
                    cursor.execute(sql.format(t=f"{SCHEMA}.{table}"), args)
                    cursor.fetchall()
                    times[table].append(time.perf_counter() - started)
            flat, part = (sorted(times[t]) for t in ("flat", "part"))
            p95 = lambda xs: xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))]  # noqa: E731
            rows.append((label, statistics.median(flat), p95(flat), statistics.median(part), p95(part)))
            report.say(f"  {label}: flat p50 {_ms(statistics.median(flat))} / p95 {_ms(p95(flat))} ms; "
                       f"partitioned p50 {_ms(statistics.median(part))} / p95 {_ms(p95(part))} ms "
                       f"({statistics.median(part) / max(statistics.median(flat), 1e-6):.1f}×)")
        cursor.execute(f"DROP SCHEMA {SCHEMA} CASCADE")
    report.figures["partitioning"] = {
        "text": "flat vs monthly partitions", "value": None, "target": None, "met": None,
        "rows": [{"question": r[0], "flat_p50_ms": round(1000 * r[1], 2), "flat_p95_ms": round(1000 * r[2], 2),
                  "part_p50_ms": round(1000 * r[3], 2), "part_p95_ms": round(1000 * r[4], 2)} for r in rows],
    }
