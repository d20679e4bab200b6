"""`yimen demo load`: the fictional 云川市 with its centres, units, staff and a year of matters.

1. If the demo city's region exists, do nothing (the command then prints the sign-in table).
2. In one transaction: default time limits if the table is empty, categories and the responsibility
   list, the region tree with centres, units and stationings, the staff, then the matters, each
   driven through intake and transitions at its historical time (see matters.py).
3. Notifications from before the last day are marked delivered: they belong to the past, and the
   worker would otherwise "send" thousands of them to the log on its first run.
One transaction keeps it all-or-nothing (an interrupted load leaves no half region that would make
the next run skip) and is also what makes SQLite fast here.
"""

import time
from collections import Counter
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from yimen.accounts.models import User
from yimen.regions.models import Region

from .catalogue import load_categories, load_responsibilities
from .geography import CITY_CODE, build_geography
from .matters import play_matters
from .planning import World, plan_matters
from .staff import ADMIN_USERNAME, build_staff
from .stories import catalogue


@dataclass
class LoadReport:
    created: bool
    seconds: float = 0.0
    regions: int = 0
    units: int = 0
    users: int = 0
    matters: int = 0
    statuses: Counter | None = None


class DemoConflict(Exception):
    """Accounts with demo usernames exist already (outside a demo load)."""


def demo_exists() -> bool:
    return Region.objects.filter(code=CITY_CODE).exists()


def demo_load(*, matters: int = 2000, seed: int = 2025, on_progress=None) -> LoadReport:
    if demo_exists():
        return LoadReport(created=False)
    started = time.perf_counter()
    real_now = timezone.now()
    if User.objects.filter(username=ADMIN_USERNAME).exists():
        raise DemoConflict(f"用户 {ADMIN_USERNAME} 已存在：演示数据须加载到空数据库 (load the demo into an empty database).")
    with transaction.atomic():
        _ensure_time_limits()
        _ensure_triage_rules()
        categories, usual_urgency = load_categories()
        load_responsibilities(categories)
        geo = build_geography()
        staff = build_staff(geo)
        stories, outcomes = catalogue()
        world = World(seed=seed, geo=geo, staff=staff, categories=categories, usual_urgency=usual_urgency,
                      stories={k: v for k, v in stories.items() if k in categories}, outcomes=outcomes)
        plans = plan_matters(world, matters, real_now)
        statuses = play_matters(world, plans, real_now=real_now, on_progress=on_progress)
        _settle_outbox(real_now)
    return LoadReport(
        created=True, seconds=time.perf_counter() - started, regions=len(geo.regions), units=len(geo.units),
        users=len(staff.users), matters=len(plans), statuses=statuses,
    )


def _ensure_time_limits() -> None:
    """The default policies come with migration cases/0002; a database built without migrations
    (the test suite) gets the same rows here, or no matter would have a limit."""
    from yimen.cases import deadlines
    from yimen.cases.models import TimeLimitPolicy

    if not TimeLimitPolicy.objects.exists():
        TimeLimitPolicy.objects.bulk_create([TimeLimitPolicy(**row) for row in deadlines.DEFAULT_POLICIES])


def _ensure_triage_rules() -> None:
    """Put the triage engine's default rules in its tables, so administrators can edit them in the
    admin (`yimen triage load-defaults` does the same for a production installation)."""
    from yimen.triage.models import SignalRule
    from yimen.triage.rules_db import load_defaults

    if not SignalRule.objects.exists():
        load_defaults()


def _settle_outbox(real_now) -> None:
    from datetime import timedelta

    from yimen.notifications.models import OutboxMessage, OutboxStatus

    OutboxMessage.objects.filter(status=OutboxStatus.PENDING, created_at__lt=real_now - timedelta(days=1)).update(
        status=OutboxStatus.SENT, sent_at=F("created_at"), attempts=1
    )
