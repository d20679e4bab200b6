"""Copy each matter's place and owning centre onto its assignments (data only; 0005 added the columns)."""

from django.db import migrations

FILL = """
UPDATE cases_assignment SET
  case_region_code = (SELECT c.region_code FROM cases_case c WHERE c.id = cases_assignment.case_id),
  case_owning_code = (SELECT c.owning_code FROM cases_case c WHERE c.id = cases_assignment.case_id)
"""


class Migration(migrations.Migration):
    dependencies = [("cases", "0005_assignment_case_place")]

    operations = [migrations.RunSQL(FILL, reverse_sql=migrations.RunSQL.noop)]
