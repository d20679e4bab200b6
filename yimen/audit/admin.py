from django.contrib import admin

from yimen.accounts.scopes import may_read_audit
from yimen.common.admin import ReadOnlyAdminMixin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only for the audit administrator; no one may add, change or delete (a superuser neither)."""

    list_display = ["at", "kind", "actor_username", "address", "summary"]
    list_filter = ["kind"]
    search_fields = ["actor_username", "summary", "address", "object_id"]
    date_hierarchy = "at"
    ordering = ["-at", "-id"]
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_module_permission(self, request):
        return may_read_audit(request.user)

    def has_view_permission(self, request, obj=None):
        return may_read_audit(request.user)

    def get_actions(self, request):
        return {}
