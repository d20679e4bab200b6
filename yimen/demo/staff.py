"""The demo's people: one of each role at each level, with names that say where they work.

Usernames follow one pattern so that a newcomer can guess them:
  <role>_<place>                  clerk_taoyuan, dispatcher_qingxi, director_yunchuan
  handler_<place>_<unit kind>     handler_qingxi_hrss, handler_taoyuan_police_station
  mediator_<place>                the mediation committee of a township or village
  handler_<township>_<village>    the village (residents') committee
  grid_<township>_<village>_<n>   the grid worker of grid n
  hotline_<county>                the 12345 hotline's system account
Every account has the password DEMO_PASSWORD. It is hashed once and the hash reused: hashing two
hundred passwords with PBKDF2 would take most of the load time. The demo exists only in demo mode
(settings.YIMEN_DEMO); outside it, an account still on this password stops the start (demo/checks.py).
"""

import random
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password

from yimen.accounts.models import Membership, Role, User
from yimen.accounts.scopes import CENTRE_ROLES
from yimen.regions.models import Level, Unit, UnitKind

from .geography import Geography
from .stories.names import mobile, person_name

DEMO_PASSWORD = "yimen-demo"
# A fixed salt marks the demo's hash, so the start-up check (demo/checks.py) finds it cheaply.
DEMO_PASSWORD_SALT = "yimendemo0000000published"
ADMIN_USERNAME = "admin"
# 三员分立: the three administrators, each over the whole demo city (accounts.scopes.ADMIN_POWERS). The
# superuser `admin` above exists for the demo only.
ADMINISTRATORS = (
    ("sysadmin", "系统管理员（演示）", Role.SYSTEM_ADMIN),
    ("secadmin", "安全管理员（演示）", Role.SECURITY_ADMIN),
    ("auditor", "审计管理员（演示）", Role.AUDIT_ADMIN),
)
MEDIATION_KINDS = {UnitKind.MEDIATION_COMMITTEE}


@dataclass
class Staff:
    users: dict[str, User] = field(default_factory=dict)  # username -> user
    centre: dict[tuple[str, str], User] = field(default_factory=dict)  # (region code, role) -> user
    unit: dict[int, User] = field(default_factory=dict)  # unit id -> the person who acts for it
    grid: dict[str, User] = field(default_factory=dict)  # grid code -> grid worker
    hotline: dict[str, User] = field(default_factory=dict)  # county code -> 12345 account

    def at(self, code: str, role: str) -> User | None:
        """The nearest user with `role` at or above the region `code`."""
        for n in (15, 12, 9, 6, 4):
            if n <= len(code) and (code[:n], role) in self.centre:
                return self.centre[(code[:n], role)]
        return None


def _unit_username(geo: Geography, unit: Unit) -> str:
    place = geo.keys[unit.region.code]
    if unit.kind in MEDIATION_KINDS:
        return f"mediator_{place}"
    if unit.kind == UnitKind.VILLAGE_COMMITTEE:
        return f"handler_{place}"
    return f"handler_{place}_{unit.kind}"


def build_staff(geo: Geography) -> Staff:
    """Create every demo account and its membership; returns them keyed for the matter loader."""
    password = make_password(DEMO_PASSWORD, salt=DEMO_PASSWORD_SALT)
    plans: list[tuple[str, str, str, object, Unit | None, dict]] = []  # username, full name, role, region, unit, extra

    def plan(username, role, region, unit=None, full_name=None, **extra):
        rng = random.Random(username)
        plans.append((username, full_name or person_name(rng), role, region, unit, extra))

    for code, region in sorted(geo.regions.items()):
        key = geo.keys[code]
        if region.level in (Level.CITY, Level.COUNTY, Level.TOWNSHIP):
            for role in [r for r in Role if r in CENTRE_ROLES]:  # in the order of Role
                plan(f"{role}_{key}", role, region)
        elif region.level == Level.VILLAGE:
            plan(f"dispatcher_{key}", Role.DISPATCHER, region)  # the village's 综治专干
        else:
            plan(f"grid_{key}", Role.GRID_WORKER, region)
        if region.level == Level.COUNTY:
            plan(f"hotline_{key}", Role.EXTERNAL, region, full_name=f"{region.name}12345热线")
    for unit in geo.units:
        role = Role.MEDIATOR if unit.kind in MEDIATION_KINDS else Role.HANDLER
        plan(_unit_username(geo, unit), role, unit.region, unit)
        if unit.kind == UnitKind.LAW_FIRM:
            plan(f"expert_{geo.keys[unit.region.code]}", Role.EXPERT, unit.region, unit)

    User.objects.bulk_create(
        [User(username=ADMIN_USERNAME, full_name="系统管理员", password=password, is_staff=True, is_superuser=True)]
        + [User(username=u, full_name=name, password=password, is_staff=True) for u, name, _r in ADMINISTRATORS]
        + [User(username=u, full_name=name, password=password, phone=mobile(random.Random("phone" + u)))
           for u, name, *_ in plans],
        batch_size=500,
    )
    names = [ADMIN_USERNAME] + [a[0] for a in ADMINISTRATORS] + [p[0] for p in plans]
    users = {u.username: u for u in User.objects.filter(username__in=names)}
    top = min(geo.regions.values(), key=lambda r: len(r.code))  # the city: what the administrators cover
    Membership.objects.bulk_create(
        [Membership(user=users[u], role=role, region=top) for u, _n, role in ADMINISTRATORS]
        + [Membership(user=users[u], role=role, region=region, unit=unit) for u, _n, role, region, unit, _e in plans],
        batch_size=500,
    )
    staff = Staff(users=users)
    for username, _name, role, region, unit, _extra in plans:
        user = users[username]
        if unit is not None:
            # The unit's handler or mediator is planned before its expert: the first acts for the unit.
            staff.unit.setdefault(unit.pk, user)
        elif role == Role.GRID_WORKER:
            staff.grid[region.code] = user
        elif role == Role.EXTERNAL:
            staff.hotline[region.code] = user
        elif role in CENTRE_ROLES:
            staff.centre[(region.code, role)] = user
    return staff
