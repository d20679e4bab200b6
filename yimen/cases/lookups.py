"""Reads for the unified window (无差别受理): a person's earlier matters, the category tree for the
type-ahead, the places a user may register at, the matter a receipt is printed for, and the
notice of non-acceptance.

Scope comes from accounts.scopes (visible_cases_q, can_register, REGISTER_ROLES), never decided
here. Each function costs a fixed number of queries, however long a person's history is.
"""

from dataclasses import dataclass

from django.db.models import Case as SqlCase
from django.db.models import IntegerField, OuterRef, Prefetch, Q, Subquery, Value, When
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from yimen.accounts.scopes import REGISTER_ROLES, can_register, region_codes_for, sees_everything
from yimen.common.errors import NotFound, PermissionDenied
from yimen.regions.models import Region
from yimen.regions.selectors import CascadeLevel, region_cascade

from .models import OPEN_STATUSES, Case, Category, EventKind, LinkKind, Party, PartyRole, Status, mask_id_number, mask_phone
from .selectors import case_visible_qs

# What the window shows of one person: enough to spot a repeat, not a dossier.
PARTY_HISTORY_LIMIT = 10
CATEGORY_SEARCH_LIMIT = 12
CATEGORY_PATH_SEPARATOR = " › "


# ---------------------------------------------------------------------------------------------
# A person's earlier matters


@dataclass(frozen=True)
class PartyHistory:
    """Earlier matters of the person with this ID number or phone, among those the user may see.

    `open_matters` and `closed_matters` are newest first, each at most PARTY_HISTORY_LIMIT long;
    `more` says either list was cut. Each matter carries `party_role` and `party_role_label`: the person's role in it.
    """

    looked_up: list[str]  # what was looked up, masked ("身份证 110101********4477")
    open_matters: list[Case]
    closed_matters: list[Case]
    more: bool

    @property
    def is_repeat(self) -> bool:
        return bool(self.open_matters)

    @property
    def repeat_label(self) -> str:
        return str(LinkKind.REPEAT.label)

    @property
    def is_empty(self) -> bool:
        return not self.open_matters and not self.closed_matters


def party_history_for_user(*, user, id_number: str = "", phone: str = "") -> PartyHistory | None:
    """The matters in the user's scope whose parties carry this (already validated) ID number or
    phone; None when neither is given. Two queries (open, then the rest), served by the partial
    indexes party_id_number / party_phone that repeat detection (triage_link.DbHistory) also uses.

    Only the matters' own fields are read: no other party's name, number or phone is shown.
    """
    who = Q()
    looked_up = []
    if id_number:
        # `<> ''` as in DbHistory.by_party: lets SQLite use the partial index.
        who |= Q(id_number=id_number) & ~Q(id_number="")
        looked_up.append(_("身份证 %(v)s") % {"v": mask_id_number(id_number)})
    if phone:
        who |= Q(phone=phone) & ~Q(phone="")
        looked_up.append(_("电话 %(v)s") % {"v": mask_phone(phone)})
    if not looked_up:
        return None
    parties = Party.objects.filter(who)
    role = Subquery(parties.filter(case=OuterRef("pk")).values("role")[:1])
    base = (
        case_visible_qs(user)
        .filter(pk__in=parties.values("case_id"))
        .select_related("category")
        .only("number", "title", "status", "received_at", "category__name")
        .annotate(party_role=role)
        .order_by("-received_at", "-id")
    )
    open_rows = list(base.filter(status__in=OPEN_STATUSES)[: PARTY_HISTORY_LIMIT + 1])
    closed_rows = list(base.exclude(status__in=OPEN_STATUSES)[: PARTY_HISTORY_LIMIT + 1])
    for case in (*open_rows, *closed_rows):
        case.party_role_label = str(PartyRole(case.party_role).label) if case.party_role in PartyRole.values else ""
    more = len(open_rows) > PARTY_HISTORY_LIMIT or len(closed_rows) > PARTY_HISTORY_LIMIT
    return PartyHistory(looked_up, open_rows[:PARTY_HISTORY_LIMIT], closed_rows[:PARTY_HISTORY_LIMIT], more)


# ---------------------------------------------------------------------------------------------
# The category tree


@dataclass(frozen=True)
class CategoryChoice:
    id: int
    code: str
    name: str
    path: str  # "劳资纠纷 › 欠薪"


def category_choices() -> list[CategoryChoice]:
    """Every active category whose ancestors are all active, with its path, in tree order. One query
    (the tree is small and edited by administrators)."""
    rows = {r["id"]: r for r in Category.objects.values("id", "code", "name", "parent_id", "active", "ordering")}
    out = []
    for row in rows.values():
        lineage, node = [], row
        while node is not None and node["active"]:
            lineage.append(node)
            node = rows.get(node["parent_id"]) if node["parent_id"] else None
        if node is not None:
            continue  # itself or an ancestor is switched off
        lineage.reverse()
        key = tuple((n["ordering"], n["code"]) for n in lineage)
        path = CATEGORY_PATH_SEPARATOR.join(n["name"] for n in lineage)
        out.append((key, CategoryChoice(row["id"], row["code"], row["name"], path)))
    out.sort(key=lambda pair: pair[0])
    return [choice for _key, choice in out]


def category_search(text: str, *, limit: int = CATEGORY_SEARCH_LIMIT) -> list[CategoryChoice]:
    """Type-ahead: categories whose name, path or code contains `text` (case-insensitive), names
    that start with it first. One query."""
    needle = (text or "").strip().casefold()
    if not needle:
        return []
    hits = [c for c in category_choices() if needle in c.path.casefold() or needle in c.code.casefold()]
    hits.sort(key=lambda c: (not c.name.casefold().startswith(needle), needle not in c.name.casefold()))
    return hits[:limit]


def category_paths() -> dict[int, str]:
    return {c.id: c.path for c in category_choices()}


# ---------------------------------------------------------------------------------------------
# Where a user may register


def register_roots_for(user) -> list[Region]:
    """The highest regions the user may register matters in (REGISTER_ROLES grants; everything for
    a superuser), without any that lies inside another. One query."""
    if sees_everything(user):
        return list(Region.objects.filter(parent__isnull=True).order_by("code"))
    tops = region_codes_for(user, REGISTER_ROLES)
    return list(Region.objects.filter(code__in=tops).order_by("code")) if tops else []


def place_cascade_for(user, *, selected_code: str = "") -> list[CascadeLevel]:
    """The window's place selects for `user`: their own regions and below only."""
    return region_cascade(roots=register_roots_for(user), selected_code=selected_code or "")


# ---------------------------------------------------------------------------------------------
# The receipt


def _parties_in_role_order():
    """A matter's parties as a receipt lists them: applicants, respondents, third parties (the order
    of PartyRole), each role in the order they were entered."""
    rank = SqlCase(*(When(role=role, then=Value(i)) for i, role in enumerate(PartyRole.values)),
                   default=Value(len(PartyRole.values)), output_field=IntegerField())
    return Party.objects.order_by(rank, "id")


def case_receipt_get(*, user, number: str) -> Case:
    """The matter a receipt (受理回执) is printed for, with its centre, place, category and every
    party (`case.parties.all()` in role order; one query however many there are).

    NotFound outside the user's scope. The receipt carries the resident's query code (the API gives
    it only at registration), so it is printed only by someone who may register matters at that
    place (scopes.can_register); anyone else who sees the matter gets PermissionDenied.
    """
    case = (
        case_visible_qs(user)
        .select_related("registering_centre", "region", "category", "registered_by")
        .prefetch_related(Prefetch("parties", queryset=_parties_in_role_order()))
        .defer("triage")
        .filter(number=number)
        .first()
    )
    if case is None:
        raise NotFound()
    if not can_register(user, case.region):
        raise PermissionDenied(_("只有可在该地登记事项的人员可以打印受理回执。"))
    return case


# ---------------------------------------------------------------------------------------------
# The notice of non-acceptance (不予受理告知书)

# No category carries its own statute for turning a matter away, so the notice cites the general
# rules of classified handling: petitions go to the lawful channel, disputes to the body in charge.
NOT_ACCEPT_LEGAL_BASIS = _l(
    "依据《信访工作条例》关于依法分类处理信访诉求的规定和《中华人民共和国人民调解法》的有关规定，"
    "该事项不属于本中心受理范围，请按上述去向依法反映或申请处理。"
)


@dataclass(frozen=True)
class NotAcceptNotice:
    """What the 不予受理告知书 prints: reason and where to go exactly as the clerk wrote them."""

    case: Case
    parties: list[Party]
    reason: str
    where_to_go: str
    decided_at: object  # datetime of the decision
    legal_basis: str


def not_accept_notice_get(*, user, number: str) -> NotAcceptNotice:
    """The notice for a matter not accepted; NotFound outside the user's scope or if it was accepted."""
    case = (
        case_visible_qs(user)
        .select_related("registering_centre", "owning_centre")
        .prefetch_related("parties")
        .defer("triage")
        .filter(number=number, status=Status.NOT_ACCEPTED)
        .first()
    )
    if case is None:
        raise NotFound()
    event = case.events.filter(kind=EventKind.NOT_ACCEPTED).order_by("-created_at", "-id").first()
    if event is None:
        raise NotFound()
    return NotAcceptNotice(
        case=case,
        parties=[p for p in case.parties.all() if p.role == PartyRole.APPLICANT] or list(case.parties.all()),
        reason=event.reason,
        where_to_go=event.payload.get("where_to_go", ""),
        decided_at=event.created_at,
        legal_basis=str(NOT_ACCEPT_LEGAL_BASIS),
    )
