"""Not yet graded is not blue: risk is empty until someone grades it, the engine's proposal beside it.

Existing rows: matters still registered with no triage decision and the old default colour (blue)
become ungraded, with the proposal stored at intake copied into the new columns. A registered matter
with red or yellow was graded by its registrar (blue was the only default) and is left alone, as is
every matter past triage.
"""

from django.db import migrations, models


# The engine's urgency words that the cases app spells differently (as cases.triage_link maps them).
_ENGINE_URGENCY = {"wishes": "wish"}


def ungrade_untriaged(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    CaseEvent = apps.get_model("cases", "CaseEvent")
    triaged = CaseEvent.objects.filter(kind="triaged").values("case_id")
    ungraded = Case.objects.filter(status="registered", risk="blue").exclude(pk__in=triaged)
    for case in ungraded.only("pk", "triage").iterator(chunk_size=2000):
        proposal = case.triage or {}
        risk = (proposal.get("risk") or {}).get("code", "")
        urgency = (proposal.get("urgency") or {}).get("code", "")
        Case.objects.filter(pk=case.pk).update(
            risk="", suggested_risk=risk, suggested_urgency=_ENGINE_URGENCY.get(urgency, urgency)
        )


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0007_add_supplemented_event'),
    ]

    operations = [
        migrations.AddField(
            model_name='case',
            name='suggested_risk',
            field=models.CharField(blank=True, choices=[('red', '红色'), ('yellow', '黄色'), ('blue', '蓝色')], db_default='', default='', max_length=8, verbose_name='系统建议风险等级'),
        ),
        migrations.AddField(
            model_name='case',
            name='suggested_urgency',
            field=models.CharField(blank=True, choices=[('urgent', '急难事·马上办'), ('grave', '揪心事·攻坚办'), ('annoying', '烦心事·协商办'), ('worrying', '操心事·抓紧办'), ('wish', '期盼事·全力办')], db_default='', default='', max_length=10, verbose_name='系统建议紧急程度'),
        ),
        migrations.AlterField(
            model_name='case',
            name='risk',
            field=models.CharField(blank=True, choices=[('red', '红色'), ('yellow', '黄色'), ('blue', '蓝色')], default='', max_length=8, verbose_name='风险等级'),
        ),
        migrations.RunPython(ungrade_untriaged, migrations.RunPython.noop, elidable=True),
    ]
