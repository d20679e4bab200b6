from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    name = "yimen.demo"
    verbose_name = _("演示数据")

    def ready(self):
        from . import checks  # noqa: F401 - registers the demo-password start-up check
