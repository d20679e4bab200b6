"""Editable triage rules, model versions, imported statutes and the dispatchers' decisions.

Rules are rows an administrator edits in the admin; `rules_db.config_from_db()` turns them into the
`TriageConfig` the pure engine uses. Nothing here references another app's model: a suggestion is
tied to its matter by `case_ref`. The grades' codes (risk, urgency, domain) are the cases app's one
list, `yimen/cases/codes.py`.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from yimen.cases.codes import DomainClass, Risk, Urgency
from yimen.common.words import choices_text
from yimen.triage.config import GRADE_CODES, GRADE_TARGETS, SIGNAL_KINDS


class SignalKind(models.TextChoices):
    KEYWORDS = "keywords", _("关键词")
    MONEY = "money", _("涉及金额")
    HEADCOUNT = "headcount", _("涉及人数")
    AGE = "age", _("年龄")


class GradeTarget(models.TextChoices):
    RISK = "risk", _("风险等级")
    URGENCY = "urgency", _("五事分类")
    DOMAIN = "domain", _("领域分类")


# The pure engine names these values too; keep the two spellings from drifting apart. (Risk, urgency
# and domain need no such check: both read the one list in yimen/cases/codes.py.)
assert tuple(SignalKind.values) == SIGNAL_KINDS
assert tuple(GradeTarget.values) == GRADE_TARGETS


class _Rule(models.Model):
    enabled = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True


class CategoryProfile(_Rule):
    """A category's defaults and handling guide; codes match the cases app's Category codes."""

    code = models.SlugField(_("类别代码"), max_length=32, unique=True)
    label = models.CharField(_("类别名称"), max_length=64)
    domain = models.CharField(_("默认领域分类"), max_length=32, choices=DomainClass.choices, default=DomainClass.LIVELIHOOD)
    urgency = models.CharField(_("默认五事分类"), max_length=16, choices=Urgency.choices, default=Urgency.WORRYING)
    legal_query = models.CharField(_("法条检索补充词"), max_length=300, blank=True)
    preferred_laws = models.JSONField(_("常用法律"), default=list, blank=True)
    approach = models.TextField(_("建议调解方式"), blank=True)
    steps = models.JSONField(_("处置步骤"), default=list, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("类别研判配置")
        verbose_name_plural = _("类别研判配置")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return f"{self.label}（{self.code}）"


class CategoryLexiconTerm(_Rule):
    category_code = models.SlugField(_("类别代码"), max_length=32)
    term = models.CharField(_("词语"), max_length=64)
    weight = models.FloatField(
        _("权重"), default=2.0,
        help_text=_("3=几乎可以确定类别，2=较强提示，1=弱提示；0=不计入本类，且词中所含的本类短词也不再计分（如“养老保险”对婚姻家庭记0）"),
    )

    class Meta:
        verbose_name = _("类别词库词条")
        verbose_name_plural = _("类别词库")
        ordering = ["category_code", "-weight", "term"]
        constraints = [models.UniqueConstraint(fields=["category_code", "term"], name="triage_term_unique_per_category")]

    def __str__(self) -> str:
        return f"{self.category_code}: {self.term} ({self.weight:g})"


class RequestType(_Rule):
    """A kind of request (诉求类型): 咨询, 求助, 投诉, 举报, 建议, 纠纷 — data the administrator edits.

    The engine suggests one from the cues below (`triage.requesttype`); a matter carries the code
    (`Case.request_type`) and time-limit policies may key on it (`TimeLimitPolicy.request_type`).
    """

    code = models.SlugField(_("类型代码"), max_length=16, unique=True)
    label = models.CharField(_("类型名称"), max_length=32)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0, help_text=_("得分相同时排前的为建议类型"))
    is_default = models.BooleanField(_("缺省类型"), default=False, help_text=_("没有命中任何提示语时建议的类型，只能有一个"))
    description = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("诉求类型")
        verbose_name_plural = _("诉求类型")
        ordering = ["sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=models.Q(is_default=True), name="triage_one_default_request_type")
        ]

    def __str__(self) -> str:
        return self.label


class RequestTypeCue(_Rule):
    request_type = models.ForeignKey(RequestType, on_delete=models.CASCADE, related_name="cues", verbose_name=_("诉求类型"))
    cue = models.CharField(_("提示语"), max_length=200, help_text=_("词语或正则表达式，在规范化（简体、半角、小写）后的文本中查找"))
    weight = models.FloatField(_("权重"), default=2.0, help_text=_("3=几乎可以确定，2=较强提示，1=弱提示；每条提示语只计一次"))

    class Meta:
        verbose_name = _("诉求类型提示语")
        verbose_name_plural = _("诉求类型提示语")
        ordering = ["request_type", "-weight", "cue"]
        constraints = [models.UniqueConstraint(fields=["request_type", "cue"], name="triage_cue_unique_per_type")]

    def __str__(self) -> str:
        # Not the type's code: the admin shows one caption per inline row, and that would be a query each.
        return f"{self.cue} ({self.weight:g})"

    def clean(self) -> None:
        import re

        try:
            re.compile(self.cue)
        except re.error as exc:
            raise ValidationError({"cue": _("不是有效的正则表达式：%(error)s") % {"error": exc}}) from None


class SignalRule(_Rule):
    name = models.SlugField(_("信号代码"), max_length=40, unique=True)
    label = models.CharField(_("信号名称"), max_length=64)
    kind = models.CharField(_("类型"), max_length=16, choices=SignalKind.choices, default=SignalKind.KEYWORDS)
    weight = models.FloatField(_("权重"), default=1.0)
    patterns = models.JSONField(
        _("关键词组"), default=list, blank=True, help_text=_("列表的列表：每组至少命中一个，各组都命中才触发；可用正则表达式")
    )
    exclude = models.JSONField(_("排除词"), default=list, blank=True)
    tiers = models.JSONField(_("分档"), default=list, blank=True, help_text=_("金额、人数类信号：[[下限, 权重, 说明], ...]"))
    min_age = models.PositiveSmallIntegerField(_("最小年龄"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(_("最大年龄"), null=True, blank=True)
    explanation = models.CharField(_("说明模板"), max_length=200, blank=True, help_text=_("可用 {match} 和 {value}"))
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("风险信号规则")
        verbose_name_plural = _("风险信号规则")
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.label


class GradeRule(_Rule):
    target = models.CharField(_("分级对象"), max_length=16, choices=GradeTarget.choices)
    value = models.CharField(_("结果"), max_length=32)
    priority = models.PositiveIntegerField(_("优先级"), default=100, help_text=_("数字小的先判断，第一条成立的规则决定结果"))
    conditions = models.JSONField(_("条件"), default=dict, blank=True)
    reason = models.CharField(_("理由"), max_length=200)

    class Meta:
        verbose_name = _("分级规则")
        verbose_name_plural = _("分级规则")
        ordering = ["target", "priority", "id"]

    def __str__(self) -> str:
        return f"{self.get_target_display()} → {self.value}（{self.priority}）"

    def clean(self) -> None:
        # The result is a code of the target's one list (cases/codes.py); the admin refuses any other spelling.
        codes = GRADE_CODES.get(self.target)
        if codes is not None and self.value not in codes.values:
            raise ValidationError(
                {"value": _("%(label)s（%(field)s）的取值无效，可选：%(expected)s。")
                 % {"label": self.get_target_display(), "field": self.value, "expected": choices_text(codes.choices)}}
            )


class UnitRule(_Rule):
    priority = models.PositiveIntegerField(_("优先级"), default=100)
    conditions = models.JSONField(_("条件"), default=dict, blank=True)
    lead_unit = models.CharField(_("牵头单位"), max_length=64, blank=True)
    assisting_units = models.JSONField(_("协办单位"), default=list, blank=True)
    reason = models.CharField(_("理由"), max_length=200)

    class Meta:
        verbose_name = _("职责分派规则")
        verbose_name_plural = _("职责分派规则")
        ordering = ["priority", "id"]

    def __str__(self) -> str:
        return f"{self.lead_unit or '协办'}（{self.priority}）"


class TriageSetting(models.Model):
    """Small named values for the pure config: level renames, unit list, grade labels and defaults."""

    key = models.SlugField(_("键"), max_length=40, unique=True)
    value = models.JSONField(_("值"), default=dict)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("研判参数")
        verbose_name_plural = _("研判参数")

    def __str__(self) -> str:
        return self.key


class TriageModelVersion(models.Model):
    version = models.CharField(_("版本"), max_length=64, unique=True)
    path = models.CharField(_("模型目录"), max_length=500)
    features = models.CharField(_("特征"), max_length=16)
    n_samples = models.PositiveIntegerField(_("训练样本数"))
    labels = models.JSONField(_("类别"), default=list)
    metrics = models.JSONField(_("评估指标"), default=dict)
    source = models.CharField(_("训练数据来源"), max_length=300, blank=True)
    is_active = models.BooleanField(_("启用"), default=False)
    created_at = models.DateTimeField(_("训练时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("分类模型版本")
        verbose_name_plural = _("分类模型版本")
        ordering = ["-created_at"]
        constraints = [
            # One active model at a time: classify.active_model() reads this row on every refresh.
            models.UniqueConstraint(fields=["is_active"], condition=models.Q(is_active=True), name="triage_one_active_model")
        ]

    def __str__(self) -> str:
        return self.version


class LabelLinkKind(models.TextChoices):
    AUTO = "auto", _("训练时自动对应")
    ADMIN = "admin", _("管理员指定")
    CREATED = "created", _("新建为类别")
    NONE = "none", _("未对应")


class TriageModelLabel(models.Model):
    """A label of a model's training ledger and the category it stands for, if any.

    The model answers in the ledger's labels; intake needs a category code. Labels that name a category
    are linked at training (`textmodel.label_codes_for`); an administrator maps the others, or creates a
    category for them. `classify.active_model()` reads these rows with the active version.
    """

    model_version = models.ForeignKey(
        TriageModelVersion, on_delete=models.CASCADE, related_name="label_links", verbose_name=_("模型版本")
    )
    label = models.CharField(_("台账类别"), max_length=100)
    samples = models.PositiveIntegerField(_("训练样本数"), default=0)
    category_code = models.SlugField(_("对应类别代码"), max_length=32, blank=True, help_text=_("留空表示不对应任何类别"))
    linked_how = models.CharField(_("对应方式"), max_length=8, choices=LabelLinkKind.choices, default=LabelLinkKind.NONE)

    class Meta:
        verbose_name = _("模型类别对应")
        verbose_name_plural = _("模型类别对应")
        ordering = ["model_version", "label"]
        constraints = [models.UniqueConstraint(fields=["model_version", "label"], name="triage_model_label_unique")]

    def __str__(self) -> str:
        return f"{self.label} → {self.category_code or '—'}"


class StatuteKind(models.TextChoices):
    LAW = "law", _("法律")
    REGULATION = "regulation", _("行政法规")
    LOCAL = "local", _("地方性法规")
    RULE = "rule", _("规章")
    INTERPRETATION = "interpretation", _("司法解释")
    POLICY = "policy", _("政策文件")


class Statute(models.Model):
    title = models.CharField(_("名称"), max_length=200, unique=True)
    kind = models.CharField(_("类型"), max_length=16, choices=StatuteKind.choices, default=StatuteKind.REGULATION)
    region_code = models.CharField(_("适用地区代码"), max_length=12, blank=True)
    source_file = models.CharField(_("来源文件"), max_length=300, blank=True)
    effective_date = models.DateField(_("施行日期"), null=True, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    imported_at = models.DateTimeField(_("导入时间"), auto_now=True)

    class Meta:
        verbose_name = _("法规")
        verbose_name_plural = _("法规库（导入）")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class StatuteArticle(models.Model):
    statute = models.ForeignKey(Statute, on_delete=models.CASCADE, related_name="articles", verbose_name=_("法规"))
    number = models.PositiveIntegerField(_("条号"))
    label = models.CharField(_("条文编号"), max_length=32)
    chapter = models.CharField(_("章节"), max_length=120, blank=True)
    text = models.TextField(_("条文"))

    class Meta:
        verbose_name = _("法规条文")
        verbose_name_plural = _("法规条文")
        ordering = ["statute", "number"]
        constraints = [models.UniqueConstraint(fields=["statute", "label"], name="triage_article_unique_label")]

    def __str__(self) -> str:
        return f"《{self.statute.title}》{self.label}"


class SuggestionRecord(models.Model):
    """What the engine proposed for a matter and what the dispatcher finally decided."""

    case_ref = models.CharField(_("事项编号"), max_length=64)
    text = models.TextField(_("事项内容"), blank=True)
    suggested_category = models.CharField(_("建议类别"), max_length=32)
    suggested_top3 = models.JSONField(_("建议类别前三"), default=list)
    suggested_risk = models.CharField(_("建议风险等级"), max_length=8, choices=Risk.choices)
    suggested_urgency = models.CharField(_("建议五事分类"), max_length=16, choices=Urgency.choices)
    suggested_domain = models.CharField(_("建议领域分类"), max_length=32, choices=DomainClass.choices)
    suggested_lead_unit = models.CharField(_("建议牵头单位"), max_length=64, blank=True)
    suggested_request_type = models.CharField(_("建议诉求类型"), max_length=16, blank=True, default="")
    suggestion = models.JSONField(_("完整建议"), default=dict)
    model_version = models.CharField(_("模型版本"), max_length=64, blank=True)
    rules_version = models.CharField(_("规则版本"), max_length=32, blank=True)
    final_category = models.CharField(_("最终类别"), max_length=32)
    final_risk = models.CharField(_("最终风险等级"), max_length=8, choices=Risk.choices, blank=True)
    final_urgency = models.CharField(_("最终五事分类"), max_length=16, choices=Urgency.choices, blank=True)
    final_domain = models.CharField(_("最终领域分类"), max_length=32, choices=DomainClass.choices, blank=True)
    final_lead_unit = models.CharField(_("最终牵头单位"), max_length=64, blank=True)
    final_request_type = models.CharField(_("最终诉求类型"), max_length=16, blank=True, default="")
    category_accepted = models.BooleanField(_("采纳建议类别"))
    all_accepted = models.BooleanField(_("全部采纳"))
    decided_by_ref = models.CharField(_("决定人"), max_length=64, blank=True)
    decided_at = models.DateTimeField(_("决定时间"))
    note = models.CharField(_("改判理由"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("研判建议记录")
        verbose_name_plural = _("研判建议记录")
        ordering = ["-decided_at"]
        indexes = [
            # suggestion_accuracy() filters by period; the dashboard asks for a month at a time.
            models.Index(fields=["decided_at"], name="triage_sugg_decided_idx"),
            # Looking up the decision for one matter from the workbench.
            models.Index(fields=["case_ref"], name="triage_sugg_case_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.case_ref}: {self.suggested_category} → {self.final_category}"

