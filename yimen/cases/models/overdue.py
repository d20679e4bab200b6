from django.db import models
from django.utils.translation import gettext_lazy as _

from .case import Case


class OverdueMatter(models.Model):
    """The overdue matters' place and received time: what a centre's `overdue` list walks.

    Kept by the database, not by Python: triggers on cases_case insert a row when a matter's
    `overdue` becomes true and delete it when it becomes false or the matter goes (cases/overdue.py),
    so no writer of the flag — the sweep's bulk pass, the transitions, the calendar recompute, the
    bench loader — can leave it behind. The matter's own row is untouched by it: its flag's rewrite
    stays HOT, which an index naming `overdue` on cases_case would end (docs/performance.md).
    """

    case = models.OneToOneField(Case, verbose_name=_("事项"), primary_key=True, on_delete=models.DO_NOTHING,
                                db_constraint=False, related_name="overdue_row")
    region_code = models.CharField(_("发生地区划代码"), max_length=15)
    received_at = models.DateTimeField(_("受理时间"))

    class Meta:
        verbose_name = _("超期事项")
        verbose_name_plural = _("超期事项")
        indexes = [
            # Newest first, the scope's prefix tested on the index entry (INCLUDE; PostgreSQL only).
            models.Index(fields=["-received_at", "-case"], include=["region_code"], name="overdue_recv"),
        ]


__all__ = ["OverdueMatter"]
