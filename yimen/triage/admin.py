from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from yimen.common.errors import DomainError

from yimen.triage import config, legal
from yimen.triage.models import (
    CategoryLexiconTerm,
    CategoryProfile,
    GradeRule,
    RequestType,
    RequestTypeCue,
    SignalRule,
    Statute,
    StatuteArticle,
    SuggestionRecord,
    TriageModelLabel,
    TriageModelVersion,
    TriageSetting,
    UnitRule,
)


class _RuleAdmin(admin.ModelAdmin):
    """Rule edits take effect in this process on commit; other processes within the config TTL."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        transaction.on_commit(config.invalidate)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        transaction.on_commit(config.invalidate)

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        transaction.on_commit(config.invalidate)


@admin.register(CategoryProfile)
class CategoryProfileAdmin(_RuleAdmin):
    list_display = ("code", "label", "domain", "urgency", "enabled", "sort_order")
    list_editable = ("enabled", "sort_order")
    search_fields = ("code", "label")


@admin.register(CategoryLexiconTerm)
class CategoryLexiconTermAdmin(_RuleAdmin):
    list_display = ("term", "category_code", "weight", "enabled", "updated_at")
    list_editable = ("weight", "enabled")
    list_filter = ("category_code", "enabled")
    search_fields = ("term",)


@admin.register(SignalRule)
class SignalRuleAdmin(_RuleAdmin):
    list_display = ("name", "label", "kind", "weight", "enabled", "sort_order")
    list_editable = ("weight", "enabled")
    list_filter = ("kind", "enabled")
    search_fields = ("name", "label")


@admin.register(GradeRule)
class GradeRuleAdmin(_RuleAdmin):
    list_display = ("target", "value", "priority", "reason", "enabled")
    list_editable = ("priority", "enabled")
    list_filter = ("target", "enabled")


@admin.register(UnitRule)
class UnitRuleAdmin(_RuleAdmin):
    list_display = ("priority", "lead_unit", "reason", "enabled")
    list_editable = ("enabled",)
    search_fields = ("lead_unit", "reason")


@admin.register(TriageSetting)
class TriageSettingAdmin(_RuleAdmin):
    list_display = ("key", "updated_at")


class _LabelLinkForm(forms.ModelForm):
    category_code = forms.ChoiceField(label=_("对应类别"), required=False)

    class Meta:
        model = TriageModelLabel
        fields = ("category_code",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        categories = config.get_config().categories
        self.fields["category_code"].choices = [("", _("（不对应）"))] + [(c.code, f"{c.label}（{c.code}）") for c in categories]


class TriageModelLabelInline(admin.TabularInline):
    """The ledger's labels of one model and the category each stands for; edits go through the service."""

    model = TriageModelLabel
    form = _LabelLinkForm
    fields = ("label", "samples", "category_code", "linked_how")
    readonly_fields = ("label", "samples", "linked_how")
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(TriageModelVersion)
class TriageModelVersionAdmin(admin.ModelAdmin):
    list_display = ("version", "features", "n_samples", "is_active", "created_at")
    readonly_fields = ("version", "path", "features", "n_samples", "labels", "metrics", "source", "is_active", "created_at")
    inlines = [TriageModelLabelInline]
    actions = ["activate", "create_categories"]

    def save_formset(self, request, form, formset, change):
        # The label links are written by training.model_label_link, the one writer of a mapping.
        from yimen.triage.training import model_label_link

        changed = [f for f in formset.forms if f.has_changed() and f.instance.pk]
        for link_form in changed:
            model_label_link(link_id=link_form.instance.pk, category_code=link_form.cleaned_data["category_code"])
        # What the admin's history entry reads, as formset.save() would have set it.
        formset.new_objects, formset.deleted_objects = [], []
        formset.changed_objects = [(f.instance, f.changed_data) for f in changed]

    @admin.action(description=_("设为当前使用的模型"))
    def activate(self, request, queryset):
        from yimen.triage.training import model_activate

        row = queryset.order_by("-created_at").first()
        if row is not None:
            model_activate(version=row.version)
            self.message_user(request, _("已启用模型 %(v)s") % {"v": row.version})

    @admin.action(description=_("为未对应的台账类别新建类别"))
    def create_categories(self, request, queryset):
        from django.utils.translation import gettext

        from yimen.audit.models import AuditKind
        from yimen.audit.services import audit_record
        from yimen.triage.training import model_labels_create_categories

        for row in queryset:
            try:
                codes = model_labels_create_categories(version=row.version)
            except DomainError as exc:
                self.message_user(request, str(exc), level=messages.ERROR)
                return
            if codes:  # inside the action's transaction (AuditedAdminMixin.response_action)
                audit_record(
                    kind=AuditKind.ADMIN_ADDED, request=request, obj=row, details={"categories": codes},
                    summary=lambda: gettext("后台为模型 %(v)s 的台账类别新建类别 %(codes)s") % {"v": row.version, "codes": "、".join(codes)},
                )
            self.message_user(request, _("模型 %(v)s：新建类别 %(n)s 个") % {"v": row.version, "n": len(codes)})


class StatuteArticleInline(admin.TabularInline):
    model = StatuteArticle
    extra = 0
    fields = ("label", "number", "chapter", "text")


@admin.register(Statute)
class StatuteAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "region_code", "effective_date", "is_active", "imported_at")
    list_filter = ("kind", "is_active")
    search_fields = ("title",)
    inlines = [StatuteArticleInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        transaction.on_commit(legal.invalidate)


@admin.register(SuggestionRecord)
class SuggestionRecordAdmin(admin.ModelAdmin):
    list_display = ("case_ref", "suggested_category", "final_category", "category_accepted", "decided_by_ref", "decided_at")
    list_filter = ("category_accepted", "all_accepted", "final_category")
    search_fields = ("case_ref",)
    date_hierarchy = "decided_at"

    def has_change_permission(self, request, obj=None):
        # Decisions are a record of what happened; corrections go through record_decision().
        return False


class RequestTypeCueInline(admin.TabularInline):
    model = RequestTypeCue
    fields = ("cue", "weight", "enabled")
    extra = 1


@admin.register(RequestType)
class RequestTypeAdmin(_RuleAdmin):
    """诉求类型 and their cues; a save reaches the engine as every rule edit does (config.invalidate)."""

    list_display = ("code", "label", "sort_order", "is_default", "enabled", "updated_at")
    list_editable = ("sort_order", "enabled")
    search_fields = ("code", "label", "cues__cue")
    inlines = [RequestTypeCueInline]

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        transaction.on_commit(config.invalidate)
