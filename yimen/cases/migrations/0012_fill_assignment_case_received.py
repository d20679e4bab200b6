"""Copy each matter's received_at onto its assignments (data only; 0011 added the column).

Batched by assignment id (BATCH rows a statement, each its own transaction on PostgreSQL), so a
10-million-row table is never locked or rewritten in one statement. Rows already filled are skipped,
so an interrupted run resumes.
"""

from django.db import migrations

BATCH = 50_000

FILL = """
UPDATE cases_assignment AS a SET case_received_at = c.received_at
FROM cases_case AS c
WHERE c.id = a.case_id AND a.id >= %s AND a.id < %s AND a.case_received_at IS NULL
"""
# SQLite (before 3.33) has no UPDATE … FROM: a correlated subquery, same batches.
FILL_SQLITE = """
UPDATE cases_assignment SET case_received_at =
  (SELECT c.received_at FROM cases_case c WHERE c.id = cases_assignment.case_id)
WHERE id >= %s AND id < %s AND case_received_at IS NULL
"""


def fill(apps, schema_editor):
    connection = schema_editor.connection
    sql = FILL if connection.vendor == "postgresql" else FILL_SQLITE
    with connection.cursor() as cursor:
        cursor.execute("SELECT MIN(id), MAX(id) FROM cases_assignment")
        low, high = cursor.fetchone()
        if low is None:
            return
        for start in range(low, high + 1, BATCH):
            cursor.execute(sql, [start, start + BATCH])


class Migration(migrations.Migration):
    # Not atomic: each batch commits by itself (autocommit), as a backfill over a large table should.
    atomic = False

    dependencies = [("cases", "0011_assignment_case_received")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
