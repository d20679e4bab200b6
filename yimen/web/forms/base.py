"""The base of every form in the workbench and on the residents' pages.

Text fields refuse invisible control characters (yimen.common.text) with a message naming the
field, before any clean_<field> method can carry the text to the database (PostgreSQL refuses NUL
with a server error). A text area is long free text and keeps tab and line breaks; any other text
field is one line. Every form in yimen/web/forms derives from `Form` (a test walks them all).
"""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator

from yimen.common.text import control_character, control_character_message


class ControlCharacterValidator:
    """Reads the field's label when it runs: forms often set labels after the base __init__."""

    code = "control_characters"

    def __init__(self, *, field: forms.Field, name: str, multiline: bool):
        self.field, self.name, self.multiline = field, name, multiline

    def __call__(self, value):
        if isinstance(value, str) and control_character(value, multiline=self.multiline) is not None:
            raise ValidationError(control_character_message(label=self.field.label, field=self.name), code=self.code)


def _install(form: forms.BaseForm) -> None:
    for name, field in form.fields.items():
        if not isinstance(field, forms.CharField) or getattr(field, "_control_characters_checked", False):
            continue
        # Django's own NUL check says it in other words; ours names the field, once.
        field.validators = [v for v in field.validators if not isinstance(v, ProhibitNullCharactersValidator)]
        field.validators.append(
            ControlCharacterValidator(field=field, name=name, multiline=isinstance(field.widget, forms.Textarea))
        )
        field._control_characters_checked = True


class TextRulesMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _install(self)

    def full_clean(self):
        _install(self)  # fields a subclass added after __init__
        return super().full_clean()


class Form(TextRulesMixin, forms.Form):
    pass
