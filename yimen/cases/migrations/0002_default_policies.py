"""The default time-limit policies (data). Written by hand; the data is a literal copy of
yimen.cases.deadlines.DEFAULT_POLICIES as it stood, because a migration must not change when that
code does (a test checks the two still agree)."""

from django.db import migrations

POLICIES = [
    {"name": "签收：1个工作日", "step": "sign", "urgency": "", "channel": "", "amount": 1, "unit": "working_days",
     "warn_before_hours": 8, "escalate_when_overdue": False, "max_extension": 0,
     "legal_basis": "派单后1个工作日内签收（工作规范）"},
    {"name": "急难事签收响应：10分钟", "step": "sign", "urgency": "urgent", "channel": "", "amount": 10, "unit": "minutes",
     "warn_before_hours": 1, "escalate_when_overdue": False, "max_extension": 0,
     "legal_basis": "五事五办“急难事马上办”；党员专班10分钟内响应"},
    {"name": "急难事办理：1个工作日", "step": "handle", "urgency": "urgent", "channel": "", "amount": 1,
     "unit": "working_days", "warn_before_hours": 8, "escalate_when_overdue": True, "max_extension": 0,
     "legal_basis": "五事五办“急难事马上办”"},
    {"name": "揪心事办理：30个工作日", "step": "handle", "urgency": "grave", "channel": "", "amount": 30,
     "unit": "working_days", "warn_before_hours": 80, "escalate_when_overdue": True, "max_extension": 0,
     "legal_basis": "五事五办“揪心事攻坚办”"},
    {"name": "烦心事办理：15个工作日", "step": "handle", "urgency": "annoying", "channel": "", "amount": 15,
     "unit": "working_days", "warn_before_hours": 56, "escalate_when_overdue": False, "max_extension": 0,
     "legal_basis": "五事五办“烦心事协商办”"},
    {"name": "操心事办理：7个工作日", "step": "handle", "urgency": "worrying", "channel": "", "amount": 7,
     "unit": "working_days", "warn_before_hours": 32, "escalate_when_overdue": False, "max_extension": 0,
     "legal_basis": "五事五办“操心事抓紧办”"},
    {"name": "期盼事办理：30个工作日", "step": "handle", "urgency": "wish", "channel": "", "amount": 30,
     "unit": "working_days", "warn_before_hours": 80, "escalate_when_overdue": False, "max_extension": 0,
     "legal_basis": "五事五办“期盼事全力办”"},
    {"name": "承办单位办理：15个工作日", "step": "unit_handle", "urgency": "", "channel": "", "amount": 15,
     "unit": "working_days", "warn_before_hours": 56, "escalate_when_overdue": False, "max_extension": 0,
     "legal_basis": "参照《劳动争议调解仲裁法》第十四条（调解组织15日内未达成协议的可申请仲裁）"},
    {"name": "回访：办结后5个工作日", "step": "follow_up", "urgency": "", "channel": "", "amount": 5,
     "unit": "working_days", "warn_before_hours": 32, "escalate_when_overdue": False, "max_extension": 0,
     "legal_basis": "办结后回访验单（工作规范）"},
    {"name": "督办回复：3个工作日", "step": "supervision_answer", "urgency": "", "channel": "", "amount": 3,
     "unit": "working_days", "warn_before_hours": 8, "escalate_when_overdue": False, "max_extension": 0,
     "legal_basis": "督办单限期回复（工作规范）"},
    {"name": "信访受理告知：15日", "step": "petition_decide", "urgency": "", "channel": "petition", "amount": 15,
     "unit": "natural_days", "warn_before_hours": 80, "escalate_when_overdue": False, "max_extension": 0,
     "legal_basis": "《信访工作条例》第二十二条：收到信访事项后15日内处理并告知"},
    {"name": "信访办结：60日（可延长30日）", "step": "petition_handle", "urgency": "", "channel": "petition",
     "amount": 60, "unit": "natural_days", "warn_before_hours": 176, "escalate_when_overdue": False,
     "max_extension": 30,
     "legal_basis": "《信访工作条例》第三十四条：自受理之日起60日内办结；情况复杂的经批准可延长，延长不得超过30日"},
]

_KEY = ("name", "step", "urgency", "channel")


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


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(add_policies, remove_policies)]
