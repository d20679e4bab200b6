from django.db import migrations, models


class Migration(migrations.Migration):
    """The matter's received_at copied onto its assignments (0012 fills it, 0013 indexes it)."""

    dependencies = [
        ("cases", "0010_triage_in_cases_codes"),
    ]

    operations = [
        migrations.AddField(
            model_name="assignment",
            name="case_received_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="事项受理时间"),
        ),
    ]
