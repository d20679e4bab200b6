"""Putting the bench data back after a section that writes, so the next run measures the same data.

Registration adds matters; the sweep marks deadlines, escalates matters, writes events and outbox
rows. Before such a section `kept()` records the highest id of every table and, for the sweep, copies
the rows it may change into UNLOGGED tables; afterwards it deletes every row above those ids and
writes the copied rows back. The record lives in the database (a DataMarker row), so a run that dies
in between is repaired by the next one (`recover`) before it measures anything.
"""

from contextlib import contextmanager

from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone

NAME = "checkpoint"
SNAP_PREFIX = "bench_snap_"

# The rows the deadline sweep may change (open matters and those awaiting follow-up, open
# deadlines, live assignments).
SWEEP_ROWS = {
    "cases_case": "status IN ('registered', 'pending_dispatch', 'dispatched', 'returned', 'in_progress', 'resolved')",
    "cases_deadline": "state = 'open'",
    "cases_assignment": "status IN ('pending', 'accepted')",
    "cases_supervisionorder": "status = 'issued'",
}
_INTEGER_PKS = ("AutoField", "BigAutoField", "SmallAutoField")


def _tables() -> list[str]:
    return sorted({
        m._meta.db_table for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy and m._meta.pk.get_internal_type() in _INTEGER_PKS
    })


def _one_to_one_tables() -> dict[str, tuple[str, str]]:
    """Tables keyed by their parent's id (cases_casesearch): table -> (key column, parent table).
    Their rows above the parent's recorded id are deleted with the parent's."""
    return {
        m._meta.db_table: (m._meta.pk.column, m._meta.pk.related_model._meta.db_table)
        for m in apps.get_models()
        if m._meta.managed and m._meta.pk.one_to_one and m._meta.pk.related_model._meta.pk.get_internal_type() in _INTEGER_PKS
    }


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def save(*, snapshot: dict[str, str] | None = None) -> None:
    from bench.bare.models import DataMarker

    with transaction.atomic(), connection.cursor() as cursor:
        max_ids = {}
        for table in _tables():
            cursor.execute(f"SELECT coalesce(max(id), 0) FROM {_q(table)}")
            max_ids[table] = cursor.fetchone()[0]
        for table, where in (snapshot or {}).items():
            cursor.execute(f"DROP TABLE IF EXISTS {_q(SNAP_PREFIX + table)}")
            cursor.execute(f"CREATE UNLOGGED TABLE {_q(SNAP_PREFIX + table)} AS SELECT * FROM {_q(table)} WHERE {where}")
        DataMarker.objects.update_or_create(name=NAME, defaults={"value": {
            "max_ids": max_ids, "snapshots": list(snapshot or {}), "since": timezone.now().isoformat(),
        }})


def restore() -> dict[str, int]:
    """Undo everything since `save`; returns the rows deleted and restored per table."""
    from bench.bare.models import DataMarker

    record = DataMarker.objects.filter(name=NAME).first()
    if record is None:
        return {}
    done = {}
    with transaction.atomic(), connection.cursor() as cursor:
        # Deleting children and parents in any order: the references are checked by nobody here,
        # and what remains is exactly what was there before, which was consistent.
        cursor.execute("SET LOCAL session_replication_role = replica")
        for table, max_id in record.value["max_ids"].items():
            cursor.execute(f"DELETE FROM {_q(table)} WHERE id > %s", [max_id])
            if cursor.rowcount:
                done[f"{table} deleted"] = cursor.rowcount
        for table, (column, parent) in _one_to_one_tables().items():
            if parent in record.value["max_ids"]:
                cursor.execute(f"DELETE FROM {_q(table)} WHERE {_q(column)} > %s", [record.value["max_ids"][parent]])
                if cursor.rowcount:
                    done[f"{table} deleted"] = cursor.rowcount
        since = record.value["since"]
        cursor.execute("DELETE FROM django_tasks_database_dbtaskresult WHERE enqueued_at >= %s", [since])
        for table in record.value["snapshots"]:
            snap = SNAP_PREFIX + table
            cursor.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s AND column_name <> 'id' "
                "ORDER BY ordinal_position", [snap],
            )
            columns = [_q(row[0]) for row in cursor.fetchall()]
            mine = ", ".join(f"t.{c}" for c in columns)
            theirs = ", ".join(f"s.{c}" for c in columns)
            cursor.execute(
                f"UPDATE {_q(table)} t SET ({', '.join(columns)}) = ({theirs}) FROM {_q(snap)} s "
                f"WHERE t.id = s.id AND ROW({mine}) IS DISTINCT FROM ROW({theirs})"
            )
            if cursor.rowcount:
                done[f"{table} restored"] = cursor.rowcount
            if table == "cases_case":
                # The replica role above also kept the overdue matters' triggers from seeing the
                # flags written back (cases/overdue.py): put their rows right for the same matters.
                from yimen.cases.overdue import resync_overdue_rows

                resync_overdue_rows(cursor, ids_sql=f"SELECT id FROM {_q(snap)}")
            cursor.execute(f"DROP TABLE {_q(snap)}")
        record.delete()
    return done


@contextmanager
def kept(*, snapshot: dict[str, str] | None = None):
    save(snapshot=snapshot)
    try:
        yield
    finally:
        connection.close()  # a section may leave its connection in a failed transaction
        _vacuum(restore())


def _vacuum(done: dict[str, int]) -> None:
    """Clear the dead rows the section and its undoing left, as autovacuum would in time: without
    it, each registration run left ~5% dead rows in the big tables and the next section (worklist,
    sweep) measured the bloat. VACUUM cannot run inside a transaction: Django's autocommit does."""
    tables = sorted({key.rsplit(" ", 1)[0] for key in done})
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM (ANALYZE) {_q(table)}")


def recover(log) -> None:
    """A previous run died between `save` and `restore`: restore now."""
    from bench.bare.models import DataMarker

    if DataMarker.objects.filter(name=NAME).exists():
        log("bench: a previous run was interrupted; putting the data back")
        restore()
