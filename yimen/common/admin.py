"""Admin pieces with no domain knowledge."""


class ReadOnlyAdminMixin:
    """A record kept for the record (audit trails, reveals, limits written by the services): the admin
    shows it and never adds, changes or deletes one."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
