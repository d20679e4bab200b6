from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, AdminUserCreationForm
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from yimen.audit.models import AuditKind
from yimen.audit.services import audit_record
from yimen.common.words import join_list

from .models import ApiToken, Membership, User
from .scopes import needs_admin_site
from .tokens import api_tokens_revoke

# Only a superuser hands out Django's own permissions; everyone else's come from their roles (scopes).
_SUPERUSER_FIELDS = ["is_staff", "is_superuser", "groups", "user_permissions"]


def _sync_staff(user_id) -> None:
    """is_staff follows the roles: an administrator role opens the admin, losing it closes it."""
    user = User.objects.get(pk=user_id)
    wanted = needs_admin_site(user)
    if user.is_staff != wanted:
        User.objects.filter(pk=user_id).update(is_staff=wanted)


def _membership_record(request, kind, membership, summary) -> None:
    audit_record(kind=kind, request=request, obj=membership,
                 details={"user": membership.user.get_username(), "role": membership.role,
                          "region": membership.region.code if membership.region_id else "",
                          "unit": membership.unit_id},
                 summary=lambda: str(summary) % {"user": membership.user.get_username(), "what": str(membership)})


def _own_or_above(request, user) -> bool:
    """An administrator does not change their own roles, nor a superuser's account (三员分立: one person
    cannot widen their own powers; a second security administrator does it, and the trail shows who)."""
    if user is None or request.user.is_superuser:
        return False
    return user.pk == request.user.pk or user.is_superuser


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["region", "unit"]

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and not _own_or_above(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not _own_or_above(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not _own_or_above(request, obj)


class MembershipForm(forms.ModelForm):
    acting_user = None  # set per request by MembershipAdmin.get_form

    def clean(self):
        data = super().clean()
        user = data.get("user")
        if self.acting_user is not None and not self.acting_user.is_superuser and user is not None:
            if user.pk == self.acting_user.pk:
                raise ValidationError(_("不能为自己的账号授予或变更角色，请由另一位安全管理员操作。"))
            if user.is_superuser:
                raise ValidationError(_("超级管理员账号只能由超级管理员变更。"))
        return data


class _AdminSetsPassword:
    """An account an administrator opened, or whose password an administrator set, must change it at
    its owner's first sign-in (accounts.passwords.password_change_reason)."""

    def save(self, commit=True):
        user = super().save(commit=False)
        user.must_change_password = True
        if commit:
            user.save()
            if hasattr(self, "save_m2m"):
                self.save_m2m()
        return user


class UserCreationForm(_AdminSetsPassword, AdminUserCreationForm):
    pass


class PasswordSetForm(_AdminSetsPassword, AdminPasswordChangeForm):
    pass


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "full_name", "phone", "is_active", "is_staff", "must_change_password", "password_changed_at"]
    search_fields = ["username", "full_name", "phone"]
    fieldsets = BaseUserAdmin.fieldsets + (
        (_("一门"), {"fields": ["full_name", "phone"]}),
        (_("密码策略"), {"fields": ["must_change_password", "password_changed_at"]}),
    )
    readonly_fields = ["password_changed_at"]
    add_form = UserCreationForm
    change_password_form = PasswordSetForm
    inlines = [MembershipInline]

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj is not None and obj.is_superuser
                                                                     and not request.user.is_superuser)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not _own_or_above(request, obj)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return fields if request.user.is_superuser else fields + _SUPERUSER_FIELDS

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            audit_record(kind=AuditKind.USER_DEACTIVATED, request=request, obj=obj,
                         summary=lambda: gettext("停用账号 %(user)s") % {"user": obj.get_username()})

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is not Membership:
            return
        for membership in formset.new_objects:
            _membership_record(request, AuditKind.MEMBERSHIP_ADDED, membership, _("为 %(user)s 授予角色 %(what)s"))
        for membership, _fields in formset.changed_objects:
            _membership_record(request, AuditKind.MEMBERSHIP_CHANGED, membership, _("变更 %(user)s 的角色 %(what)s"))
        for membership in formset.deleted_objects:
            _membership_record(request, AuditKind.MEMBERSHIP_REMOVED, membership, _("撤销 %(user)s 的角色 %(what)s"))

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        _sync_staff(form.instance.pk)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "region", "unit"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__full_name", "region__name", "unit__name"]
    raw_id_fields = ["user", "region", "unit"]
    list_select_related = ["user", "region", "unit"]
    form = MembershipForm

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.acting_user = request.user
        return form

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not _own_or_above(request, obj and obj.user)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not _own_or_above(request, obj and obj.user)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        _sync_staff(obj.user_id)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        _sync_staff(obj.user_id)

    def delete_queryset(self, request, queryset):
        user_ids = set(queryset.values_list("user_id", flat=True))
        super().delete_queryset(request, queryset)
        for user_id in user_ids:
            _sync_staff(user_id)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "created_at", "expires_at", "last_used_at", "revoked"]
    list_filter = ["revoked"]
    readonly_fields = ["prefix", "digest", "created_at", "last_used_at", "revoked", "revoked_at"]
    raw_id_fields = ["user"]
    list_select_related = ["user"]
    actions = ["revoke"]

    @admin.action(description=_("吊销所选令牌"))
    def revoke(self, request, queryset):
        with transaction.atomic():  # the revocation and its audit record, both or neither
            prefixes = list(queryset.filter(revoked=False).values_list("prefix", flat=True))
            count = api_tokens_revoke(tokens=queryset)
            if count:
                audit_record(kind=AuditKind.TOKEN_REVOKED, request=request, object_type="accounts.apitoken",
                             details={"prefixes": prefixes},
                             summary=lambda: gettext("吊销接口令牌 %(list)s") % {"list": join_list(prefixes)})
        self.message_user(request, _("已吊销 %(n)d 个令牌。") % {"n": count}, messages.SUCCESS)

    def has_add_permission(self, request):
        # Tokens are issued with `yimen token create`, which shows the secret once.
        return False
