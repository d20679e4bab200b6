from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    # An app only so that Django finds `yimen backup` and `yimen restore`; it has no models.
    name = "yimen.ops"
    label = "ops"
    verbose_name = _("运维")
