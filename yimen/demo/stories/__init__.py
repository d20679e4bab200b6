"""Texts for the demo matters: situations per category, filled with made-up names, sums and places.

A `Story` is one situation with slots (`{A}` the applicant, `{B}` the other side, `{n}` how many people,
`{amt}` the sum, `{village}` where, …). `render` fills it for one matter; a slot keeps its value within
that matter, so the title, description, request and result agree with each other. Each category also
has outcome texts (what was agreed, what was done, what was explained), used when the matter is closed.
"""

import datetime as dt
import random
from dataclasses import dataclass

from . import names


@dataclass(frozen=True)
class Story:
    title: str
    text: str
    request: str
    amount: tuple[int, int] | None = None  # the sum in dispute, in yuan
    heads: tuple[int, int] | None = None  # how many people bring it
    respondent: str = "person:{B}"  # "person:…", "org:…", or "" for none
    applicant: str = "person:{A}"
    where: str = ""  # "u" urban communities only, "r" villages only, "" anywhere
    risk: str = "blue"
    urgency: str = ""
    tags: tuple[str, ...] = ()
    female: bool | None = None  # the applicant's sex, where the story says it
    elderly: bool = False
    season: tuple[int, ...] = ()  # months in which the story can happen (e.g. before the Spring Festival)


# An outcome text is either plain (fits any story of its category) or (conditions, text): used only
# for a story that meets one of the conditions ("|"-separated): a word in its title or description,
# or @group (three people or more), @solo, @amount (a sum is in dispute), @party (there is another side).
Text = str | tuple[str, str]


@dataclass(frozen=True)
class Outcomes:
    remedies: tuple[Text, ...]  # 调解成功: what the parties agreed
    fixes: tuple[Text, ...]  # 已解决: what the units did
    explains: tuple[Text, ...]  # 解释说明: why the request could not be supported
    progress: tuple[Text, ...]  # handling steps
    extras: tuple[Text, ...] = ()  # sentences that may follow the description


@dataclass
class Rendered:
    title: str
    description: str
    request: str
    amount: int | None
    headcount: int
    applicant: tuple[str, str]  # (kind, name)
    respondent: tuple[str, str] | None
    risk: str
    urgency: str
    tags: tuple[str, ...]
    slots: "Slots"


def money_text(value: int) -> str:
    """24万余元 / 8.6万元 / 4800元, as the reports write sums."""
    if value >= 10000:
        wan = value / 10000
        if wan >= 10 and value % 10000:
            return f"{int(wan)}万余元"
        return f"{wan:.1f}万元".replace(".0万", "万")
    return f"{value}元"


def _round_amount(rng: random.Random, lo: int, hi: int) -> int:
    value = rng.randint(lo, hi)
    step = 1000 if value >= 100000 else 100 if value >= 5000 else 10
    return max(step, value // step * step)


_PROJECTS = ("安置小区", "村道硬化", "厂房扩建", "学校教学楼", "污水管网", "河道整治", "商住楼", "农贸市场改造", "乡镇卫生院综合楼",
             "高速连接线", "工业园标准厂房", "老旧小区改造")
_TRADES = ("钢筋工", "木工", "泥水工", "架子工", "水电安装", "杂工", "外墙涂料", "防水")
_PURPOSES = ("养殖周转", "买货车跑运输", "开店进货", "建房", "给家人看病", "承包果园")
_OPS = ("胆囊切除", "膝关节置换", "阑尾切除", "白内障", "腰椎间盘", "剖宫产")


class Slots(dict):
    """Slot values for one matter, made on first use and then kept."""

    def __init__(self, rng: random.Random, place: dict, received: dt.datetime, story: Story):
        super().__init__()
        self.rng = rng
        self.place = place
        self.received = received
        self.story = story

    def __missing__(self, key: str) -> str:
        value = self._make(key)
        self[key] = value
        return value

    def _make(self, key: str):  # one table of slot kinds, read top to bottom
        rng, place, story = self.rng, self.place, self.story
        if key == "A":
            return names.person_name(rng, female=story.female)
        if key in ("B", "C", "D"):
            return names.person_name(rng)
        if key in ("As", "Bs", "Cs"):
            return self[key[0]][0] + "某"
        if key == "A_sur":
            return self["A"][0]
        if key == "n":
            lo, hi = story.heads or (1, 1)
            return str(rng.randint(lo, hi))
        if key == "amount":
            lo, hi = story.amount or (1000, 5000)
            return _round_amount(rng, lo, hi)
        if key == "amt":
            return money_text(self["amount"])
        if key == "small":
            base = self["amount"] if story.amount else 6000
            return str(_round_amount(rng, max(200, base // 20), max(400, base // 6)))
        if key in ("village", "township", "county", "grid"):
            return place[key]
        if key == "estate":
            return place.get("estate") or rng.choice(names.ESTATES)
        if key == "project":
            return rng.choice(_PROJECTS)
        if key == "trade":
            return rng.choice(_TRADES)
        if key == "purpose":
            return rng.choice(_PURPOSES)
        if key == "op":
            return rng.choice(_OPS)
        if key.startswith("co_"):
            trade = {"co_build": "building", "co_fact": "factory", "co_log": "logistics", "co_svc": "service",
                     "co_prop": "property", "co_shop": "shop", "co_train": "training", "co_farm": "farm",
                     "co_fin": "finance", "co_auto": "auto", "co_realty": "realty"}[key]
            return names.company(rng, trade)
        pools = {
            "road": names.ROADS, "shop": names.SHOPS, "school": names.SCHOOLS, "hospital": names.HOSPITALS,
            "bank": names.BANKS, "crop": names.CROPS, "tree": names.TREES, "livestock": names.LIVESTOCK,
            "field": names.FIELDS, "vehicle": names.VEHICLES, "vehicle2": names.VEHICLES, "product": names.PRODUCTS,
            "room": names.ROOMS, "elder": names.RELATIVES_ELDER,
        }
        if key in pools:
            return rng.choice(pools[key])
        ranges = {"months": (2, 14), "days": (3, 25), "years": (2, 15), "age": (66, 89), "kid_age": (7, 15),
                  "k": (2, 4), "pct": (20, 60)}
        if key in ranges:
            return str(rng.randint(*ranges[key]))
        if key == "mu":
            return f"{rng.choice((0.8, 1.2, 1.5, 2.3, 3, 3.6, 4.5, 6, 8, 12, 20, 35))}亩"
        if key == "sqm":
            return str(rng.choice((6, 8, 12, 15, 20, 26, 30)))
        if key == "m":
            return rng.choice(("半", "0.6", "0.8", "1", "1.5", "2"))
        if key == "floor":
            return rng.choice(("楼上", "楼下", "隔壁", "对门"))
        if key == "since":
            return _since(rng, self.received, 2, 20)
        if key == "since_short":
            return rng.choice(("上个月", "前几天", "本月初", "上周", "半个月前", "月初"))
        raise KeyError(key)


def _since(rng: random.Random, received: dt.datetime, lo: int, hi: int) -> str:
    months_back = rng.randint(lo, hi)
    year, month = received.year, received.month - months_back
    while month <= 0:
        month += 12
        year -= 1
    if year == received.year:
        return f"今年{month}月"
    if year == received.year - 1:
        return f"去年{month}月"
    return f"{year}年{month}月"


def _fits(conditions: str, story: Story, heads: int, text: str) -> bool:
    for condition in conditions.split("|"):
        if condition == "@group" and heads >= 3 or condition == "@solo" and heads < 3:
            return True
        if condition == "@amount" and story.amount or condition == "@party" and story.respondent:
            return True
        if not condition.startswith("@") and condition in text:
            return True
    return False


def pick(rng: random.Random, entries, *, story: Story, heads: int, text: str) -> str:
    """A text that fits the story: one made for it (most of the time) or a plain one."""
    specific, plain = [], []
    for entry in entries:
        if isinstance(entry, str):
            plain.append(entry)
        elif _fits(entry[0], story, heads, text):
            specific.append(entry[1])
    if specific and (not plain or rng.random() < 0.8):
        return rng.choice(specific)
    return rng.choice(plain) if plain else ""


def _party(spec: str, slots: Slots) -> tuple[str, str] | None:
    if not spec:
        return None
    kind, _, template = spec.partition(":")
    return kind, template.format_map(slots)


def render(story: Story, *, rng: random.Random, place: dict, received: dt.datetime, extras: tuple[str, ...]) -> Rendered:
    slots = Slots(rng, place, received, story)
    text = story.text.format_map(slots)
    heads = int(slots["n"]) if story.heads else 1
    if extras and rng.random() < 0.55:
        text += pick(rng, extras, story=story, heads=heads, text=story.title + text).format_map(slots)
    return Rendered(
        title=story.title.format_map(slots)[:120],
        description=text,
        request=story.request.format_map(slots),
        amount=slots["amount"] if story.amount else None,
        headcount=heads,
        applicant=_party(story.applicant, slots),
        respondent=_party(story.respondent, slots),
        risk=story.risk,
        urgency=story.urgency,
        tags=story.tags,
        slots=slots,
    )


def catalogue() -> tuple[dict[str, list[Story]], dict[str, Outcomes]]:
    """All stories and outcomes, by category code."""
    from . import family, land, money, public

    stories: dict[str, list[Story]] = {}
    outcomes: dict[str, Outcomes] = {}
    for module in (family, money, land, public):
        stories.update(module.STORIES)
        outcomes.update(module.OUTCOMES)
    return stories, outcomes


__all__ = ["Outcomes", "Rendered", "Slots", "Story", "Text", "catalogue", "money_text", "pick", "render"]
