"""An urgent matter's units get the matter's own 1 working day (五事五办 急难事马上办), not the general
15 days of 承办单位办理. Data, written by hand with its own literal copy (see 0002_default_policies)."""

from django.db import migrations

POLICIES = [
    {"name": "急难事承办单位办理：1个工作日", "step": "unit_handle", "urgency": "urgent", "channel": "", "amount": 1,
     "unit": "working_days", "warn_before_hours": 8, "escalate_when_overdue": True, "max_extension": 0,
     "legal_basis": "五事五办“急难事马上办”"},
]

_KEY = ("name", "step", "urgency", "channel")


def add_policies(apps, schema_editor):
    TimeLimitPolicy = apps.get_model("cases", "TimeLimitPolicy")
    for policy in POLICIES:
        key = {k: policy[k] for k in _KEY}
        defaults = {k: v for k, v in policy.items() if k not in _KEY}
        TimeLimitPolicy.objects.get_or_create(region=None, category=None, **key, defaults=defaults)


def remove_policies(apps, schema_editor):
    TimeLimitPolicy = apps.get_model("cases", "TimeLimitPolicy")
    for policy in POLICIES:
        TimeLimitPolicy.objects.filter(region=None, category=None, **{k: policy[k] for k in _KEY}).delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0008_case_risk_ungraded")]

    operations = [migrations.RunPython(add_policies, remove_policies)]
