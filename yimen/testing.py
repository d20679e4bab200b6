"""A small world shared by every test: one city, two counties, people at each level.

Permission tests read the same everywhere: `world.clerk` is a clerk of 桃源镇 (the township), and
`world.outsider` is a dispatcher in another county who must never see 桃源镇's matters.

It lives beside settings.py, not in an app: it knows regions, accounts and cases, and every app's
tests (the `world` fixture of yimen/conftest.py), the backup tests and the bench build on it.
"""

from types import SimpleNamespace

from django.contrib.auth.hashers import make_password

from yimen.accounts.models import Membership, Role, User
from yimen.regions.models import Centre, Level, Region, Stationing, StationingMode, Unit, UnitKind

_PASSWORD_HASH = None


def _user(username, full_name, role, region, unit=None):
    global _PASSWORD_HASH
    if _PASSWORD_HASH is None:
        _PASSWORD_HASH = make_password("pw")
    user = User.objects.create(username=username, full_name=full_name, password=_PASSWORD_HASH)
    Membership.objects.create(user=user, role=role, region=region, unit=unit)
    return user


def _region(code, name, level, parent=None, **extra):
    return Region.objects.create(code=code, name=name, level=level, parent=parent, **extra)


def default_policies():
    """The default time limits, as the data migration installs them (tests run without migrations)."""
    from yimen.cases import deadlines
    from yimen.cases.models import TimeLimitPolicy

    if not TimeLimitPolicy.objects.exists():
        TimeLimitPolicy.objects.bulk_create([TimeLimitPolicy(**row) for row in deadlines.DEFAULT_POLICIES])


class World(SimpleNamespace):
    def register(self, *, actor=None, region=None, **overrides):
        """Register a matter in 杏花村 grid 1 of 桃源镇 through the real intake service."""
        from yimen.cases.intake import CaseInput, PartyInput, case_register

        data = dict(
            channel="walk_in",
            region=region or self.grid,
            title="欠薪纠纷",
            description="张三等12名工人在桃源镇某工地务工，工资共计8万余元至今未结清，包工头电话不接。",
            request="请求协调支付拖欠工资",
            category=self.labour,
            parties=[
                PartyInput(name="张三", id_number="110101199003074477", phone="13800138000", headcount=12),
                PartyInput(name="某建筑劳务公司", role="respondent", kind="organisation"),
            ],
        )
        data.update(overrides)
        return case_register(actor=actor or self.clerk, data=CaseInput(**data))

    def dispatched(self, **overrides):
        """A matter dispatched by the township to the county labour bureau (lead) and the 司法所."""
        from yimen.cases import transitions

        case = self.register(**overrides)
        return transitions.case_dispatch(
            actor=self.dispatcher, case=case, lead_unit=self.hrss, assist_units=[self.justice_office]
        )

    def in_progress(self, **overrides):
        from yimen.cases import transitions

        case = self.dispatched(**overrides)
        return transitions.assignment_accept(actor=self.handler, case=case)


def make_world() -> World:
    from yimen.cases.models import Category

    w = World()
    w.city = _region("4490", "云川市", Level.CITY)
    w.county = _region("449001", "青溪县", Level.COUNTY, w.city)
    w.county2 = _region("449002", "明湖区", Level.COUNTY, w.city)
    w.township = _region("449001001", "桃源镇", Level.TOWNSHIP, w.county)
    w.township2 = _region("449001002", "石门镇", Level.TOWNSHIP, w.county)
    w.township3 = _region("449002001", "湖滨街道", Level.TOWNSHIP, w.county2)
    w.village = _region("449001001001", "杏花村", Level.VILLAGE, w.township)
    w.village2 = _region("449001002001", "石门村", Level.VILLAGE, w.township2)
    w.grid = _region("449001001001001", "杏花村第一网格", Level.GRID, w.village, households=320)
    w.grid2 = _region("449001002001001", "石门村第一网格", Level.GRID, w.village2, households=280)

    w.centre_city = Centre.objects.create(region=w.city, name="云川市综治中心")
    w.centre_county = Centre.objects.create(region=w.county, name="青溪县综治中心")
    w.centre_county2 = Centre.objects.create(region=w.county2, name="明湖区综治中心")
    w.centre_township = Centre.objects.create(region=w.township, name="桃源镇综治中心")
    w.centre_township2 = Centre.objects.create(region=w.township2, name="石门镇综治中心")
    w.centre_township3 = Centre.objects.create(region=w.township3, name="湖滨街道综治中心")
    w.centre_village = Centre.objects.create(region=w.village, name="杏花村综治中心")

    w.hrss = Unit.objects.create(name="青溪县人力资源和社会保障局", kind=UnitKind.HRSS, region=w.county)
    w.housing = Unit.objects.create(name="青溪县住房和城乡建设局", kind=UnitKind.HOUSING, region=w.county)
    w.justice_office = Unit.objects.create(name="桃源镇司法所", kind=UnitKind.JUSTICE_OFFICE, region=w.township)
    w.police_station = Unit.objects.create(name="桃源派出所", kind=UnitKind.POLICE_STATION, region=w.township)
    w.mediation_committee = Unit.objects.create(name="桃源镇人民调解委员会", kind=UnitKind.MEDIATION_COMMITTEE, region=w.township)
    w.shimen_justice = Unit.objects.create(name="石门镇司法所", kind=UnitKind.JUSTICE_OFFICE, region=w.township2)
    w.minghu_hrss = Unit.objects.create(name="明湖区人力资源和社会保障局", kind=UnitKind.HRSS, region=w.county2)
    # The county labour bureau sits in the township centre by rota, so the township may dispatch to it.
    Stationing.objects.create(centre=w.centre_township, unit=w.hrss, mode=StationingMode.ROTATING)
    Stationing.objects.create(centre=w.centre_township, unit=w.housing, mode=StationingMode.ON_CALL)

    w.clerk = _user("clerk", "李窗口", Role.CLERK, w.township)
    w.dispatcher = _user("dispatcher", "王派单", Role.DISPATCHER, w.township)
    w.director = _user("director", "赵主任", Role.DIRECTOR, w.township)
    w.supervisor = _user("supervisor", "钱督办", Role.SUPERVISOR, w.county)
    w.county_dispatcher = _user("county_dispatcher", "孙研判", Role.DISPATCHER, w.county)
    w.city_dispatcher = _user("city_dispatcher", "周研判", Role.DISPATCHER, w.city)
    w.handler = _user("handler", "吴承办", Role.HANDLER, w.county, w.hrss)
    w.handler2 = _user("handler2", "郑承办", Role.HANDLER, w.county, w.hrss)
    w.housing_handler = _user("housing_handler", "冯承办", Role.HANDLER, w.county, w.housing)
    w.justice_handler = _user("justice_handler", "陈司法", Role.HANDLER, w.township, w.justice_office)
    w.mediator = _user("mediator", "褚调解", Role.MEDIATOR, w.township, w.mediation_committee)
    w.expert = _user("expert", "卫专家", Role.EXPERT, w.county, w.justice_office)
    w.grid_worker = _user("grid_worker", "蒋网格", Role.GRID_WORKER, w.grid)
    w.external = _user("external", "12345热线", Role.EXTERNAL, w.county)
    w.outsider = _user("outsider", "沈外区", Role.DISPATCHER, w.county2)
    w.other_clerk = _user("other_clerk", "韩石门", Role.CLERK, w.township2)
    w.admin = User.objects.create(username="admin", is_superuser=True, is_staff=True, password=_PASSWORD_HASH)

    w.labour = Category.objects.create(code="labour", name="劳资/欠薪", domain_class="livelihood")
    w.neighbour = Category.objects.create(code="neighbour", name="邻里纠纷", domain_class="safety")
    w.property = Category.objects.create(code="property", name="物业纠纷", domain_class="livelihood")
    default_policies()
    return w
