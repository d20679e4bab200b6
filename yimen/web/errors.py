"""Domain errors in the workbench: the one helper that puts a service's refusal next to the field it
names (or at the top of the form), in the user's language — nothing typed is lost: the view
re-renders the same bound form — and the one that turns a loader's refusal into the page's answer."""

from django import forms
from django.core.exceptions import PermissionDenied as Forbidden
from django.http import Http404

from yimen.common.errors import DomainError, NotFound, PermissionDenied


def found_or_404(load, /, **kwargs):
    """`load(**kwargs)`, answering 404 for what the user may not see (never 403: it does not exist for
    them) and 403 with the loader's reason for what they see but may not open."""
    try:
        return load(**kwargs)
    except NotFound:
        raise Http404 from None
    except PermissionDenied as error:
        raise Forbidden(str(error.message)) from None


def add_domain_error(form: forms.Form, error: DomainError, *, field_map: dict[str, str] | None = None) -> None:
    """Attach `error` to `form`: to the field it names when the form has that field (after
    translating service field names through `field_map`), else as a non-field error."""
    field = getattr(error, "field", None) or ""
    field = (field_map or {}).get(field, field)
    if field and field in form.fields:
        form.add_error(field, str(error.message))
    else:
        form.add_error(None, str(error.message))
