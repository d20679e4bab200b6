"""显示 on the matter page: the purpose typed before a party's full ID number and phone are shown.
Shape only (no control characters, through the base Form); a purpose is required by the service
(yimen.cases.privacy.party_reveal), which says so in its own words."""

from django import forms
from django.utils.translation import gettext_lazy as _l

from .base import Form


class RevealForm(Form):
    purpose = forms.CharField(label=_l("查看用途"), required=False)
