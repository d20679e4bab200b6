"""The code lists a matter is graded with: risk colour, urgency class (五事) and domain class.

Defined once, here. The cases app stores these codes in its matters and categories; the triage
engine's rules (`triage/data/*.json`, the rule tables), its suggestions and its decision records
name the same codes — `triage/config.py` derives its tuples from these classes and
`triage/models.py` uses them as the choices of its fields. No other module spells them.

This module imports Django's model enums only: it needs neither settings nor the app registry, so
the engine can use it in a process without a database (the bench). Labels are lazy; they are read
in a process with Django set up.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Risk(models.TextChoices):
    RED = "red", _("红色")
    YELLOW = "yellow", _("黄色")
    BLUE = "blue", _("蓝色")


class Urgency(models.TextChoices):
    URGENT = "urgent", _("急难事·马上办")
    GRAVE = "grave", _("揪心事·攻坚办")
    ANNOYING = "annoying", _("烦心事·协商办")
    WORRYING = "worrying", _("操心事·抓紧办")
    WISH = "wish", _("期盼事·全力办")


class DomainClass(models.TextChoices):
    LIVELIHOOD = "livelihood", _("社会民生")
    AGRICULTURE = "agriculture", _("农业产业")
    SAFETY = "safety", _("平安建设")
    ECOLOGY = "ecology", _("生态环境")
    PRODUCTION_SAFETY = "production_safety", _("安全生产")
