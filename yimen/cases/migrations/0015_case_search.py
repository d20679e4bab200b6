"""Text search (issue 13): the search tokens of each matter and their index on each database.

PostgreSQL: a GIN index over the `tsvector`, and the SQL copy of yimen/cases/search.py's tokenizer
(`yimen_search_tokens`, `yimen_search_document`) that bulk fills use (0012, `yimen search reindex`,
the bench). SQLite: an FTS5 table over the tokens (external content: the tokens are stored once, in
cases_casesearch), kept in step by triggers, so every write of a row reaches the index. The SQL is
search.install_search_sql (idempotent), which post_migrate also runs for databases built without
migrations (the tests).
"""

import django.db.models.deletion
from django.db import migrations, models

import yimen.cases.models.search
from yimen.cases.search import UNINSTALL_SQL, install_search_sql


def forwards(apps, schema_editor):
    install_search_sql(schema_editor.connection)


def backwards(apps, schema_editor):
    for statement in UNINSTALL_SQL.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0014_case_flag_in_place"),
    ]

    operations = [
        migrations.CreateModel(
            name="CaseSearch",
            fields=[
                ("case", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name="search",
                                              serialize=False, to="cases.case", verbose_name="事项")),
                ("document", yimen.cases.models.search.SearchDocumentField(verbose_name="检索词")),
            ],
            options={"verbose_name": "事项检索词", "verbose_name_plural": "事项检索词"},
        ),
        migrations.RunPython(forwards, backwards),
    ]
