"""Admin for reference data and a read-mostly view of matters.

Status and everything the loop writes are read-only here; the actions below call the transitions
module, like every other door.
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from yimen.common.admin import ReadOnlyAdminMixin
from yimen.common.errors import DomainError

from . import transitions
from .search import case_search_write
from .models import (
    Assignment,
    Case,
    CaseEvent,
    Category,
    Extension,
    Party,
    Responsibility,
    RevealAudit,
    SupervisionOrder,
    Tag,
)

try:  # the time-limit admin lives beside the deadlines module
    from . import admin_limits  # noqa: F401
except ImportError:  # pragma: no cover - only while that module is being written
    pass


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "parent", "domain_class", "active", "ordering"]
    list_filter = ["domain_class", "active"]
    search_fields = ["name", "code"]
    list_editable = ["active", "ordering"]


@admin.register(Responsibility)
class ResponsibilityAdmin(admin.ModelAdmin):
    list_display = ["category", "level", "unit_kind", "part", "duty"]
    list_filter = ["level", "part", "unit_kind", "category"]
    list_select_related = ["category"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class PartyInline(ReadOnlyInline):
    model = Party
    fields = ["role", "kind", "name", "id_number_masked", "phone_masked", "headcount"]
    readonly_fields = fields


class AssignmentInline(ReadOnlyInline):
    model = Assignment
    fields = ["unit", "part", "status", "dispatched_at", "sign_due_at", "due_at", "accepted_at", "return_reason"]
    readonly_fields = fields


class EventInline(ReadOnlyInline):
    model = CaseEvent
    fields = ["created_at", "kind", "actor_label", "from_status", "to_status", "reason"]
    readonly_fields = fields


LOOP_FIELDS = [
    "number", "query_code", "status", "status_changed_at", "owning_centre", "owning_code", "registering_centre",
    "region_code", "received_at", "registered_by", "dispatched_at", "accepted_at", "resolved_at", "closed_at",
    "due_at", "due_provisional", "overdue", "resolved_within_limit", "outcome", "result", "resolved_on_spot",
    "satisfaction", "reopen_count", "escalation_count", "is_joint", "referral_target", "category", "urgency",
    "risk", "risk_reason", "domain_class", "channel",
]


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["number", "title", "status", "category", "risk", "urgency", "owning_centre", "received_at", "overdue"]
    list_filter = ["status", "risk", "urgency", "channel", "overdue"]
    search_fields = ["=number", "title"]
    list_select_related = ["category", "owning_centre"]
    # The triage fields are written once at intake; linked_to is read-only (no select over every matter).
    readonly_fields = [*LOOP_FIELDS, "triage", "linked_to", "link_kind"]
    raw_id_fields = ["region"]
    exclude = ["tags", "text_simhash", "mh_band0", "mh_band1", "mh_band2", "mh_band3"]
    inlines = [PartyInline, AssignmentInline, EventInline]
    date_hierarchy = "received_at"
    show_full_result_count = False  # COUNT(*) over millions of rows on every page is not worth it
    actions = ["archive", "reopen"]

    def has_add_permission(self, request):
        # Matters are registered through the window or the API, which run the intake rules.
        return False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if {"title", "description", "request", "address"} & set(form.changed_data):
            case_search_write(case=obj)  # the texts text search reads (cases/search.py)

    def _each(self, request, queryset, service, **kwargs):
        done = 0
        for case in queryset:
            try:
                service(actor=request.user, case=case, **kwargs)
                done += 1
            except DomainError as error:
                self.message_user(request, f"{case.number}: {error.message}", messages.WARNING)
        if done:
            self.message_user(request, _("已处理%(n)d件。") % {"n": done}, messages.SUCCESS)

    @admin.action(description=_("归档所选事项"))
    def archive(self, request, queryset):
        self._each(request, queryset, transitions.case_archive, note=_("管理员归档"))

    @admin.action(description=_("重启所选事项"))
    def reopen(self, request, queryset):
        self._each(request, queryset, transitions.case_reopen, reason=_("管理员重启"))


@admin.register(Extension)
class ExtensionAdmin(admin.ModelAdmin):
    list_display = ["case", "assignment", "amount", "unit", "status", "requested_at", "decided_at"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in Extension._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(SupervisionOrder)
class SupervisionOrderAdmin(admin.ModelAdmin):
    list_display = ["case", "unit", "status", "issued_at", "answer_due_at", "answered_at"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in SupervisionOrder._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(RevealAudit)
class RevealAuditAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "user", "case", "party", "field", "purpose"]
    readonly_fields = [f.name for f in RevealAudit._meta.fields]
