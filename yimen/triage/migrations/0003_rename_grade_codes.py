"""One code list: the triage rules and records take the cases app's spellings of urgency and domain.

wishes → wish, social_livelihood → livelihood, peace → safety, work_safety → production_safety, in
every place triage stores them: category profiles (default domain and urgency), grading rules' results,
the `grade_defaults` setting, and the decision records (their four columns and the proposal kept in
`suggestion`). The `grade_labels` setting goes: a code's label is the code list's own
(yimen/cases/codes.py); the reverse puts the old default labels back where the defaults were loaded.

`rename_json_grades` is used by the cases app's migration of `Case.triage` too (same proposal shape).
"""

from django.db import migrations
from django.utils import timezone

# (old, new, old label, new label): frozen here, as they were on the day of the rename.
URGENCY = [("wishes", "wish", "期盼事全力办", "期盼事·全力办")]
DOMAIN = [
    ("social_livelihood", "livelihood", "社会民生", "社会民生"),
    ("peace", "safety", "平安建设", "平安建设"),
    ("work_safety", "production_safety", "安全生产", "安全生产"),
]
# A proposal names the urgency under "urgency" and the domain under "domain_class".
JSON_GRADES = (("urgency", URGENCY), ("domain_class", DOMAIN))

OLD_GRADE_LABELS = {
    "risk": {"red": "红色", "yellow": "黄色", "blue": "蓝色"},
    "urgency": {
        "urgent": "急难事马上办", "grave": "揪心事攻坚办", "annoying": "烦心事协商办",
        "worrying": "操心事抓紧办", "wishes": "期盼事全力办",
    },
    "domain": {
        "social_livelihood": "社会民生", "agriculture": "农业产业", "peace": "平安建设",
        "ecology": "生态环境", "work_safety": "安全生产",
    },
}


def _pairs(renames, reverse):
    """(from code, to code, to label) for each rename, in the direction asked for."""
    return [(new, old, old_label) if reverse else (old, new, new_label) for old, new, old_label, new_label in renames]


def rename_json_grades(model, column, schema_editor, *, reverse=False):
    """Rename the grade codes (and their labels) inside a JSON proposal column, one UPDATE per code.

    In SQL on SQLite and PostgreSQL (the column may hold millions of proposals); row by row elsewhere.
    """
    connection = schema_editor.connection
    qn = connection.ops.quote_name
    table, col = qn(model._meta.db_table), qn(column)
    for key, renames in JSON_GRADES:
        for old, new, label in _pairs(renames, reverse):
            if connection.vendor == "sqlite":
                sql = (f"UPDATE {table} SET {col} = json_set({col}, '$.{key}.code', %s, '$.{key}.label', %s) "
                       f"WHERE json_extract({col}, '$.{key}.code') = %s")
            elif connection.vendor == "postgresql":
                sql = (f"UPDATE {table} SET {col} = jsonb_set(jsonb_set({col}, '{{{key},code}}', to_jsonb(%s::text)), "
                       f"'{{{key},label}}', to_jsonb(%s::text)) WHERE {col} -> '{key}' ->> 'code' = %s")
            else:
                for row in model.objects.filter(**{f"{column}__{key}__code": old}).only("pk", column).iterator():
                    data = getattr(row, column)
                    data[key] = {**data[key], "code": new, "label": label}
                    model.objects.filter(pk=row.pk).update(**{column: data})
                continue
            with connection.cursor() as cursor:
                cursor.execute(sql, [new, label, old])


def _rename(apps, schema_editor, *, reverse):
    CategoryProfile = apps.get_model("triage", "CategoryProfile")
    GradeRule = apps.get_model("triage", "GradeRule")
    TriageSetting = apps.get_model("triage", "TriageSetting")
    SuggestionRecord = apps.get_model("triage", "SuggestionRecord")
    # Rule rows get a new updated_at, so that a running process's config cache sees the change.
    now = timezone.now()
    for target, field, renames in (("urgency", "urgency", URGENCY), ("domain", "domain", DOMAIN)):
        for old, new, _label in _pairs(renames, reverse):
            CategoryProfile.objects.filter(**{field: old}).update(**{field: new}, updated_at=now)
            GradeRule.objects.filter(target=target, value=old).update(value=new, updated_at=now)
            for column in (f"suggested_{field}", f"final_{field}"):
                SuggestionRecord.objects.filter(**{column: old}).update(**{column: new})
    for row in TriageSetting.objects.filter(key="grade_defaults"):
        value = dict(row.value)
        for target, renames in (("urgency", URGENCY), ("domain", DOMAIN)):
            value[target] = {old: new for old, new, _label in _pairs(renames, reverse)}.get(value.get(target), value.get(target))
        row.value = value
        row.save(update_fields=["value", "updated_at"])
    if reverse:
        if TriageSetting.objects.filter(key="grade_defaults").exists():  # the defaults were loaded into the tables
            TriageSetting.objects.get_or_create(key="grade_labels", defaults={"value": OLD_GRADE_LABELS})
    else:
        TriageSetting.objects.filter(key="grade_labels").delete()
    rename_json_grades(SuggestionRecord, "suggestion", schema_editor, reverse=reverse)


def forwards(apps, schema_editor):
    _rename(apps, schema_editor, reverse=False)


def backwards(apps, schema_editor):
    _rename(apps, schema_editor, reverse=True)


class Migration(migrations.Migration):

    dependencies = [
        ("triage", "0002_grades_in_cases_codes"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
