from django.db import migrations, models


class Migration(migrations.Migration):
    """The unit list's index, built after 0012 filled the column (one build, not 10 M index updates)."""

    dependencies = [("cases", "0012_fill_assignment_case_received")]

    operations = [
        migrations.AddIndex(
            model_name="assignment",
            index=models.Index(fields=["unit", "-case_received_at", "-case"], name="assignment_unit_recv"),
        ),
    ]
