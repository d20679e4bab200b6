"""Read-only admin: lets support staff answer "did my code go out?" without seeing any code."""

from django.contrib import admin

from .models import PhoneCode


@admin.register(PhoneCode)
class PhoneCodeAdmin(admin.ModelAdmin):
    list_display = ("__str__", "purpose", "created_at", "expires_at", "attempts", "used_at")
    list_filter = ("purpose",)
    fields = list_display[1:]
    readonly_fields = fields
    date_hierarchy = "created_at"
    # Searching by the full number finds the rows; the list shows it masked.
    search_fields = ("=phone",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
