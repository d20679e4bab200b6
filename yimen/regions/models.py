"""The administrative tree, the centres on it, and the units that sit in the centres.

Regions are keyed by their administrative code, written so that every descendant's code starts with
its ancestor's: city 4 digits (4418), county 6 (441803), township 9 (441803001), village 12
(441803001001), grid 15 (441803001001001). "This region and below" is then one indexed prefix query.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    CITY = "city", _("市")
    COUNTY = "county", _("县(区)")
    TOWNSHIP = "township", _("乡镇(街道)")
    VILLAGE = "village", _("村(社区)")
    GRID = "grid", _("网格")


LEVEL_CODE_LENGTH = {Level.CITY: 4, Level.COUNTY: 6, Level.TOWNSHIP: 9, Level.VILLAGE: 12, Level.GRID: 15}
LEVEL_ORDER = [Level.CITY, Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE, Level.GRID]


class Region(models.Model):
    code = models.CharField(_("区划代码"), max_length=15, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    level = models.CharField(_("层级"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    households = models.PositiveIntegerField(_("户数"), null=True, blank=True)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    boundary = models.JSONField(_("边界(GeoJSON)"), null=True, blank=True)

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]
        indexes = [
            # Serves "this region and below" (code LIKE '4418%') on PostgreSQL.
            models.Index(fields=["code"], name="region_code_prefix", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        from django.core.exceptions import ValidationError

        expected = LEVEL_CODE_LENGTH.get(self.level)
        if expected and len(self.code) != expected:
            raise ValidationError({"code": _("%(level)s的区划代码应为%(n)d位。") % {"level": self.get_level_display(), "n": expected}})
        if self.parent and not self.code.startswith(self.parent.code):
            raise ValidationError({"code": _("区划代码必须以上级区划代码开头。")})

    def ancestors(self):
        """Ancestors from the top down, derived from the code (no recursive query)."""
        prefixes = [self.code[:n] for n in LEVEL_CODE_LENGTH.values() if n < len(self.code)]
        return list(Region.objects.filter(code__in=prefixes).order_by("code"))

    @property
    def full_name(self):
        return "".join(r.name for r in self.ancestors()) + self.name


class Centre(models.Model):
    """A social-governance centre (综治中心); one per region above the grid."""

    region = models.OneToOneField(Region, verbose_name=_("所在区划"), on_delete=models.PROTECT, related_name="centre")
    name = models.CharField(_("名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    phone = models.CharField(_("电话"), max_length=40, blank=True)
    hours = models.CharField(_("办公时间"), max_length=100, blank=True, default="周一至周五 8:30-12:00, 14:00-17:30")

    class Meta:
        verbose_name = _("综治中心")
        verbose_name_plural = _("综治中心")
        ordering = ["region__code"]

    def __str__(self):
        return self.name

    @property
    def code(self):
        return self.region.code

    def parent_centre(self):
        parent_region = self.region.parent
        while parent_region is not None:
            centre = Centre.objects.filter(region=parent_region).select_related("region").first()
            if centre:
                return centre
            parent_region = parent_region.parent
        return None


class UnitKind(models.TextChoices):
    COURT = "court", _("法院")
    PROCURATORATE = "procuratorate", _("检察院")
    PUBLIC_SECURITY = "public_security", _("公安局")
    POLICE_STATION = "police_station", _("派出所")
    JUSTICE_BUREAU = "justice_bureau", _("司法局")
    JUSTICE_OFFICE = "justice_office", _("司法所")
    PETITION = "petition", _("信访局")
    HRSS = "hrss", _("人力资源和社会保障局")
    HOUSING = "housing", _("住房和城乡建设局")
    NATURAL_RESOURCES = "natural_resources", _("自然资源局")
    HEALTH = "health", _("卫生健康委员会")
    CIVIL_AFFAIRS = "civil_affairs", _("民政局")
    EDUCATION = "education", _("教育局")
    TRANSPORT = "transport", _("交通运输局")
    ECOLOGY = "ecology", _("生态环境局")
    MARKET = "market", _("市场监督管理局")
    COMMERCE = "commerce", _("商务局")
    CULTURE_TOURISM = "culture_tourism", _("文化和旅游局")
    AGRICULTURE = "agriculture", _("农业农村局")
    WATER = "water", _("水利局")
    WOMENS_FEDERATION = "womens_federation", _("妇联")
    TRADE_UNION = "trade_union", _("总工会")
    VILLAGE_COMMITTEE = "village_committee", _("村(居)委会")
    MEDIATION_COMMITTEE = "mediation_committee", _("人民调解委员会")
    LAW_FIRM = "law_firm", _("律师事务所")
    TOWNSHIP_OFFICE = "township_office", _("乡镇(街道)办")
    OTHER = "other", _("其他")


class Unit(models.Model):
    """A body that handles matters: a bureau, a police station, a mediation committee, a law firm."""

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=24, choices=UnitKind.choices)
    region = models.ForeignKey(Region, verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="units")
    phone = models.CharField(_("电话"), max_length=40, blank=True)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["region__code", "name"]
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="unit_unique_name_in_region")]

    def __str__(self):
        return self.name


class StationingMode(models.TextChoices):
    RESIDENT = "resident", _("常驻")
    ROTATING = "rotating", _("轮驻")
    ON_CALL = "on_call", _("随驻")


class Stationing(models.Model):
    """How a unit is present in a centre (入驻)."""

    centre = models.ForeignKey(Centre, verbose_name=_("综治中心"), on_delete=models.CASCADE, related_name="stationings")
    unit = models.ForeignKey(Unit, verbose_name=_("单位"), on_delete=models.CASCADE, related_name="stationings")
    mode = models.CharField(_("入驻方式"), max_length=10, choices=StationingMode.choices)
    window = models.CharField(_("窗口"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("入驻单位")
        verbose_name_plural = _("入驻单位")
        constraints = [models.UniqueConstraint(fields=["centre", "unit"], name="stationing_unique")]

    def __str__(self):
        return f"{self.unit} @ {self.centre} ({self.get_mode_display()})"


class RotaSlot(models.Model):
    """When a rotating (轮驻) unit is in the centre."""

    class Weekday(models.IntegerChoices):
        MON = 0, _("周一")
        TUE = 1, _("周二")
        WED = 2, _("周三")
        THU = 3, _("周四")
        FRI = 4, _("周五")
        SAT = 5, _("周六")
        SUN = 6, _("周日")

    stationing = models.ForeignKey(Stationing, verbose_name=_("入驻单位"), on_delete=models.CASCADE, related_name="rota")
    weekday = models.PositiveSmallIntegerField(_("星期"), choices=Weekday.choices)
    starts = models.TimeField(_("开始"))
    ends = models.TimeField(_("结束"))
    staff_name = models.CharField(_("值班人员"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("轮驻排班")
        verbose_name_plural = _("轮驻排班")
        ordering = ["stationing", "weekday", "starts"]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends__gt=models.F("starts")), name="rota_ends_after_start")
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.starts:%H:%M}-{self.ends:%H:%M}"
