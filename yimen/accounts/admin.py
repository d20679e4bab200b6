from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, AdminUserCreationForm
from django.utils.translation import gettext_lazy as _

from .models import ApiToken, Membership, User
from .tokens import api_tokens_revoke


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["region", "unit"]


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


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "region", "unit"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__full_name", "region__name", "unit__name"]
    raw_id_fields = ["user", "region", "unit"]
    list_select_related = ["user", "region", "unit"]


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
        count = api_tokens_revoke(tokens=queryset)
        self.message_user(request, _("已吊销 %(n)d 个令牌。") % {"n": count}, messages.SUCCESS)

    def has_add_permission(self, request):
        # Tokens are issued with `yimen token create`, which shows the secret once.
        return False
