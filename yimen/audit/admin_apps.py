from django.contrib.admin.apps import AdminConfig


class AuditedAdminConfig(AdminConfig):
    """django.contrib.admin with Yimen's site: every admin add, change and delete goes to the audit trail."""

    default_site = "yimen.audit.admin_site.AuditedAdminSite"
