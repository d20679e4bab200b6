"""The admin site: every ModelAdmin registered on it records its adds, changes and deletes in the audit
trail, beside Django's own LogEntry (which an admin could edit; the trail cannot be)."""

from django.contrib import admin
from django.db import transaction
from django.utils.translation import gettext as _

from .models import AuditKind
from .services import audit_record

# Models whose admin changes have their own kind on the audit page.
_KINDS = {
    "accounts.membership": (AuditKind.MEMBERSHIP_ADDED, AuditKind.MEMBERSHIP_CHANGED, AuditKind.MEMBERSHIP_REMOVED),
    "accounts.user": (AuditKind.USER_CREATED, AuditKind.USER_CHANGED, AuditKind.ADMIN_DELETED),
}
_DEFAULT_KINDS = (AuditKind.ADMIN_ADDED, AuditKind.ADMIN_CHANGED, AuditKind.ADMIN_DELETED)


def _kinds(model):
    return _KINDS.get(model._meta.label_lower, _DEFAULT_KINDS)


def _describe(obj) -> str:
    text = f"{obj._meta.verbose_name}「{obj}」"
    owner = getattr(obj, "user", None)  # a membership, a token, a device: whose
    if owner is not None and hasattr(owner, "get_username"):
        text += _("（账号 %(user)s）") % {"user": owner.get_username()}
    return text


class AuditedAdminMixin:
    """Mixed into every ModelAdmin by AuditedAdminSite.register; runs inside the admin's transaction."""

    def log_addition(self, request, obj, message):
        entry = super().log_addition(request, obj, message)
        audit_record(kind=_kinds(type(obj))[0], request=request, obj=obj, details={"change": message or []},
                     summary=lambda: _("后台新增 %(what)s") % {"what": _describe(obj)})
        return entry

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        audit_record(kind=_kinds(type(obj))[1], request=request, obj=obj, details={"change": message or []},
                     summary=lambda: _("后台修改 %(what)s") % {"what": _describe(obj)})
        return entry

    def response_action(self, request, queryset):
        # Changelist actions ("delete selected" among them) are not atomic in Django: make the change
        # and its audit records one transaction, as the add/change/delete pages already are.
        with transaction.atomic():
            return super().response_action(request, queryset)

    def log_deletions(self, request, queryset):
        entries = super().log_deletions(request, queryset)
        for obj in queryset:
            audit_record(kind=_kinds(type(obj))[2], request=request, obj=obj,
                         summary=lambda: _("后台删除 %(what)s") % {"what": _describe(obj)})
        return entries


class AuditedAdminSite(admin.AdminSite):
    def register(self, model_or_iterable, admin_class=None, **options):
        base = admin_class or admin.ModelAdmin
        if not issubclass(base, AuditedAdminMixin):
            base = type(base.__name__, (AuditedAdminMixin, base), {"__module__": base.__module__})
        return super().register(model_or_iterable, base, **options)
