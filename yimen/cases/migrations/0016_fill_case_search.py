"""The search tokens of the matters registered before 0011, in batches of ids.

PostgreSQL: one INSERT … SELECT per 50,000 ids through the SQL tokenizer (on the 1 M bench data set
the whole fill takes about as long as `yimen search reindex`, see docs/performance.md). SQLite: the
Python tokenizer, 500 matters at a time. Large installations may instead migrate with
YIMEN_SEARCH_FILL_IN_MIGRATION=false and run `yimen search reindex --missing` afterwards (resumable).
"""

import os

from django.db import migrations

BATCH = 50_000


def fill(apps, schema_editor):
    from yimen.cases.search import FILL_SQL, case_texts, document_tokens

    if os.environ.get("YIMEN_SEARCH_FILL_IN_MIGRATION", "true") == "false":
        return
    Case = apps.get_model("cases", "Case")
    CaseSearch = apps.get_model("cases", "CaseSearch")
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(min(id), 0), coalesce(max(id), 0) FROM cases_case")
        low, high = cursor.fetchone()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for start in range(low - 1, high, BATCH):
                cursor.execute(FILL_SQL.format(missing=""), {"after": start, "upto": start + BATCH})
        return
    rows = []
    for case in Case.objects.prefetch_related("parties").iterator(chunk_size=500):
        tokens = document_tokens(case_texts(case, case.parties.all()), number=case.number)
        rows.append(CaseSearch(case_id=case.pk, document=tokens))
        if len(rows) >= 500:
            CaseSearch.objects.bulk_create(rows)
            rows = []
    CaseSearch.objects.bulk_create(rows)


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0015_case_search"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
