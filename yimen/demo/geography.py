"""The fictional 云川市: its region tree, centres, units and who sits in which centre.

Every name and code here is made up. 44xx codes are not issued beyond 4453, so 4490 belongs to no real
city. The tree is fixed (not drawn from the seed) so that usernames such as `clerk_taoyuan` are the
same on every machine; households and coordinates come from a Random seeded with each region's code.
"""

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from yimen.regions.models import (
    Centre,
    Level,
    Region,
    RotaSlot,
    Stationing,
    StationingMode,
    Unit,
    UnitKind,
)

CITY_CODE = "4490"
CITY_NAME = "云川市"
CITY_KEY = "yunchuan"
# Approximate centre of the fictional city, for a map later.
CITY_LAT, CITY_LNG = 24.62, 113.18


@dataclass
class Village:
    key: str
    name: str
    urban: bool
    grids: int


@dataclass
class Township:
    key: str
    name: str
    street: bool  # 街道 (urban) rather than 镇/乡
    seat: str  # where the government building is, for addresses
    villages: list[Village]


@dataclass
class County:
    key: str
    name: str
    short: str  # 青溪 / 明湖, for unit names such as 青溪县人民法院
    district: bool
    townships: list[Township]


def _v(key, name, grids, urban=None):
    return Village(key, name, name.endswith("社区") if urban is None else urban, grids)


COUNTIES = [
    County("qingxi", "青溪县", "青溪", False, [
        Township("taoyuan", "桃源镇", False, "新街路3号", [
            _v("xinghua", "杏花村", 3), _v("liutang", "柳塘村", 2), _v("daping", "大坪村", 3), _v("xinjie", "新街社区", 4),
        ]),
        Township("shimen", "石门镇", False, "石门大道18号", [
            _v("shimen", "石门村", 3), _v("shangling", "上岭村", 2), _v("fengshu", "枫树村", 2), _v("hekou", "河口社区", 3),
        ]),
        Township("qinghe", "清河乡", False, "清河街56号", [
            _v("qinghe", "清河村", 3), _v("baisha", "白沙村", 2), _v("zhuyuan", "竹园村", 2),
        ]),
        Township("longquan", "龙泉镇", False, "龙泉路101号", [
            _v("longquan", "龙泉社区", 4), _v("chashan", "茶山村", 3), _v("jingtou", "井头村", 2),
            _v("nangang", "南岗村", 2), _v("aobei", "坳背村", 2),
        ]),
    ]),
    County("minghu", "明湖区", "明湖", True, [
        Township("hubin", "湖滨街道", True, "滨江大道66号", [
            _v("binjiang", "滨江社区", 4), _v("wanghu", "望湖社区", 3), _v("liuan", "柳岸社区", 3), _v("yugang", "渔港社区", 2),
        ]),
        Township("dongcheng", "东城街道", True, "东风路22号", [
            _v("dongmen", "东门社区", 3), _v("xinhua", "新华社区", 4), _v("xuefu", "学府社区", 3), _v("gongye", "工业园社区", 2),
        ]),
        Township("xiguan", "西关街道", True, "西关路9号", [
            _v("xiguan", "西关社区", 3), _v("jinxiu", "锦绣社区", 3), _v("chengxi", "城西村", 2, urban=False),
        ]),
    ]),
]

# The county-level bureaus every county has, with the name pattern ({short}=青溪, {county}=青溪县).
COUNTY_UNITS = [
    (UnitKind.COURT, "{county}人民法院"),
    (UnitKind.PROCURATORATE, "{county}人民检察院"),
    (UnitKind.PUBLIC_SECURITY, "{county}公安局"),
    (UnitKind.JUSTICE_BUREAU, "{county}司法局"),
    (UnitKind.PETITION, "{county}信访局"),
    (UnitKind.HRSS, "{county}人力资源和社会保障局"),
    (UnitKind.HOUSING, "{county}住房和城乡建设局"),
    (UnitKind.NATURAL_RESOURCES, "{county}自然资源局"),
    (UnitKind.HEALTH, "{county}卫生健康委员会"),
    (UnitKind.CIVIL_AFFAIRS, "{county}民政局"),
    (UnitKind.EDUCATION, "{county}教育局"),
    (UnitKind.TRANSPORT, "{county}交通运输局"),
    (UnitKind.ECOLOGY, "{county}生态环境局"),
    (UnitKind.MARKET, "{county}市场监督管理局"),
    (UnitKind.AGRICULTURE, "{county}农业农村局"),
    (UnitKind.WATER, "{county}水利局"),
    (UnitKind.WOMENS_FEDERATION, "{county}妇女联合会"),
    (UnitKind.TRADE_UNION, "{county}总工会"),
]
LAW_FIRMS = {"qingxi": "青溪明理律师事务所", "minghu": "明湖正衡律师事务所"}
CITY_UNITS = [
    (UnitKind.COURT, "云川市中级人民法院"),
    (UnitKind.PETITION, "云川市信访局"),
    (UnitKind.MEDIATION_COMMITTEE, "云川市医疗纠纷人民调解委员会"),
]

# 常驻 / 轮驻 / 随驻 at the county centre (the "5+N+X" pattern of the reports).
COUNTY_RESIDENT = {UnitKind.COURT, UnitKind.PROCURATORATE, UnitKind.PUBLIC_SECURITY, UnitKind.JUSTICE_BUREAU,
                   UnitKind.PETITION, UnitKind.HRSS}
COUNTY_ROTATING = {UnitKind.HOUSING, UnitKind.TRANSPORT, UnitKind.NATURAL_RESOURCES, UnitKind.HEALTH,
                   UnitKind.WATER, UnitKind.WOMENS_FEDERATION}
# County bureaus that send someone to each township centre on fixed days.
TOWNSHIP_ROTATING = {UnitKind.HRSS, UnitKind.COURT, UnitKind.HOUSING}

_GRID_NUMERALS = "一二三四五六七八九十"


@dataclass
class Geography:
    """What was created, keyed for the rest of the loader."""

    city: Region = None
    regions: dict[str, Region] = field(default_factory=dict)  # code -> region
    centres: dict[str, Centre] = field(default_factory=dict)  # region code -> centre
    units: list[Unit] = field(default_factory=list)
    keys: dict[str, str] = field(default_factory=dict)  # region code -> username key (taoyuan, taoyuan_xinghua …)
    urban: dict[str, bool] = field(default_factory=dict)  # village code -> urban community?
    stationed: dict[int, set[int]] = field(default_factory=dict)  # centre id -> unit ids

    def grids(self) -> list[Region]:
        return [r for r in self.regions.values() if r.level == Level.GRID]


def _coord(value: float) -> Decimal:
    return Decimal(f"{value:.6f}")


def _phone(rng: random.Random) -> str:
    # 0700 is not an area code in use; these numbers ring nowhere.
    return f"0700-{rng.randint(2, 8)}{rng.randint(0, 999999):06d}"


def build_geography() -> Geography:
    geo = Geography()
    regions: list[Region] = []

    def add(code, name, level, parent, key, lat, lng, households=None):
        region = Region(code=code, name=name, level=level, parent=parent, latitude=_coord(lat), longitude=_coord(lng),
                        households=households)
        regions.append(region)
        geo.regions[code] = region
        geo.keys[code] = key
        return region

    city = add(CITY_CODE, CITY_NAME, Level.CITY, None, CITY_KEY, CITY_LAT, CITY_LNG)
    geo.city = city
    for ci, county in enumerate(COUNTIES, start=1):
        ccode = f"{CITY_CODE}{ci:02d}"
        rng = random.Random(ccode)
        clat, clng = CITY_LAT + rng.uniform(-0.25, 0.25), CITY_LNG + rng.uniform(-0.3, 0.3)
        county_region = add(ccode, county.name, Level.COUNTY, city, county.key, clat, clng)
        for ti, town in enumerate(county.townships, start=1):
            tcode = f"{ccode}{ti:03d}"
            rng = random.Random(tcode)
            tlat, tlng = clat + rng.uniform(-0.08, 0.08), clng + rng.uniform(-0.08, 0.08)
            town_region = add(tcode, town.name, Level.TOWNSHIP, county_region, town.key, tlat, tlng)
            for vi, village in enumerate(town.villages, start=1):
                vcode = f"{tcode}{vi:03d}"
                rng = random.Random(vcode)
                vlat, vlng = tlat + rng.uniform(-0.02, 0.02), tlng + rng.uniform(-0.02, 0.02)
                households = [rng.randint(320, 580) if village.urban else rng.randint(140, 380) for _ in range(village.grids)]
                village_region = add(vcode, village.name, Level.VILLAGE, town_region, f"{town.key}_{village.key}",
                                     vlat, vlng, sum(households))
                geo.urban[vcode] = village.urban
                for gi in range(1, village.grids + 1):
                    gcode = f"{vcode}{gi:03d}"
                    glat, glng = vlat + rng.uniform(-0.004, 0.004), vlng + rng.uniform(-0.004, 0.004)
                    add(gcode, f"{village.name}第{_GRID_NUMERALS[gi - 1]}网格", Level.GRID, village_region,
                        f"{town.key}_{village.key}_{gi}", glat, glng, households[gi - 1])
    # Parents must have their primary keys before their children are written: one insert per level.
    for level in (Level.CITY, Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE, Level.GRID):
        Region.objects.bulk_create([r for r in regions if r.level == level], batch_size=500)
    # bulk_create sets pks on SQLite and PostgreSQL; re-read to be safe on every backend.
    geo.regions = {r.code: r for r in Region.objects.filter(code__startswith=CITY_CODE)}
    geo.city = geo.regions[CITY_CODE]
    _build_centres(geo)
    _build_units(geo)
    _build_stationings(geo)
    return geo


def _build_centres(geo: Geography) -> None:
    rows = []
    for code, region in sorted(geo.regions.items()):
        if region.level == Level.GRID:
            continue
        rng = random.Random("centre" + code)
        if region.level == Level.CITY:
            address, hours = "云川市明湖区政务大道88号市民服务中心三楼", "周一至周五 8:30-12:00, 14:30-17:30（节假日值班）"
        elif region.level == Level.COUNTY:
            road = "人民路12号" if code.endswith("01") else "湖心路200号"
            address = f"{region.name}{road}社会治理服务中心一楼"
            hours = "周一至周五 8:30-12:00, 14:30-17:30；周六上午值班"
        elif region.level == Level.TOWNSHIP:
            town = _township(code)
            address = f"{region.parent.name}{region.name}{town.seat}{'街道办事处' if town.street else '镇（乡）政府'}一楼"
            hours = "周一至周五 8:30-12:00, 14:30-17:30"
        else:
            address = f"{region.parent.name}{region.name}{'党群服务中心' if geo.urban[code] else '村委会'}一楼"
            hours = "周一至周六 8:00-12:00, 14:30-17:30"
        rows.append(Centre(region=region, name=f"{region.name}综治中心", address=address, phone=_phone(rng), hours=hours))
    Centre.objects.bulk_create(rows)
    geo.centres = {c.region.code: c for c in Centre.objects.select_related("region").filter(region__code__startswith=CITY_CODE)}


def _township(code: str) -> Township:
    county = COUNTIES[int(code[4:6]) - 1]
    return county.townships[int(code[6:9]) - 1]


def _county(code: str) -> County:
    return COUNTIES[int(code[4:6]) - 1]


def _build_units(geo: Geography) -> None:
    rows = []

    def unit(name, kind, region):
        rng = random.Random("unit" + name)
        rows.append(Unit(name=name, kind=kind, region=region, phone=_phone(rng)))

    for kind, name in CITY_UNITS:
        unit(name, kind, geo.city)
    for code, region in sorted(geo.regions.items()):
        if region.level == Level.COUNTY:
            county = _county(code)
            for kind, pattern in COUNTY_UNITS:
                unit(pattern.format(county=county.name, short=county.short), kind, region)
            unit(LAW_FIRMS[county.key], UnitKind.LAW_FIRM, region)
        elif region.level == Level.TOWNSHIP:
            town = _township(code)
            place = region.name
            stem = place[:-2] if town.street else place[:-1]  # 湖滨街道 -> 湖滨, 桃源镇 -> 桃源
            unit(f"{stem}派出所", UnitKind.POLICE_STATION, region)
            unit(f"{place}司法所", UnitKind.JUSTICE_OFFICE, region)
            unit(f"{place}人民调解委员会", UnitKind.MEDIATION_COMMITTEE, region)
            unit(f"{place}办事处" if town.street else f"{place}人民政府", UnitKind.TOWNSHIP_OFFICE, region)
        elif region.level == Level.VILLAGE:
            urban = geo.urban[code]
            committee = f"{region.name}居民委员会" if urban else f"{region.name}村民委员会"
            unit(committee, UnitKind.VILLAGE_COMMITTEE, region)
            unit(f"{region.name}人民调解委员会", UnitKind.MEDIATION_COMMITTEE, region)
    Unit.objects.bulk_create(rows, batch_size=500)
    geo.units = list(Unit.objects.select_related("region").filter(region__code__startswith=CITY_CODE))


_ROTA_DAYS = [(0, 3), (1, 4), (2,), (3,), (1,), (4,), (0,), (2, 4)]


def _build_stationings(geo: Geography) -> None:
    """Who sits in which centre: 常驻 (resident), 轮驻 (rota, with RotaSlot rows) or 随驻 (on call)."""
    by_region: dict[str, list[Unit]] = {}
    for unit in geo.units:
        by_region.setdefault(unit.region.code, []).append(unit)
    plans: list[tuple[Centre, Unit, str, str]] = []
    for code, centre in geo.centres.items():
        level = centre.region.level
        if level == Level.CITY:
            for unit in by_region.get(code, []):
                plans.append((centre, unit, StationingMode.RESIDENT, ""))
        elif level == Level.COUNTY:
            for unit in by_region.get(code, []):
                mode = (StationingMode.RESIDENT if unit.kind in COUNTY_RESIDENT
                        else StationingMode.ROTATING if unit.kind in COUNTY_ROTATING else StationingMode.ON_CALL)
                plans.append((centre, unit, mode, ""))
        elif level == Level.TOWNSHIP:
            for unit in by_region.get(code, []):
                plans.append((centre, unit, StationingMode.RESIDENT, ""))
            # Every county bureau can be called to the township centre (中心吹哨、部门报到); a few
            # come on fixed days.
            for unit in by_region.get(code[:6], []):
                mode = StationingMode.ROTATING if unit.kind in TOWNSHIP_ROTATING else StationingMode.ON_CALL
                plans.append((centre, unit, mode, ""))
        elif level == Level.VILLAGE:
            for unit in by_region.get(code, []):
                plans.append((centre, unit, StationingMode.RESIDENT, ""))
            for unit in by_region.get(code[:9], []):
                if unit.kind in (UnitKind.POLICE_STATION, UnitKind.JUSTICE_OFFICE):
                    plans.append((centre, unit, StationingMode.ROTATING, ""))  # 警务室 / 法律顾问 on fixed days
                elif unit.kind == UnitKind.TOWNSHIP_OFFICE:
                    plans.append((centre, unit, StationingMode.ON_CALL, ""))
    windows: dict[int, int] = {}
    rows = []
    for centre, unit, mode, _ in plans:
        window = ""
        if mode == StationingMode.RESIDENT and centre.region.level in (Level.CITY, Level.COUNTY, Level.TOWNSHIP):
            windows[centre.pk] = windows.get(centre.pk, 0) + 1
            window = f"{windows[centre.pk]}号窗口"
        rows.append(Stationing(centre=centre, unit=unit, mode=mode, window=window))
    Stationing.objects.bulk_create(rows, batch_size=500)
    saved = list(Stationing.objects.select_related("unit", "centre").filter(centre__region__code__startswith=CITY_CODE))
    slots = []
    from .stories.names import person_name

    for stationing in saved:
        geo.stationed.setdefault(stationing.centre_id, set()).add(stationing.unit_id)
        if stationing.mode != StationingMode.ROTATING:
            continue
        rng = random.Random(f"rota{stationing.centre_id}-{stationing.unit_id}")
        for weekday in rng.choice(_ROTA_DAYS):
            morning = rng.random() < 0.6
            starts, ends = (dt.time(8, 30), dt.time(12, 0)) if morning else (dt.time(14, 30), dt.time(17, 30))
            slots.append(RotaSlot(stationing=stationing, weekday=weekday, starts=starts, ends=ends, staff_name=person_name(rng)))
    RotaSlot.objects.bulk_create(slots, batch_size=500)
