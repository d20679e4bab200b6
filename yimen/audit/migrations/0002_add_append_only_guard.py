"""The database refuses to change or remove an audit record early (see yimen.audit.guard for why this way)."""

from django.db import migrations


def install(apps, schema_editor):
    from yimen.audit.guard import guard_install

    guard_install(schema_editor.connection)


def remove(apps, schema_editor):
    from yimen.audit.guard import guard_remove

    guard_remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_add_audit_event")]

    operations = [migrations.RunPython(install, remove)]
