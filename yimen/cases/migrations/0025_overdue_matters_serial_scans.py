from django.db import migrations


def install(apps, schema_editor):
    # The triggers again (idempotent) and, new here, serial scans of the table (cases/overdue.py).
    from yimen.cases.overdue import install_overdue_sql

    install_overdue_sql(schema_editor.connection)


def parallel_again(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE cases_overduematter RESET (parallel_workers)")


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0024_assignment_signing_index"),
    ]

    operations = [migrations.RunPython(install, parallel_again)]
