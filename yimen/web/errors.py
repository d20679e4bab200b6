"""Domain errors on web forms: the one helper that puts a service's refusal next to the field it
names (or at the top of the form), in the user's language. Nothing typed is lost: the view
re-renders the same bound form."""

from django import forms

from yimen.common.errors import DomainError


def add_domain_error(form: forms.Form, error: DomainError, *, field_map: dict[str, str] | None = None) -> None:
    """Attach `error` to `form`: to the field it names when the form has that field (after
    translating service field names through `field_map`), else as a non-field error."""
    field = getattr(error, "field", None) or ""
    field = (field_map or {}).get(field, field)
    if field and field in form.fields:
        form.add_error(field, str(error.message))
    else:
        form.add_error(None, str(error.message))
