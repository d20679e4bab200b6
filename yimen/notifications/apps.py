from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "yimen.notifications"
    verbose_name = _("通知")

    def ready(self):
        from . import jobs  # noqa: F401 - registers outbox delivery with `yimen worker`
