"""Reads of regions, centres and units."""

from django.db.models import Exists, OuterRef, Q, QuerySet

from .models import Stationing, Unit


def dispatchable_units(centre) -> QuerySet:
    """The units a centre may dispatch to: those in its region and below, and those stationed in it
    (a county bureau sitting in a township centre by rota). The one definition of that reach."""
    stationed = Stationing.objects.filter(centre=centre, unit=OuterRef("pk"))
    return (
        Unit.objects.filter(active=True)
        .filter(Q(region__code__startswith=centre.region.code) | Q(Exists(stationed)))
        .select_related("region")
        .order_by("region__code", "name")
    )
