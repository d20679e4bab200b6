"""Request types on matters and time limits (issue 14), and the provincial 12345 limits as policies.

Schema: Case.request_type (诉求类型, a code of triage.RequestType; blank = not stated; db_default so
bulk SQL loads that do not name it still insert) and TimeLimitPolicy.request_type (blank = every type).

Data, written by hand with its own literal copy (see 0002_default_policies): the HANDLE limits of the
provincial 12345 practice — 咨询 2 working days, 求助/建议 10, 投诉/举报 15 — and, for each, an urgent
variant of 1 working day (a policy naming request type and urgency outranks one naming either, so an
urgent request keeps 急难事马上办). They are installed ACTIVE: a centre that registers requests
expects them answered within the limits its 12345 platform measures, and nothing else changes —
disputes (纠纷) and every matter whose type is not stated (all matters registered before this
migration) keep the 五事五办 limits, and no running deadline is recomputed. A centre that does not
follow the 12345 practice switches the rows off in the admin (时限规则).
"""

from django.db import migrations, models

POLICIES = [
    {'name': '咨询类办理：2个工作日', 'step': 'handle', 'request_type': 'consult', 'urgency': '', 'channel': '', 'amount': 2, 'unit': 'working_days', 'warn_before_hours': 8, 'escalate_when_overdue': False, 'max_extension': 0, 'legal_basis': '参照省级12345政务服务便民热线工单办理时限：咨询类2个工作日，求助、建议类10个工作日，投诉、举报类15个工作日'},
    {'name': '求助类办理：10个工作日', 'step': 'handle', 'request_type': 'help', 'urgency': '', 'channel': '', 'amount': 10, 'unit': 'working_days', 'warn_before_hours': 32, 'escalate_when_overdue': False, 'max_extension': 0, 'legal_basis': '参照省级12345政务服务便民热线工单办理时限：咨询类2个工作日，求助、建议类10个工作日，投诉、举报类15个工作日'},
    {'name': '建议类办理：10个工作日', 'step': 'handle', 'request_type': 'suggestion', 'urgency': '', 'channel': '', 'amount': 10, 'unit': 'working_days', 'warn_before_hours': 32, 'escalate_when_overdue': False, 'max_extension': 0, 'legal_basis': '参照省级12345政务服务便民热线工单办理时限：咨询类2个工作日，求助、建议类10个工作日，投诉、举报类15个工作日'},
    {'name': '投诉类办理：15个工作日', 'step': 'handle', 'request_type': 'complaint', 'urgency': '', 'channel': '', 'amount': 15, 'unit': 'working_days', 'warn_before_hours': 56, 'escalate_when_overdue': False, 'max_extension': 0, 'legal_basis': '参照省级12345政务服务便民热线工单办理时限：咨询类2个工作日，求助、建议类10个工作日，投诉、举报类15个工作日'},
    {'name': '举报类办理：15个工作日', 'step': 'handle', 'request_type': 'report', 'urgency': '', 'channel': '', 'amount': 15, 'unit': 'working_days', 'warn_before_hours': 56, 'escalate_when_overdue': False, 'max_extension': 0, 'legal_basis': '参照省级12345政务服务便民热线工单办理时限：咨询类2个工作日，求助、建议类10个工作日，投诉、举报类15个工作日'},
    {'name': '急难事·咨询类办理：1个工作日', 'step': 'handle', 'request_type': 'consult', 'urgency': 'urgent', 'channel': '', 'amount': 1, 'unit': 'working_days', 'warn_before_hours': 8, 'escalate_when_overdue': True, 'max_extension': 0, 'legal_basis': '五事五办“急难事马上办”：紧急诉求不论类型1个工作日内办理'},
    {'name': '急难事·求助类办理：1个工作日', 'step': 'handle', 'request_type': 'help', 'urgency': 'urgent', 'channel': '', 'amount': 1, 'unit': 'working_days', 'warn_before_hours': 8, 'escalate_when_overdue': True, 'max_extension': 0, 'legal_basis': '五事五办“急难事马上办”：紧急诉求不论类型1个工作日内办理'},
    {'name': '急难事·建议类办理：1个工作日', 'step': 'handle', 'request_type': 'suggestion', 'urgency': 'urgent', 'channel': '', 'amount': 1, 'unit': 'working_days', 'warn_before_hours': 8, 'escalate_when_overdue': True, 'max_extension': 0, 'legal_basis': '五事五办“急难事马上办”：紧急诉求不论类型1个工作日内办理'},
    {'name': '急难事·投诉类办理：1个工作日', 'step': 'handle', 'request_type': 'complaint', 'urgency': 'urgent', 'channel': '', 'amount': 1, 'unit': 'working_days', 'warn_before_hours': 8, 'escalate_when_overdue': True, 'max_extension': 0, 'legal_basis': '五事五办“急难事马上办”：紧急诉求不论类型1个工作日内办理'},
    {'name': '急难事·举报类办理：1个工作日', 'step': 'handle', 'request_type': 'report', 'urgency': 'urgent', 'channel': '', 'amount': 1, 'unit': 'working_days', 'warn_before_hours': 8, 'escalate_when_overdue': True, 'max_extension': 0, 'legal_basis': '五事五办“急难事马上办”：紧急诉求不论类型1个工作日内办理'},
]

_KEY = ("name", "step", "request_type", "urgency", "channel")


def add_policies(apps, schema_editor):
    TimeLimitPolicy = apps.get_model("cases", "TimeLimitPolicy")
    for policy in POLICIES:
        key = {k: policy[k] for k in _KEY}
        defaults = {k: v for k, v in policy.items() if k not in _KEY}
        # get_or_create: re-running after a partial restore must not duplicate the defaults.
        TimeLimitPolicy.objects.get_or_create(region=None, category=None, **key, defaults=defaults)


def remove_policies(apps, schema_editor):
    TimeLimitPolicy = apps.get_model("cases", "TimeLimitPolicy")
    for policy in POLICIES:
        TimeLimitPolicy.objects.filter(region=None, category=None, **{k: policy[k] for k in _KEY}).delete()
    if schema_editor is not None and schema_editor.connection.vendor == "postgresql":
        # Reversing drops the column next, in this transaction: PostgreSQL refuses to ALTER a table
        # with deferred foreign-key checks pending from the deletes (Deadline.policy), so run them now.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute("SET CONSTRAINTS ALL DEFERRED")


class Migration(migrations.Migration):
    dependencies = [("cases", "0019_fill_assignment_case_copies")]

    operations = [
        migrations.AddField(
            model_name="case",
            name="request_type",
            field=models.CharField(blank=True, db_default="", default="", max_length=16, verbose_name="诉求类型"),
        ),
        migrations.AddField(
            model_name="timelimitpolicy",
            name="request_type",
            field=models.CharField(
                blank=True, help_text="诉求类型代码，如 consult(咨询)、complaint(投诉)；留空为全部类型", max_length=16,
                verbose_name="适用诉求类型",
            ),
        ),
        migrations.RunPython(add_policies, remove_policies),
    ]
