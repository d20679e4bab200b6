"""The search tokens of each matter (see yimen/cases/search.py for what they are and who writes them)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .case import Case


class SearchDocumentField(models.Field):
    """A list of tokens: a `tsvector` on PostgreSQL (GIN-indexed), space-separated text elsewhere
    (indexed by the FTS5 table `cases_casesearch_fts`). Written only; never read back as a list."""

    def db_type(self, connection):
        return "tsvector" if connection.vendor == "postgresql" else "text"

    def get_placeholder(self, value, compiler, connection):
        # The tokens go in as an array: no text search parser (and no quoting rule) is involved.
        return "array_to_tsvector(%s::text[])" if connection.vendor == "postgresql" else "%s"

    def get_db_prep_value(self, value, connection, prepared=False):
        if value is None:
            return None
        if isinstance(value, str):
            value = value.split()
        return list(value) if connection.vendor == "postgresql" else " ".join(value)


class CaseSearch(models.Model):
    # A table of its own rather than a column of cases_case: the tokens (~1 KB a matter) would
    # double the rows every list walks.
    case = models.OneToOneField(Case, verbose_name=_("事项"), primary_key=True, on_delete=models.CASCADE,
                                related_name="search")
    document = SearchDocumentField(_("检索词"))

    class Meta:
        verbose_name = _("事项检索词")
        verbose_name_plural = _("事项检索词")


__all__ = ["CaseSearch", "SearchDocumentField"]
