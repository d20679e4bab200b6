"""Data scope: which matters a user may see, and which roles they hold over a given matter.

This is the one place that decides scope. Selectors build their queries from `visible_cases_q`;
the transitions module asks `roles_over_case` before every move.

- Centre roles (clerk, dispatcher, supervisor, director) act for the centre that owns a matter: they
  hold their role over a matter whose owning centre lies in their region or below. After an
  escalation the lower centre still sees the matter (it happened in its region) but no longer acts
  for it.
- Grid workers and external systems act where the matter happened: their region or below.
- Unit roles (handler, mediator, expert) act on matters that were dispatched to their unit.
- A resident (`ResidentActor`) has no account: they hold the resident role over exactly the matters
  they proved they may see, by number and query code or by a verified phone (yimen.residents).
"""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q

from .models import UNIT_ROLES, Membership, Role

# ---- Role groups: every group of roles is named here once; the move table (cases.rules), the
# worklists, the navigation and the demo ask for them by name. ----
# Where a role acts: for a centre, where the matter happened, or for a unit. UNIT_ROLES lives in
# accounts.models (Membership.clean needs it and models import nothing from here) and is re-exported.
CENTRE_ROLES = frozenset({Role.CLERK, Role.DISPATCHER, Role.SUPERVISOR, Role.DIRECTOR})
PLACE_ROLES = frozenset({Role.GRID_WORKER, Role.EXTERNAL})
# Everyone in a unit works the unit's assignments: an expert (a law firm's lawyer) whose unit was
# given a matter signs for it and handles it like a handler or a mediator does.
UNIT_WORK_ROLES = UNIT_ROLES
# Triage, dispatch, joint handling and referral: the dispatcher, and the director in their stead.
DISPATCH_ROLES = frozenset({Role.DISPATCHER, Role.DIRECTOR})
# The window's decisions on a matter before it is dispatched, and archiving: clerk and dispatch roles.
FRONT_DESK_ROLES = frozenset({Role.CLERK}) | DISPATCH_ROLES
# Extensions and supervision orders are decided by the centre's leaders.
LEADER_ROLES = frozenset({Role.SUPERVISOR, Role.DIRECTOR})
# Who watches the centre's work: the supervisor boards, escalation and reopening.
BOARD_ROLES = LEADER_ROLES | {Role.DISPATCHER}
# Who calls back the party after a matter is resolved: centre staff over their region, grid workers on their grid.
FOLLOW_UP_ROLES = frozenset({Role.CLERK, Role.DISPATCHER, Role.GRID_WORKER, Role.SUPERVISOR, Role.DIRECTOR})
# Who may register a matter: the window, dispatch, grid workers and external systems (12345).
REGISTER_ROLES = frozenset({Role.CLERK, Role.DISPATCHER, Role.DIRECTOR, Role.GRID_WORKER, Role.EXTERNAL})
# Who may look at a party's full ID number and phone (each look audited): those who must reach the party.
REVEAL_ROLES = FRONT_DESK_ROLES | UNIT_WORK_ROLES | {Role.GRID_WORKER}
# Who follows their own reports on the home page: the grid worker reports what happens on the grid
# and keeps an eye on it until it is resolved (and then calls back, FOLLOW_UP_ROLES).
REPORTER_ROLES = frozenset({Role.GRID_WORKER})
# The resident, on the residents' pages (never a membership).
RESIDENT_ROLES = frozenset({Role.RESIDENT})


@dataclass(frozen=True)
class Grant:
    role: str
    region_code: str
    unit_id: int | None


class ResidentActor:
    """A resident on the residents' pages, acting on the matters they proved (never a User).

    It answers the few questions the services ask of an actor: not authenticated, no memberships, no
    primary key (so nothing is written into a user foreign key), and a label for the timeline.
    """

    is_authenticated = False
    is_superuser = False
    pk = None

    def __init__(self, *, case_ids=(), phone: str = ""):
        self.case_ids = frozenset(case_ids)
        self.phone = phone

    def __str__(self):
        from yimen.cases.models import mask_phone

        return f"群众（{mask_phone(self.phone)}）" if self.phone else "群众"


def grants_for(user) -> tuple[Grant, ...]:
    """The user's memberships, read once per request (cached on the user object)."""
    if user is None or not user.is_authenticated:
        return ()
    cached = getattr(user, "_yimen_grants", None)
    if cached is None:
        cached = tuple(
            Grant(role, code, unit_id)
            for role, code, unit_id in user.memberships.values_list("role", "region__code", "unit_id")
        )
        user._yimen_grants = cached
    return cached


def remember_grants(user, grants: tuple[Grant, ...]) -> None:
    """Hand `grants_for` the memberships a caller has already read with the user (ApiToken.find)."""
    user._yimen_grants = grants


def sees_everything(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_superuser)


def visible_cases_q(user) -> Q:
    """A filter for Case querysets: the matters this user may see. Q(pk__in=[]) when none."""
    from yimen.cases.models import Assignment

    if sees_everything(user):
        return Q()
    if isinstance(user, ResidentActor):
        return Q(pk__in=sorted(user.case_ids))
    q = Q(pk__in=[])
    unit_ids = set()
    for grant in grants_for(user):
        if grant.role in CENTRE_ROLES or grant.role in PLACE_ROLES:
            # A matter's owning centre is always at or above its place (intake and escalation keep
            # that true), so "owned in my region" implies "happened in my region": one prefix test,
            # one index range.
            q |= Q(region_code__startswith=grant.region_code)
        elif grant.unit_id:
            unit_ids.add(grant.unit_id)
    if unit_ids:
        q |= Q(Exists(Assignment.objects.filter(case=OuterRef("pk"), unit_id__in=unit_ids)))
    return q


def unit_only_scope(user) -> frozenset[int] | None:
    """The units whose assignments are the user's whole scope (only unit roles: handler, mediator,
    expert), or None when the scope is anything else (centre or place roles beside them, a superuser,
    a resident, no grant at all). Lists over such a scope are driven from the units' own index
    (cases.selectors.case_list_for_user); it is the same set of matters as visible_cases_q."""
    if sees_everything(user) or isinstance(user, ResidentActor):
        return None
    grants = grants_for(user)
    if any(g.role in CENTRE_ROLES or g.role in PLACE_ROLES for g in grants):
        return None
    units = frozenset(g.unit_id for g in grants if g.unit_id)
    return units or None


def region_only_scope(user) -> tuple[str, ...] | None:
    """The place prefixes that are the user's whole scope (only centre and place roles; ("",) for one
    who sees everything), or None when the scope is anything else (a unit role beside them, a
    resident, no grant at all). A list over such a scope can be driven from a narrow table that
    carries the matter's place (cases.selectors: the `overdue` list); it is the same set of
    matters as visible_cases_q."""
    if sees_everything(user):
        return ("",)
    if isinstance(user, ResidentActor):
        return None
    grants = grants_for(user)
    if not grants or any(not (g.role in CENTRE_ROLES or g.role in PLACE_ROLES) for g in grants):
        return None
    return tuple(sorted({g.region_code for g in grants}))


def unit_ids_for(user, roles=UNIT_ROLES) -> set[int]:
    return {g.unit_id for g in grants_for(user) if g.role in roles and g.unit_id}


def holds_role(user, roles) -> bool:
    """Whether the user holds one of `roles` anywhere (a superuser holds them all)."""
    return sees_everything(user) or any(g.role in roles for g in grants_for(user))


def region_codes_for(user, roles=None) -> list[str]:
    """Region codes where the user holds one of `roles` (None: any role), without codes inside another one."""
    codes = sorted({g.region_code for g in grants_for(user) if g.region_code and (roles is None or g.role in roles)}, key=len)
    kept: list[str] = []
    for code in codes:
        if not any(code.startswith(k) for k in kept):
            kept.append(code)
    return kept


def region_prefix_q(field_name: str, codes) -> Q:
    """`field_name` starts with one of `codes` (Q(pk__in=[]) when there are none)."""
    q = Q(pk__in=[])
    for code in codes:
        q |= Q(**{f"{field_name}__startswith": code})
    return q


def owned_in_region_q(user, roles, prefix: str = "") -> Q:
    """Matters owned by a centre in the user's region for `roles` (where centre roles act)."""
    if sees_everything(user):
        return Q()
    return region_prefix_q(f"{prefix}owning_code", region_codes_for(user, roles))


def follow_up_scope_q(user) -> Q:
    """Where the user may follow up (the FOLLOW_UP move): centre roles over matters their region
    owns, grid workers over matters that happened on their grid."""
    if sees_everything(user):
        return Q()
    centre = region_codes_for(user, FOLLOW_UP_ROLES & CENTRE_ROLES)
    place = region_codes_for(user, FOLLOW_UP_ROLES & PLACE_ROLES)
    return region_prefix_q("owning_code", centre) | region_prefix_q("region_code", place)


def centre_staff_ids(*, region_id: int, roles) -> list[int]:
    """The active users who hold one of `roles` at the centre of this region (not the regions below)."""
    return list(
        Membership.objects.filter(role__in=roles, region_id=region_id, user__is_active=True)
        .values_list("user_id", flat=True).distinct()
    )


def exact_centre_codes(user, roles) -> list[str]:
    """Region codes of the centres the user acts for with `roles` (exactly, not the regions below)."""
    return sorted({g.region_code for g in grants_for(user) if g.role in roles})


def roles_over_case(user, case, assigned_unit_ids: set[int]) -> frozenset[str]:
    """The roles `user` holds over `case`, given the ids of units that have (had) an assignment on it."""
    if isinstance(user, ResidentActor):
        return frozenset({Role.RESIDENT}) if case.pk in user.case_ids else frozenset()
    roles = set()
    for grant in grants_for(user):
        if grant.role in CENTRE_ROLES:
            if case.owning_code.startswith(grant.region_code):
                roles.add(grant.role)
        elif grant.role in PLACE_ROLES:
            if case.region_code.startswith(grant.region_code):
                roles.add(grant.role)
        elif grant.unit_id in assigned_unit_ids:
            roles.add(grant.role)
    return frozenset(roles)


def can_see_case(user, case, assigned_unit_ids: set[int]) -> bool:
    if sees_everything(user):
        return True
    if isinstance(user, ResidentActor):
        return case.pk in user.case_ids
    for grant in grants_for(user):
        if grant.role in CENTRE_ROLES or grant.role in PLACE_ROLES:
            if case.region_code.startswith(grant.region_code):
                return True
        elif grant.unit_id in assigned_unit_ids:
            return True
    return False


def can_reveal_personal_data(user, case, assigned_unit_ids: set[int]) -> bool:
    """Who may see a party's full ID number and phone (each look is audited)."""
    if sees_everything(user):
        return True
    return bool(roles_over_case(user, case, assigned_unit_ids) & REVEAL_ROLES)


def can_register(user, region) -> bool:
    """Who may register a matter at `region`: front-line roles whose region contains it, and residents
    (the residents' pages name the centre they scanned; intake keeps the place inside its region)."""
    if sees_everything(user) or isinstance(user, ResidentActor):
        return True
    return any(g.role in REGISTER_ROLES and region.code.startswith(g.region_code) for g in grants_for(user))


# ---- 三员分立: what each administrator may do (GB/T 22239-2019 level 3, 访问控制 and 安全管理中心) ----
# The three powers do not overlap, and none includes matters: the system administrator keeps the
# configuration, the security administrator keeps the accounts, the audit administrator reads the
# trail. Nobody — a superuser neither — may change or delete an audit record (yimen.audit).
ADMIN_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})
_ALL = frozenset({"view", "add", "change", "delete"})
# Reference data and policies (admin models); not matters, parties, residents' codes or saved filters.
CONFIGURATION_MODELS = frozenset({
    "regions.region", "regions.centre", "regions.unit", "regions.stationing",
    "cases.timelimitpolicy", "cases.calendarday", "cases.calendaryear", "cases.category",
    "cases.responsibility", "cases.tag",
    "triage.categoryprofile", "triage.categorylexiconterm", "triage.signalrule", "triage.graderule",
    "triage.unitrule", "triage.triagesetting", "triage.triagemodelversion", "triage.statute",
})
ADMIN_POWERS: dict[str, dict[str, frozenset]] = {
    Role.SYSTEM_ADMIN: {model: _ALL for model in CONFIGURATION_MODELS},
    Role.SECURITY_ADMIN: {
        "accounts.user": _ALL,
        "accounts.membership": _ALL,
        "accounts.apitoken": frozenset({"view", "change", "delete"}),  # issued by `yimen token create`
        "axes.accessattempt": frozenset({"view", "delete"}),  # deleting a row unlocks the account
        "axes.accessfailurelog": frozenset({"view"}),
        "axes.accesslog": frozenset({"view"}),
        "otp_totp.totpdevice": frozenset({"view", "change", "delete"}),  # reset a lost authenticator
    },
    Role.AUDIT_ADMIN: {"audit.auditevent": frozenset({"view"})},
}


def admin_roles_of(user) -> frozenset[str]:
    return frozenset(g.role for g in grants_for(user) if g.role in ADMIN_ROLES)


def admin_permissions(user) -> frozenset[str]:
    """Django permission names ("app_label.action_model") the user's administrator roles give."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_yimen_admin_perms", None)
    if cached is None:
        perms = set()
        for role in admin_roles_of(user):
            for label, actions in ADMIN_POWERS[role].items():
                app_label, model = label.split(".")
                perms |= {f"{app_label}.{action}_{model}" for action in actions}
        cached = user._yimen_admin_perms = frozenset(perms)
    return cached


def may_read_audit(user) -> bool:
    """Only the audit administrator reads (and exports) the audit trail; a superuser by itself does not."""
    return Role.AUDIT_ADMIN in admin_roles_of(user)


def needs_admin_site(user) -> bool:
    """is_staff for the Django admin: superusers and holders of an administrator role."""
    return bool(user.is_superuser or admin_roles_of(user))


class AdministratorRolesBackend:
    """An authentication backend that authenticates no one and answers Django's permission questions
    from ADMIN_POWERS, so every ModelAdmin's has_*_permission and the admin index follow the roles."""

    def authenticate(self, request, **credentials):
        return None

    def get_user(self, user_id):
        return None

    def get_all_permissions(self, user_obj, obj=None):
        return set(admin_permissions(user_obj))

    def has_perm(self, user_obj, perm, obj=None):
        return perm in admin_permissions(user_obj)

    def has_module_perms(self, user_obj, app_label):
        return any(p.startswith(app_label + ".") for p in admin_permissions(user_obj))
