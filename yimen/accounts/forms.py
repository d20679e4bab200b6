"""Forms of the sign-in and account pages: shape only; the rules live in passwords, otp and lockout."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .lockout import sign_in_failure


class SignInForm(AuthenticationForm):
    """Django's sign-in form, whose refusal says how many tries remain or until when the lock holds."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "inactive": _("该账号已停用，请联系安全管理员。"),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.locked = False

    def clean(self):
        try:
            return super().clean()
        except ValidationError as error:
            if self.request is None or getattr(error, "code", None) != "invalid_login":
                raise
            failure = sign_in_failure(self.request, self.cleaned_data.get("username") or "")
            self.locked = failure.locked_until is not None
            raise ValidationError(failure.message(), code="locked" if self.locked else "invalid_login") from None


class CodeForm(forms.Form):
    code = forms.CharField(label=_("6 位验证码"), max_length=12, strip=True,
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}))


class YimenPasswordChangeForm(PasswordChangeForm):
    """Django's change form (old password, the new one twice, the validators); saving goes through
    accounts.passwords.password_change so the first-sign-in requirement is lifted in the same write."""

    def save(self, commit=True):
        from .passwords import password_change

        return password_change(user=self.user, new_password=self.cleaned_data["new_password1"])
