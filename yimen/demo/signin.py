"""The sign-in table printed after loading: who to sign in as, and what is waiting for them."""

import unicodedata

from django.db.models import Q
from django.utils import timezone

from yimen.accounts.models import User
from yimen.cases.deadlines import assignment_overdue_q
from yimen.cases.models import (
    LIVE_ASSIGNMENT_STATUSES,
    Assignment,
    AssignmentStatus,
    Case,
    Extension,
    ExtensionStatus,
    Status,
)

from .staff import DEMO_PASSWORD

# (role, level, username, what to try). {…} are filled with live counts.
ROWS = [
    ("超级管理员", "—", "admin", "仅演示用：/admin/ 后台全部数据（正式部署不设超级管理员，由三员分立）"),
    ("系统管理员", "市 云川市", "sysadmin", "/admin/ 后台：区划、综治中心、单位、职责清单、时限规则、研判配置（不含用户与审计）"),
    ("安全管理员", "市 云川市", "secadmin", "/admin/ 后台：用户、角色与范围、接口令牌、登录锁定、双因素设备"),
    ("审计管理员", "市 云川市", "auditor", "/audit/ 安全审计：登录、锁定、角色变更、后台修改、导出、查看个人信息；可导出"),
    ("窗口受理员", "乡镇 桃源镇", "clerk_taoyuan", "窗口登记来访事项；现场办结；不予受理告知"),
    ("研判派单员", "乡镇 桃源镇", "dispatcher_taoyuan", "研判派单：待派单 {pending:taoyuan}，被退单 {returned:taoyuan}"),
    ("研判派单员", "村 杏花村", "dispatcher_taoyuan_xinghua", "小事不出村：村级研判派单"),
    ("研判派单员", "县 青溪县", "dispatcher_qingxi", "12345转办、镇里提级上来的事项：待派单 {pending:qingxi}"),
    ("督办员", "县 青溪县", "supervisor_qingxi", "逾期派单 {overdue:qingxi} 个；延期待审批 {extensions:qingxi} 件；下发督办单"),
    ("中心主任", "市 云川市", "director_yunchuan", "全市事项与红色风险 {red:yunchuan} 件；联合办理"),
    ("部门承办人", "县人社局", "handler_qingxi_hrss", "待签收 {sign:handler_qingxi_hrss}，办理中 {doing:handler_qingxi_hrss}；接单/退单/延期/办结"),
    ("部门承办人", "桃源派出所", "handler_taoyuan_police_station", "待签收 {sign:handler_taoyuan_police_station}，办理中 {doing:handler_taoyuan_police_station}"),
    ("调解员", "桃源镇人民调解委员会", "mediator_taoyuan", "调解记录：待签收 {sign:mediator_taoyuan}，办理中 {doing:mediator_taoyuan}"),
    ("网格员", "杏花村第一网格", "grid_taoyuan_xinghua_1", "网格上报；上门回访"),
    ("专家", "青溪明理律师事务所", "expert_qingxi", "专家库：法律咨询"),
    ("外部系统", "县 12345热线", "hotline_qingxi", "以接口转入热线工单（API 令牌：yimen token create hotline_qingxi）"),
]
PATTERN_NOTE = (
    "其余账号同一规律 (every place has the same accounts): clerk_/dispatcher_/supervisor_/director_<乡镇|县|市>，"
    "handler_<地方>_<单位类型>，mediator_<地方>，grid_<乡镇>_<村>_<n>，hotline_<县>。"
)

_PLACES = {"yunchuan": "4490", "qingxi": "449001", "minghu": "449002", "taoyuan": "449001001"}


def _count(kind: str, arg: str) -> int:
    now = timezone.now()
    if kind in ("pending", "returned", "overdue", "extensions", "red"):
        code = _PLACES[arg]
        owned = Case.objects.filter(owning_code__startswith=code)
        if kind == "pending":
            return owned.filter(status=Status.PENDING_DISPATCH).count()
        if kind == "returned":
            return owned.filter(status=Status.RETURNED).count()
        if kind == "red":
            return owned.filter(risk="red", status__in=[Status.PENDING_DISPATCH, Status.DISPATCHED, Status.IN_PROGRESS,
                                                         Status.RETURNED, Status.REGISTERED]).count()
        if kind == "overdue":
            # What the supervisor's board and home count: live assignments past a running limit.
            return Assignment.objects.filter(
                assignment_overdue_q(now), case_region_code__startswith=code, status__in=LIVE_ASSIGNMENT_STATUSES
            ).count()
        return Extension.objects.filter(case__owning_code__startswith=code, status=ExtensionStatus.PENDING).count()
    user = User.objects.filter(username=arg).first()
    if user is None:
        return 0
    units = list(user.memberships.exclude(unit=None).values_list("unit", flat=True))
    status = AssignmentStatus.PENDING if kind == "sign" else AssignmentStatus.ACCEPTED
    return Assignment.objects.filter(Q(unit__in=units), status=status).count()


def _fill(text: str) -> str:
    out, rest = "", text
    while "{" in rest:
        before, _, after = rest.partition("{")
        token, _, rest = after.partition("}")
        kind, _, arg = token.partition(":")
        out += before + str(_count(kind, arg))
    return out + rest


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def signin_table(base_url: str = "http://127.0.0.1:8000") -> str:
    """The table, as text for a terminal (wide characters counted as two columns)."""
    existing = set(User.objects.filter(username__in=[r[2] for r in ROWS]).values_list("username", flat=True))
    rows = [("角色 role", "层级 level", "用户名 username", "密码 password", "试试看 what to try")]
    rows += [(role, level, user, DEMO_PASSWORD, _fill(todo)) for role, level, user, todo in ROWS if user in existing]
    widths = [max(_width(r[i]) for r in rows) for i in range(4)]
    lines = [f"演示账号 Demo sign-in — {base_url}/admin/ (admin)；所有账号密码均为 {DEMO_PASSWORD}", ""]
    for i, row in enumerate(rows):
        lines.append("  ".join(_pad(cell, widths[n]) for n, cell in enumerate(row[:4])) + "  " + row[4])
        if i == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 24)
    lines += ["", PATTERN_NOTE, "", _residents_line(base_url)]
    return "\n".join(lines)


def _residents_line(base_url: str) -> str:
    """Where a resident starts (the 解纷码 the township's poster carries), and where staff print posters."""
    return (
        f"群众端 Residents (解纷码, 手机打开): {base_url}/r/c/{_PLACES['taoyuan']}/ ；"
        f"查询进度 {base_url}/r/track/ ；各中心二维码海报（登录后）{base_url}/posters/"
    )
