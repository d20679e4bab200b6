"""The matter (事项) and everything that hangs off it.

Status fields here are written only by yimen.cases.transitions; the admin shows them read-only.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yimen.cases.codes import DomainClass, Risk, Urgency  # the one code lists, re-exported in __all__
from yimen.regions.models import Level, UnitKind


class Status(models.TextChoices):
    REGISTERED = "registered", _("已登记")
    PENDING_DISPATCH = "pending_dispatch", _("待派单")
    DISPATCHED = "dispatched", _("待签收")
    RETURNED = "returned", _("已退单")
    IN_PROGRESS = "in_progress", _("办理中")
    RESOLVED = "resolved", _("已办结")
    FOLLOWED_UP = "followed_up", _("已回访")
    ARCHIVED = "archived", _("已归档")
    NOT_ACCEPTED = "not_accepted", _("不予受理")
    WITHDRAWN = "withdrawn", _("已撤回")
    REFERRED_OUT = "referred_out", _("已转出")


OPEN_STATUSES = frozenset(
    {Status.REGISTERED, Status.PENDING_DISPATCH, Status.DISPATCHED, Status.RETURNED, Status.IN_PROGRESS}
)


class Channel(models.TextChoices):
    WALK_IN = "walk_in", _("来访")
    PHONE = "phone", _("来电")
    LETTER = "letter", _("来信")
    ONLINE = "online", _("网上(解纷码)")
    GRID = "grid", _("网格员上报")
    POLICE = "police", _("公安非警务警情转办")
    HOTLINE = "hotline", _("12345热线转办")
    COURT = "court", _("法院委派")
    PETITION = "petition", _("信访转办")
    SCREENING = "screening", _("主动排查")
    MONITORING = "monitoring", _("舆情监测")
    API = "api", _("外部系统")


# Found by the centre itself rather than brought by a resident: the 主动发现率 numerator.
PROACTIVE_CHANNELS = frozenset({Channel.GRID, Channel.SCREENING, Channel.MONITORING})


class Outcome(models.TextChoices):
    AGREEMENT = "agreement", _("调解成功")
    RESOLVED = "resolved", _("已解决")
    EXPLAINED = "explained", _("解释说明(诉求不合理)")
    NOT_RESOLVED = "not_resolved", _("未化解")


# Outcomes that count as 化解 (resolved) in 化解率; the definition is shown on the dashboard.
RESOLVED_OUTCOMES = frozenset({Outcome.AGREEMENT, Outcome.RESOLVED})


class ReferralTarget(models.TextChoices):
    LITIGATION = "litigation", _("诉讼")
    ARBITRATION = "arbitration", _("仲裁")
    ADMIN_REVIEW = "admin_review", _("行政复议")
    PETITION = "petition", _("信访")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASICALLY = "basically", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")
    UNREACHABLE = "unreachable", _("未联系上")


class LinkKind(models.TextChoices):
    """How a matter relates to an earlier one (the triage engine's repeat detection)."""

    REPEAT = "repeat", _("重复来访")  # the same party (ID number or phone) within the repeat window
    DUPLICATE = "duplicate", _("重复事项")  # near-identical text within the duplicate window


class Category(models.Model):
    """The dispute-category tree (婚姻家庭, 劳资/欠薪 …), editable by administrators."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=40)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级类别"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    domain_class = models.CharField(_("领域"), max_length=20, choices=DomainClass.choices, default=DomainClass.LIVELIHOOD)
    active = models.BooleanField(_("启用"), default=True)
    ordering = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("纠纷类别")
        verbose_name_plural = _("纠纷类别")
        ordering = ["ordering", "code"]

    def __str__(self):
        return self.name

    def lineage_ids(self) -> list[int]:
        """This category and its ancestors, nearest first (policy and responsibility look-ups)."""
        ids, node = [], self
        while node is not None:
            ids.append(node.pk)
            node = node.parent
        return ids


class Responsibility(models.Model):
    """职责清单: which kind of unit handles which category at which level, as lead or assisting."""

    class Part(models.TextChoices):
        LEAD = "lead", _("牵头")
        ASSIST = "assist", _("协办")

    category = models.ForeignKey(Category, verbose_name=_("类别"), on_delete=models.CASCADE, related_name="responsibilities")
    level = models.CharField(_("层级"), max_length=10, choices=Level.choices)
    unit_kind = models.CharField(_("单位类型"), max_length=24, choices=UnitKind.choices)
    part = models.CharField(_("职责"), max_length=8, choices=Part.choices, default=Part.LEAD)
    duty = models.CharField(_("职责说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("职责清单")
        verbose_name_plural = _("职责清单")
        ordering = ["category", "level", "part"]
        constraints = [
            models.UniqueConstraint(fields=["category", "level", "unit_kind"], name="responsibility_unique")
        ]

    def __str__(self):
        return f"{self.category} · {self.get_level_display()} · {self.get_unit_kind_display()}"


class Tag(models.Model):
    name = models.CharField(_("名称"), max_length=30, unique=True)

    class Meta:
        verbose_name = _("标签")
        verbose_name_plural = _("标签")

    def __str__(self):
        return self.name


def new_query_code() -> str:
    # 20 characters from a 32-letter alphabet without look-alikes: ~100 bits, unguessable, and
    # still readable aloud over the phone.
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    return "".join(secrets.choice(alphabet) for _ in range(20))


class Case(models.Model):
    number = models.CharField(_("事项编号"), max_length=32, unique=True)
    query_code = models.CharField(_("查询码"), max_length=24, default=new_query_code, db_index=True)
    channel = models.CharField(_("来源渠道"), max_length=12, choices=Channel.choices)
    external_ref = models.CharField(_("外部编号"), max_length=64, blank=True)
    received_at = models.DateTimeField(_("受理时间"))
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    registering_centre = models.ForeignKey(
        "regions.Centre", verbose_name=_("登记中心"), on_delete=models.PROTECT, related_name="registered_cases"
    )
    owning_centre = models.ForeignKey(
        "regions.Centre", verbose_name=_("主办中心"), on_delete=models.PROTECT, related_name="owned_cases"
    )
    # Denormalised so that "owned by this centre or one below" is a prefix query without a join.
    owning_code = models.CharField(_("主办中心区划代码"), max_length=15)
    region = models.ForeignKey("regions.Region", verbose_name=_("发生地"), on_delete=models.PROTECT, related_name="cases")
    region_code = models.CharField(_("发生地区划代码"), max_length=15)
    address = models.CharField(_("详细地址"), max_length=200, blank=True)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)

    title = models.CharField(_("标题"), max_length=120)
    description = models.TextField(_("事项描述"))
    request = models.TextField(_("诉求"), blank=True)
    category = models.ForeignKey(Category, verbose_name=_("类别"), null=True, blank=True, on_delete=models.PROTECT, related_name="cases")
    domain_class = models.CharField(_("领域"), max_length=20, choices=DomainClass.choices, blank=True)
    urgency = models.CharField(_("紧急程度"), max_length=10, choices=Urgency.choices, default=Urgency.ANNOYING)
    # 诉求类型 (咨询, 求助, 投诉, 举报, 建议, 纠纷): a code of triage.RequestType, data the administrator
    # edits, so no choices here (intake and triage check it against the active types). Blank: not
    # stated, and only time limits that name no request type apply. Not indexed: no list filters on it.
    request_type = models.CharField(_("诉求类型"), max_length=16, blank=True, default="", db_default="")
    # Empty until someone grades it (the registrar at the window or the dispatcher at triage): an
    # ungraded matter is 待研判, never blue by default. Until then the engine's proposal is shown
    # beside it as provisional (suggested_risk), and orders the dispatcher's queue.
    risk = models.CharField(_("风险等级"), max_length=8, choices=Risk.choices, blank=True, default="")
    risk_reason = models.TextField(_("风险研判理由"), blank=True)
    amount = models.DecimalField(_("涉及金额(元)"), max_digits=14, decimal_places=2, null=True, blank=True)
    headcount = models.PositiveIntegerField(_("涉及人数"), default=1)
    tags = models.ManyToManyField(Tag, verbose_name=_("标签"), blank=True, related_name="cases")

    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.REGISTERED)
    status_changed_at = models.DateTimeField(_("状态变更时间"))
    is_joint = models.BooleanField(_("联合办理"), default=False)
    referral_target = models.CharField(_("转出去向"), max_length=14, choices=ReferralTarget.choices, blank=True)
    outcome = models.CharField(_("办理结果"), max_length=14, choices=Outcome.choices, blank=True)
    result = models.TextField(_("办理情况"), blank=True)
    resolved_on_spot = models.BooleanField(_("现场办结"), default=False)
    satisfaction = models.CharField(_("满意度"), max_length=12, choices=Satisfaction.choices, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("重启次数"), default=0)
    escalation_count = models.PositiveSmallIntegerField(_("提级次数"), default=0)

    dispatched_at = models.DateTimeField(_("首次派单时间"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    due_at = models.DateTimeField(_("办理期限"), null=True, blank=True)
    due_provisional = models.BooleanField(_("期限待定(节假日未公布)"), default=False)
    overdue = models.BooleanField(_("已超期"), default=False)
    resolved_within_limit = models.BooleanField(_("按期办结"), null=True, blank=True)

    # Intelligent triage (智能研判), written once at intake by cases.triage_link: the engine's proposal
    # as registered (without legal basis), and the text fingerprint later matters are compared with.
    # Proposals only: category, urgency and risk above stay what the registrar and dispatcher decide.
    # The db_defaults let bulk SQL loads that do not name these columns (bench data, imports) insert.
    triage = models.JSONField(_("研判建议"), default=dict, db_default={}, blank=True)
    # The proposal's risk colour and urgency as columns (the JSON above is deferred on every list):
    # what lists, the ledger and the API show beside an ungraded matter, and what orders the queue.
    suggested_risk = models.CharField(_("系统建议风险等级"), max_length=8, choices=Risk.choices, blank=True, db_default="", default="")
    suggested_urgency = models.CharField(_("系统建议紧急程度"), max_length=10, choices=Urgency.choices, blank=True, db_default="", default="")
    # The engine's SimHash of title + description + request, unsigned 64-bit stored as signed int64.
    text_simhash = models.BigIntegerField(_("文本指纹"), null=True, blank=True)
    # MinHash LSH bands of the same text (triage.neardup.minhash_bands): a near-identical text shares at
    # least one band with it far more often than under SimHash banding (95% vs 33% for one word changed).
    mh_band0 = models.PositiveIntegerField(null=True, blank=True)
    mh_band1 = models.PositiveIntegerField(null=True, blank=True)
    mh_band2 = models.PositiveIntegerField(null=True, blank=True)
    mh_band3 = models.PositiveIntegerField(null=True, blank=True)
    # The first matter of a chain of repeats/duplicates (never itself linked), and how this one relates.
    linked_to = models.ForeignKey(
        "self", verbose_name=_("关联的先前事项"), null=True, blank=True, on_delete=models.SET_NULL, related_name="linked_matters"
    )
    link_kind = models.CharField(_("关联类型"), max_length=10, choices=LinkKind.choices, blank=True, db_default="")
    # Registered with YIMEN_TRIAGE_IN_WORKER on: the proposal above is still to be made, by `yimen worker`
    # seconds after the commit (intake.case_suggest_pending). Pages say "研判中" meanwhile.
    triage_pending = models.BooleanField(_("研判中"), default=False, db_default=False)

    class Meta:
        verbose_name = _("事项")
        verbose_name_plural = _("事项")
        indexes = [
            # Worklists and the API list: scope by place prefix, newest first.
            models.Index(fields=["region_code", "-received_at", "-id"], name="case_region_recv", opclasses=["varchar_pattern_ops", "", ""]),
            # Dispatcher queues: the centre that owns it, by status.
            models.Index(fields=["owning_code", "status", "-received_at"], name="case_owner_status", opclasses=["varchar_pattern_ops", "", ""]),
            models.Index(fields=["status", "-received_at"], name="case_status_recv"),
            # Newest-first pages for large scopes (a county): walk this index backwards and filter.
            models.Index(fields=["-received_at", "-id"], name="case_recv"),
            # KPI group-bys over a period read only the index (covering).
            models.Index(
                fields=["received_at", "region_code"],
                name="case_kpi_cover",
                include=["status", "channel", "outcome", "resolved_on_spot", "satisfaction", "category_id"],
            ),
            # Duplicate candidates at intake (triage_link.DbHistory.candidates): any band equal, within the window.
            models.Index(fields=["mh_band0", "received_at"], name="case_mh_band0"),
            models.Index(fields=["mh_band1", "received_at"], name="case_mh_band1"),
            models.Index(fields=["mh_band2", "received_at"], name="case_mh_band2"),
            models.Index(fields=["mh_band3", "received_at"], name="case_mh_band3"),
            # Open matters by due time (the due-soon lists also filter overdue=False). The condition
            # names no column the sweep writes: its overdue flag then changes no index, so on a page
            # with room (fillfactor, migration 0014) the row is rewritten in place (HOT) instead of
            # adding an entry to each of these 21 indexes (the midnight sweep's largest statement).
            # What the worker still has to triage (a handful of rows at any moment, none when triage is inline).
            models.Index(fields=["id"], name="case_triage_pending", condition=Q(triage_pending=True)),
            models.Index(fields=["due_at"], name="case_open_due", condition=~Q(status__in=["resolved", "followed_up", "archived", "not_accepted", "withdrawn", "referred_out"])),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class PartyKind(models.TextChoices):
    PERSON = "person", _("自然人")
    ORGANISATION = "organisation", _("单位/组织")
    GROUP = "group", _("群体")


class PartyRole(models.TextChoices):
    APPLICANT = "applicant", _("申请人")
    RESPONDENT = "respondent", _("被申请人")
    THIRD = "third", _("第三人")


def mask_id_number(value: str) -> str:
    if not value:
        return ""
    if len(value) <= 8:
        return value[:1] + "*" * (len(value) - 1)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    if not value:
        return ""
    if len(value) < 7:
        return value[:1] + "*" * (len(value) - 1)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


class Party(models.Model):
    case = models.ForeignKey(Case, verbose_name=_("事项"), on_delete=models.CASCADE, related_name="parties")
    kind = models.CharField(_("类型"), max_length=14, choices=PartyKind.choices, default=PartyKind.PERSON)
    role = models.CharField(_("身份"), max_length=12, choices=PartyRole.choices, default=PartyRole.APPLICANT)
    name = models.CharField(_("姓名/名称"), max_length=100)
    id_number = models.CharField(_("证件号码"), max_length=32, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    headcount = models.PositiveIntegerField(_("人数"), default=1)
    address = models.CharField(_("住址"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("当事人")
        verbose_name_plural = _("当事人")
        indexes = [
            # Repeat detection and "previous matters of this person" at the window.
            models.Index(fields=["id_number"], name="party_id_number", condition=~Q(id_number="")),
            models.Index(fields=["phone"], name="party_phone", condition=~Q(phone="")),
        ]

    def __str__(self):
        return self.name

    @property
    def id_number_masked(self):
        return mask_id_number(self.id_number)

    @property
    def phone_masked(self):
        return mask_phone(self.phone)


class Attachment(models.Model):
    case = models.ForeignKey(Case, verbose_name=_("事项"), on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("文件"), upload_to="attachments/%Y/%m/")
    original_name = models.CharField(_("原文件名"), max_length=200)
    content_type = models.CharField(_("类型"), max_length=100, blank=True)
    size = models.PositiveIntegerField(_("大小(字节)"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")

    def __str__(self):
        return self.original_name


class AssignmentPart(models.TextChoices):
    LEAD = "lead", _("牵头单位")
    ASSIST = "assist", _("协办单位")


class AssignmentStatus(models.TextChoices):
    PENDING = "pending", _("待签收")
    ACCEPTED = "accepted", _("已签收")
    RETURNED = "returned", _("已退单")
    COMPLETED = "completed", _("已完成")
    CANCELLED = "cancelled", _("已撤销")


LIVE_ASSIGNMENT_STATUSES = frozenset({AssignmentStatus.PENDING, AssignmentStatus.ACCEPTED})


class Assignment(models.Model):
    """One unit's part in a matter, with its own limits."""

    case = models.ForeignKey(Case, verbose_name=_("事项"), on_delete=models.CASCADE, related_name="assignments")
    unit = models.ForeignKey("regions.Unit", verbose_name=_("承办单位"), on_delete=models.PROTECT, related_name="assignments")
    part = models.CharField(_("角色"), max_length=8, choices=AssignmentPart.choices)
    task = models.CharField(_("任务"), max_length=300, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=AssignmentStatus.choices, default=AssignmentStatus.PENDING)
    dispatched_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    dispatched_at = models.DateTimeField(_("派单时间"))
    sign_due_at = models.DateTimeField(_("签收期限"), null=True, blank=True)
    due_at = models.DateTimeField(_("办理期限"), null=True, blank=True)
    due_provisional = models.BooleanField(_("期限待定"), default=False)
    accepted_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    returned_at = models.DateTimeField(_("退单时间"), null=True, blank=True)
    return_reason = models.TextField(_("退单理由"), blank=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    # Copies of the matter's place and owning centre (kept by the transitions module: set at dispatch,
    # moved on escalation), so the supervisor boards count live assignments by region from one index
    # without joining a million matters.
    case_region_code = models.CharField(_("事发地区划代码"), max_length=15, blank=True, default="", editable=False)
    case_owning_code = models.CharField(_("主办中心区划代码"), max_length=15, blank=True, default="", editable=False)
    # A copy of the matter's received_at (set at dispatch by the transitions module; a matter's
    # received_at never changes after intake), so a unit's list walks its own index newest first
    # (assignment_unit_recv) instead of the whole scope's matters (selectors.case_list_for_user).
    case_received_at = models.DateTimeField(_("事项受理时间"), null=True, blank=True, editable=False)
    # Copies of what a unit's list filters on (cases/copies.py keeps them: set at dispatch, refreshed
    # whenever the transitions or the deadline sweep change the matter), carried in the list's index
    # so a filter that matches little in a unit's scope is tested on index entries, not by joining
    # every matter of the unit (2.0 s at 10 M matters; see docs/performance.md).
    case_status = models.CharField(_("事项状态"), max_length=16, blank=True, default="", editable=False)
    case_category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False,
        related_name="+", editable=False,
    )
    case_risk = models.CharField(_("事项风险等级"), max_length=8, blank=True, default="", editable=False)
    case_urgency = models.CharField(_("事项紧急程度"), max_length=10, blank=True, default="", editable=False)
    case_channel = models.CharField(_("事项来源渠道"), max_length=12, blank=True, default="", editable=False)
    case_overdue = models.BooleanField(_("事项已超期"), default=False, editable=False)

    class Meta:
        verbose_name = _("派单")
        verbose_name_plural = _("派单")
        ordering = ["dispatched_at", "id"]
        indexes = [
            # A unit's inbox: its live assignments, oldest limit first. The id and sign-in limit ride along so
            # the inbox's counts (worklists.unit_counts) read the index alone (a county bureau's 57,000
            # live assignments at 10 M matters: 32 ms; without them the planner walked the city's
            # live assignments through assignment_board and visited each, 431 ms).
            models.Index(fields=["unit", "status", "due_at"], include=["id", "sign_due_at"], name="assignment_inbox"),
            # A unit's matter list (the scope of unit roles), newest first, paged by keyset on
            # (case_received_at, case_id): selectors.case_list_for_user's unit path.
            # The copies ride along (INCLUDE, PostgreSQL) so any filter is tested index-only.
            models.Index(
                fields=["unit", "-case_received_at", "-case"],
                include=["id", "case_status", "case_category", "case_risk", "case_urgency", "case_channel",
                         "case_overdue", "case_region_code"],
                name="assignment_unit_recv",
            ),
            # The same list filtered by category, the filter that matches least in a busy unit: a seek
            # to the unit's matters of that category instead of a walk over all its entries (80 ms
            # for a county bureau's 435,000 at 10 M matters, when the category matches none).
            models.Index(
                fields=["unit", "case_category", "-case_received_at", "-case"],
                include=["id", "case_status", "case_risk", "case_urgency", "case_overdue"],
                name="assignment_unit_cat_recv",
            ),
            # The supervisor boards: live assignments due within a window, counted per unit and owning
            # centre within a region (index-only on PostgreSQL, where INCLUDE is supported).
            models.Index(
                fields=["due_at"], include=["unit", "case_region_code", "case_owning_code"],
                condition=Q(status__in=["pending", "accepted"]), name="assignment_board",
            ),
            # The other half of "due soon" (deadlines.assignment_due_soon_parts): unsigned assignments
            # whose sign-in limit runs out within the window. Few rows (a sign-in limit is hours).
            models.Index(
                fields=["sign_due_at"], include=["unit", "case_region_code", "case_owning_code", "due_at"],
                condition=Q(status="pending"), name="assignment_signing",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(part="lead", status__in=["pending", "accepted"]), name="one_live_lead_per_case"
            ),
            models.UniqueConstraint(
                fields=["case", "unit"], condition=Q(status__in=["pending", "accepted"]), name="one_live_assignment_per_unit"
            ),
        ]

    def __str__(self):
        return f"{self.case.number} → {self.unit}"

    @property
    def is_live(self):
        return self.status in LIVE_ASSIGNMENT_STATUSES


class EventKind(models.TextChoices):
    REGISTERED = "registered", _("登记受理")
    TRIAGED = "triaged", _("分析研判")
    DISPATCHED = "dispatched", _("派单")
    ACCEPTED = "accepted", _("签收")
    RETURNED = "returned", _("退单")
    PROGRESS_RECORDED = "progress_recorded", _("办理记录")
    RESOLVED = "resolved", _("办结")
    FOLLOWED_UP = "followed_up", _("回访")
    ARCHIVED = "archived", _("归档")
    ESCALATED = "escalated", _("提级")
    EXTENSION_REQUESTED = "extension_requested", _("申请延期")
    EXTENSION_APPROVED = "extension_approved", _("批准延期")
    EXTENSION_REFUSED = "extension_refused", _("驳回延期")
    SUPERVISED = "supervised", _("督办")
    SUPERVISION_ANSWERED = "supervision_answered", _("督办回复")
    JOINT_CONVENED = "joint_convened", _("联合办理(吹哨报到)")
    REFERRED_OUT = "referred_out", _("转出")
    NOT_ACCEPTED = "not_accepted", _("不予受理")
    WITHDRAWN = "withdrawn", _("撤回")
    SUPPLEMENTED = "supplemented", _("群众补充材料")
    REOPENED = "reopened", _("重启")
    DEADLINE_WARNED = "deadline_warned", _("临期预警")
    DEADLINE_OVERDUE = "deadline_overdue", _("超期")
    DEADLINES_RECOMPUTED = "deadlines_recomputed", _("期限重算")
    SUGGESTED = "suggested", _("系统研判建议")


class CaseEvent(models.Model):
    """The append-only timeline of a matter: who did what, when, from which status to which, and why."""

    case = models.ForeignKey(Case, verbose_name=_("事项"), on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("事件"), max_length=24, choices=EventKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(_("操作人(显示)"), max_length=100, blank=True)
    from_status = models.CharField(_("原状态"), max_length=16, choices=Status.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16, choices=Status.choices, blank=True)
    reason = models.TextField(_("理由/说明"), blank=True)
    payload = models.JSONField(_("详情"), default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"), db_index=False)

    class Meta:
        verbose_name = _("事项日志")
        verbose_name_plural = _("事项日志")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at"], name="event_case_time")]

    def __str__(self):
        return f"{self.case_id} {self.get_kind_display()}"


class RevealAudit(models.Model):
    """Staff saw a party's full ID number or phone (个人信息查看留痕)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("查看人"), on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, verbose_name=_("事项"), on_delete=models.CASCADE, related_name="reveals")
    party = models.ForeignKey(Party, verbose_name=_("当事人"), on_delete=models.CASCADE, related_name="reveals")
    field = models.CharField(_("字段"), max_length=12)
    purpose = models.CharField(_("用途"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("个人信息查看记录")
        verbose_name_plural = _("个人信息查看记录")
        indexes = [models.Index(fields=["case", "created_at"], name="reveal_case_time")]


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REFUSED = "refused", _("已驳回")


class Extension(models.Model):
    case = models.ForeignKey(Case, verbose_name=_("事项"), on_delete=models.CASCADE, related_name="extensions")
    assignment = models.ForeignKey(Assignment, verbose_name=_("派单"), on_delete=models.CASCADE, related_name="extensions")
    amount = models.PositiveSmallIntegerField(_("延长数量"))
    unit = models.CharField(_("单位"), max_length=14)
    reason = models.TextField(_("理由"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("申请时间"))
    status = models.CharField(_("状态"), max_length=10, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_reason = models.TextField(_("审批意见"), blank=True)

    class Meta:
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")
        constraints = [
            models.UniqueConstraint(fields=["assignment"], condition=Q(status="pending"), name="one_pending_extension")
        ]


class SupervisionStatus(models.TextChoices):
    ISSUED = "issued", _("已下发")
    ANSWERED = "answered", _("已回复")


class SupervisionOrder(models.Model):
    """督办单: a supervisor orders a unit to act on a matter by a date."""

    case = models.ForeignKey(Case, verbose_name=_("事项"), on_delete=models.CASCADE, related_name="supervision_orders")
    unit = models.ForeignKey("regions.Unit", verbose_name=_("被督办单位"), on_delete=models.PROTECT, related_name="supervision_orders")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("下发时间"))
    content = models.TextField(_("督办要求"))
    answer_due_at = models.DateTimeField(_("回复期限"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=SupervisionStatus.choices, default=SupervisionStatus.ISSUED)
    answer = models.TextField(_("回复"), blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(_("回复时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("督办单")
        verbose_name_plural = _("督办单")
        indexes = [models.Index(fields=["unit", "status"], name="supervision_unit_status")]


class FollowUp(models.Model):
    case = models.ForeignKey(Case, verbose_name=_("事项"), on_delete=models.CASCADE, related_name="follow_ups")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("回访人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    method = models.CharField(_("方式"), max_length=20, default="phone")
    satisfaction = models.CharField(_("满意度"), max_length=12, choices=Satisfaction.choices)
    comment = models.TextField(_("意见"), blank=True)
    created_at = models.DateTimeField(_("回访时间"))

    class Meta:
        verbose_name = _("回访记录")
        verbose_name_plural = _("回访记录")


class CaseCounter(models.Model):
    """Per centre and year sequence for matter numbers; incremented under a row lock."""

    centre = models.ForeignKey("regions.Centre", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["centre", "year"], name="case_counter_unique")]


class IdempotencyRecord(models.Model):
    """The first response to a POST carrying an Idempotency-Key, replayed to retries."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    method_path = models.CharField(max_length=300)
    status_code = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_unique")]


__all__ = ["Status", "Channel", "LinkKind", "Urgency", "Risk", "DomainClass", "Outcome", "ReferralTarget", "Satisfaction", "Category", "Responsibility", "Tag", "Case", "PartyKind", "PartyRole", "Party", "Attachment", "AssignmentPart", "AssignmentStatus", "Assignment", "EventKind", "CaseEvent", "RevealAudit", "ExtensionStatus", "Extension", "SupervisionStatus", "SupervisionOrder", "FollowUp", "CaseCounter", "IdempotencyRecord", "OPEN_STATUSES", "PROACTIVE_CHANNELS", "RESOLVED_OUTCOMES", "LIVE_ASSIGNMENT_STATUSES", "new_query_code", "mask_id_number", "mask_phone"]
