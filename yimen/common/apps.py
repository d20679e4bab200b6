from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommonConfig(AppConfig):
    name = "yimen.common"
    verbose_name = _("公共")

    def ready(self):
        from . import checks  # noqa: F401 - registers the start-up safety checks
