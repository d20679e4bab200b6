"""Which matters the demo holds: their fates, categories, stories, places, channels and times.

Each matter gets a *fate* (the path it takes through the loop: resolved on the spot, returned and
re-dispatched, escalated, handled jointly, extended, supervised, reopened, referred out, not
accepted, withdrawn, stalled …) and a time it was received within the last twelve months. A short
list of matters is always included (COVERAGE) so that even a small demo has every status and branch.
"""

import datetime as dt
import random
from dataclasses import dataclass, field

from django.utils import timezone

from yimen.cases.calendar import is_working_day
from yimen.cases.models import Category, Channel, Risk
from yimen.regions.models import Region, Unit

from .geography import Geography
from .staff import Staff
from .stories import Outcomes, Story

CATEGORY_WEIGHTS = {
    "labour": 12, "neighbour": 14, "marriage": 11, "property": 8, "debt": 8, "land": 8, "traffic": 7, "noise": 6,
    "consumer": 5, "contract": 4, "injury": 3, "medical": 3, "demolition": 2, "pollution": 3, "campus": 2, "finance": 2,
    "other": 4,
}
FATE_WEIGHTS = {
    "standard": 44, "on_spot": 9, "return": 7, "escalate": 7, "joint": 5, "extension": 6, "supervised": 4, "reopen": 4,
    "refer_out": 4, "not_accepted": 3, "withdrawn": 3, "stalled": 4,
}
CHANNEL_WEIGHTS = {
    Channel.WALK_IN: 28, Channel.PHONE: 9, Channel.LETTER: 1, Channel.ONLINE: 8, Channel.GRID: 20, Channel.HOTLINE: 12,
    Channel.POLICE: 5, Channel.COURT: 2, Channel.PETITION: 2, Channel.SCREENING: 9, Channel.MONITORING: 4,
}
COURT_CATEGORIES = {"debt", "contract", "marriage", "traffic", "finance", "property", "labour", "neighbour"}
# Non-police incidents the police platform hands over (非警务警情).
POLICE_CATEGORIES = {"neighbour", "noise", "traffic", "marriage", "debt", "labour", "finance", "campus", "medical", "property"}
# Matters that must exist in every demo, whatever its size: one per status and branch.
# (fate, stop after, age in days (low, high))
COVERAGE = [
    ("standard", None, (150, 300)),
    ("on_spot", None, (60, 250)),
    ("standard", "follow_up", (15, 19)),
    ("standard", "resolve", (6, 12)),
    ("standard", "accept", (1, 5)),
    ("standard", "dispatch", (0.4, 2)),
    ("standard", "triage", (0.2, 1)),
    ("standard", "register", (0.02, 0.3)),
    ("return", "return", (1, 4)),
    ("escalate", None, (120, 300)),
    ("joint", None, (100, 300)),
    ("extension", None, (120, 300)),
    ("supervised", None, (120, 300)),
    ("reopen", None, (150, 300)),
    ("refer_out", "refer_out", (60, 300)),
    ("not_accepted", "not_accept", (20, 300)),
    ("withdrawn", "withdraw", (20, 300)),
    ("standard", "dispatch", (30, 90)),  # never signed for: overdue now
    ("standard", "accept", (45, 120)),  # accepted, then nothing: overdue now
    ("supervised", "supervise", (25, 60)),  # a supervision order left unanswered
]


@dataclass
class World:
    """Everything the matter player needs, loaded once."""

    seed: int
    geo: Geography
    staff: Staff
    categories: dict[str, Category]
    usual_urgency: dict[str, str]
    stories: dict[str, list[Story]]
    outcomes: dict[str, Outcomes]
    units_by_kind: dict[str, list[Unit]] = field(default_factory=dict)
    units: dict[int, Unit] = field(default_factory=dict)
    grids: list[Region] = field(default_factory=list)

    def __post_init__(self):
        for unit in self.geo.units:
            self.units[unit.pk] = unit
            self.units_by_kind.setdefault(unit.kind, []).append(unit)
        self.grids = sorted(self.geo.grids(), key=lambda r: r.code)

    def unit_for(self, kind: str, centre_code: str, place_code: str) -> Unit | None:
        """The nearest unit of `kind` over the place that the centre may dispatch to."""
        centre = self.geo.centres[centre_code]
        stationed = self.geo.stationed.get(centre.pk, set())
        best = None
        for unit in self.units_by_kind.get(kind, []):
            code = unit.region.code
            if not place_code.startswith(code):
                continue
            if not (code.startswith(centre_code) or unit.pk in stationed):
                continue
            if best is None or len(code) > len(best.region.code):
                best = unit
        return best

    def urban(self, grid: Region) -> bool:
        return self.geo.urban[grid.code[:12]]


@dataclass
class Plan:
    index: int
    fate: str
    received_at: dt.datetime
    channel: str
    category: str
    story: Story
    grid: Region
    stop_after: str | None = None
    compact: bool = False  # a recent matter that must reach its stop: short waits, no office hours


# ---------------------------------------------------------------------------------------------
# Planning


def local_tz():
    return timezone.get_default_timezone()


def weighted(rng: random.Random, weights: dict):
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _received(rng: random.Random, real_now: dt.datetime, age_days: float, channel: str) -> dt.datetime:
    """A plausible time of day for the channel, `age_days` before now (never after now)."""
    local_now = timezone.localtime(real_now, local_tz())
    moment = local_now - dt.timedelta(days=age_days)
    day = moment.date()
    office = channel in (Channel.WALK_IN, Channel.LETTER, Channel.COURT, Channel.PETITION)
    if office:
        for _ in range(10):
            if is_working_day(day)[0]:
                break
            day -= dt.timedelta(days=1)
        start, end = 8 * 60 + 30, 17 * 60 + 20
    elif channel in (Channel.GRID, Channel.SCREENING):
        start, end = 8 * 60, 19 * 60
    elif channel in (Channel.POLICE, Channel.MONITORING, Channel.ONLINE):
        start, end = 6 * 60, 23 * 60 + 30
    else:
        start, end = 7 * 60 + 30, 21 * 60 + 30
    minute = rng.randint(start, end)
    if office and 12 * 60 <= minute < 14 * 60:
        minute += 2 * 60
    result = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=local_tz())
    if result >= real_now:
        result = real_now - dt.timedelta(minutes=rng.randint(20, 90))
    return result


def _age(rng: random.Random) -> float:
    """Days ago, more matters lately (the centre is used more as people learn of it)."""
    while True:
        age = rng.uniform(0, 365)
        if rng.random() < 1.35 - age / 365 * 0.7:
            return age


def _story_and_grid(rng: random.Random, world: World, category: str, month: int) -> tuple[Story, Region]:
    stories = [s for s in world.stories[category] if not s.season or month in s.season]
    story = rng.choice(stories)
    grids = world.grids
    if story.where == "u":
        grids = [g for g in grids if world.urban(g)]
    elif story.where == "r":
        grids = [g for g in grids if not world.urban(g)]
    grid = rng.choices(grids, weights=[g.households or 1 for g in grids])[0]
    return story, grid


def _category(rng: random.Random, world: World, month: int) -> str:
    weights = {code: w for code, w in CATEGORY_WEIGHTS.items() if code in world.categories and world.stories.get(code)}
    if "labour" in weights and month in (12, 1, 2):
        weights["labour"] *= 1.8  # the year-end rush for wages
    if "noise" in weights and month in (6, 7, 8, 9):
        weights["noise"] *= 1.5  # windows open, night markets
    return weighted(rng, weights)


def _channel(rng: random.Random, fate: str, category: str) -> str:
    if fate == "on_spot":
        return rng.choice((Channel.WALK_IN, Channel.WALK_IN, Channel.PHONE))
    channel = weighted(rng, CHANNEL_WEIGHTS)
    if channel == Channel.COURT and category not in COURT_CATEGORIES:
        channel = Channel.WALK_IN
    if channel == Channel.POLICE and category not in POLICE_CATEGORIES:
        channel = Channel.PHONE
    if fate == "not_accepted" and channel in (Channel.GRID, Channel.SCREENING, Channel.MONITORING):
        channel = Channel.WALK_IN
    return channel


def plan_matters(world: World, count: int, real_now: dt.datetime) -> list[Plan]:
    rng = random.Random(world.seed)
    specs: list[tuple[str, str | None, float, bool]] = []
    for fate, stop, (lo, hi) in COVERAGE[:count]:
        age = rng.uniform(lo, hi)
        specs.append((fate, stop, age, age < 20))
    while len(specs) < count:
        fate = weighted(rng, FATE_WEIGHTS)
        if fate == "stalled":
            specs.append(("standard", rng.choice(("dispatch", "accept", "work")), rng.uniform(25, 150), False))
        else:
            specs.append((fate, None, _age(rng), False))
    plans = []
    for index, (fate, stop, age, compact) in enumerate(specs):
        month = (timezone.localtime(real_now, local_tz()) - dt.timedelta(days=age)).month
        category = _category(rng, world, month)
        story, grid = _story_and_grid(rng, world, category, month)
        if story.risk == Risk.RED and fate == "standard" and stop is None:
            fate = rng.choice(("joint", "joint", "escalate", "standard"))
        channel = _channel(rng, fate, category)
        plans.append(Plan(index, fate, _received(rng, real_now, age, channel), channel, category, story, grid, stop, compact))
    plans.sort(key=lambda p: p.received_at)
    return plans
