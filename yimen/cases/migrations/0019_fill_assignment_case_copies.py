"""The new copies (0018) on the assignments made before it, in batches of assignment ids.

One UPDATE … FROM per 100,000 assignments (both PostgreSQL and SQLite ≥ 3.33 have UPDATE … FROM),
so a large installation does not hold one transaction over every row. On the 10 M bench data set
(13 M assignments) the fill takes a few minutes; see docs/performance.md.
"""

from django.db import migrations

BATCH = 100_000

FILL_SQL = """
UPDATE cases_assignment SET case_status = c.status, case_category_id = c.category_id, case_risk = c.risk,
    case_urgency = c.urgency, case_channel = c.channel, case_overdue = c.overdue
FROM cases_case c
WHERE c.id = cases_assignment.case_id AND cases_assignment.id > %s AND cases_assignment.id <= %s
"""


def fill(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(min(id), 0), coalesce(max(id), 0) FROM cases_assignment")
        low, high = cursor.fetchone()
        for start in range(low - 1, high, BATCH):
            cursor.execute(FILL_SQL, [start, start + BATCH])


class Migration(migrations.Migration):
    # Each batch commits on its own (a rerun after an interruption simply writes the same values).
    atomic = False
    dependencies = [("cases", "0018_assignment_case_copies")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
