from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegionsConfig(AppConfig):
    name = "yimen.regions"
    verbose_name = _("区划与单位")
