"""The proposal stored with each matter (`Case.triage`) in the one code list's spellings.

The engine used to name urgency and domain in its own words (wishes, social_livelihood, peace,
work_safety), translated on every read by cases.triage_link; now it speaks the cases app's codes, so
the stored proposals are renamed once, in SQL (see triage's 0003_rename_grade_codes, whose helper
this uses), and the translation is gone.
"""

from importlib import import_module

from django.db import migrations

_triage_rename = import_module("yimen.triage.migrations.0003_rename_grade_codes")


def forwards(apps, schema_editor):
    _triage_rename.rename_json_grades(apps.get_model("cases", "Case"), "triage", schema_editor)


def backwards(apps, schema_editor):
    _triage_rename.rename_json_grades(apps.get_model("cases", "Case"), "triage", schema_editor, reverse=True)


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0009_urgent_unit_limit"),
        ("triage", "0003_rename_grade_codes"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
