from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResidentsConfig(AppConfig):
    name = "yimen.residents"
    verbose_name = _("群众端（解纷码）")
