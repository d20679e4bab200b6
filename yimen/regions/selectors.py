"""Reads of regions, centres and units."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from yimen.common.refcache import RefCache

from .models import LEVEL_CODE_LENGTH, Centre, Region, Stationing, Unit

# Every registration names its place by code and is registered at the nearest centre above it.
_REGIONS = RefCache("regions", models=(Region,))
_NEAREST_CENTRES = RefCache("nearest_centres", models=(Region, Centre))


def region_by_code(code: str) -> Region | None:
    """The region with this administrative code, or None (cached per process: common.refcache)."""
    code = (code or "").strip()
    if not code:
        return None
    return _REGIONS.get(code, lambda: Region.objects.filter(code=code).first())


def centre_nearest(code: str) -> Centre | None:
    """The centre of the region `code`, or else of its nearest ancestor that has one (with its
    region); None when no centre is at or above it. Cached per process (common.refcache)."""

    def load():
        prefixes = [code[:n] for n in sorted(LEVEL_CODE_LENGTH.values(), reverse=True) if n <= len(code)]
        return Centre.objects.select_related("region").filter(region__code__in=prefixes).order_by("-region__code").first()

    return _NEAREST_CENTRES.get(code, load) if code else None


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


# ---------------------------------------------------------------------------------------------
# Choosing a place (the window's region cascade)


@dataclass(frozen=True)
class CascadeLevel:
    """One <select> of the place chain: its options, the chosen one (None: not chosen yet) and the
    region whose children the options are (None for the first level, the user's own regions)."""

    options: list[Region]
    selected: Region | None
    parent: Region | None


def region_cascade(*, roots: Sequence[Region], selected_code: str = "") -> list[CascadeLevel]:
    """The select chain for choosing a place at or below one of `roots`, down to `selected_code`.

    The first level lists the roots; each chosen region adds a level of its children, ending with the
    children of the chosen place (if it has any) with nothing chosen. A code outside every root, or
    one that names no region, falls back to the deepest existing region on its path within a root,
    else to the first root: nothing outside the roots is ever listed. Two queries, whatever the depth.
    """
    roots = sorted(roots, key=lambda r: r.code)
    if not roots:
        return []
    root = max((r for r in roots if selected_code.startswith(r.code)), key=lambda r: len(r.code), default=roots[0])
    if not selected_code.startswith(root.code):
        selected_code = root.code
    lengths = sorted(n for n in LEVEL_CODE_LENGTH.values() if len(root.code) < n <= len(selected_code))
    below = {r.code: r for r in Region.objects.filter(code__in=[selected_code[:n] for n in lengths])}
    path = [root]
    for n in lengths:
        region = below.get(selected_code[:n])
        if region is None:
            break  # a gap or an unknown code: stop at the deepest region that exists
        path.append(region)
    children: dict[int, list[Region]] = {}
    for child in Region.objects.filter(parent_id__in=[r.pk for r in path]).order_by("code"):
        children.setdefault(child.parent_id, []).append(child)
    levels = [CascadeLevel(options=roots, selected=root, parent=None)]
    for depth, region in enumerate(path):
        options = children.get(region.pk)
        if not options:
            break
        chosen = path[depth + 1] if depth + 1 < len(path) else None
        levels.append(CascadeLevel(options=options, selected=chosen, parent=region))
    return levels


def cascade_choice(codes: Sequence[str]) -> str:
    """The place a cascade's selects name, given their values top-down: the deepest value that lies
    within the one before it. A deeper select left over from an earlier choice (a grid of another
    village) is ignored; an empty value ends the chain."""
    chosen = ""
    for code in codes:
        code = (code or "").strip()
        if not code or (chosen and not code.startswith(chosen)):
            break
        chosen = code
    return chosen
