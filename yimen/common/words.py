"""Lists in the user's language: "甲、乙、丙" in Chinese, "a, b, c" in English (no domain knowledge)."""

from django.utils.translation import gettext as _


def join_list(items) -> str:
    """Items joined by the language's list separator (、 or ", ")."""
    return _("、").join(str(item) for item in items)


def choices_text(pairs) -> str:
    """"walk_in（来访）、phone（来电）": the values a field accepts, each with its label, for error messages."""
    return join_list(_("%(value)s（%(label)s）") % {"value": value, "label": label} for value, label in pairs)


def in_default_language():
    """Compose text that is stored or sent (a matter's result, a notification) in the site's language
    (settings.LANGUAGE_CODE), whatever language the person acting reads: the record is read by
    everyone, and one clerk's English must not become another's data."""
    from django.conf import settings
    from django.utils import translation

    return translation.override(settings.LANGUAGE_CODE)
