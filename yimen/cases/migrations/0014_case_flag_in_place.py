"""Let the sweep flag a matter overdue in place (HOT) — issue 13 item 5.

PostgreSQL rewrites a row in place, without touching its indexes, only when no indexed column (nor
one named in a partial index's condition) changes and the row's page has room. `case_open_due`
named `overdue` in its condition, so each matter the midnight sweep flagged got a new entry in all
21 indexes of the matters table: on the 1M bench that one UPDATE of ~2,000 rows was 0.4 s, the
sweep's largest statement (about 0.2 s of its 1.1 s of CPU). The index now names only the status (the due-soon lists filter overdue themselves),
and the table keeps 10% of each new page free (fillfactor 90), room for a row's next version.
Pages written before this migration stay full until rewritten (VACUUM FULL or pg_repack).
"""

from django.db import migrations, models


def _fillfactor(value: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE cases_case {value}")

    return run


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0013_assignment_unit_recv"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="case",
            name="case_open_due",
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(
                    ("status__in", ["resolved", "followed_up", "archived", "not_accepted", "withdrawn", "referred_out"]),
                    _negated=True,
                ),
                fields=["due_at"],
                name="case_open_due",
            ),
        ),
        migrations.RunPython(_fillfactor("SET (fillfactor = 90)"), _fillfactor("RESET (fillfactor)")),
    ]
