"""/api/v1 智能研判: a matter's full suggestion, and the accuracy of suggestions against decisions.

Doors only: load through a selector (scope → 404), call one function in cases.triage_link, present.
The suggestion stored at intake is part of the matter's detail (`triage`); this router computes it
afresh with legal basis and the handling guide.
"""

from ninja import Query, Router

from yimen.cases.selectors import case_get
from yimen.cases.triage_link import case_suggestion, suggestion_accuracy_for_user
from yimen.common.dbrouter import reads_on_replica

from .cases import CaseNumber, _moment
from .schemas import AccuracyOut, AccuracyQuery, ErrorOut, SuggestionOut

router = Router(tags=["智能研判"])

_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


@router.get(
    "/cases/{number}/suggestions", response={200: SuggestionOut, **_ERRORS}, summary="研判建议（含法律依据与处置指引）",
    description="按事项内容即时计算：类别（前三）、风险等级、五事分类、领域、信号说明、建议单位、法律依据、"
    "重复来访/重复事项、处置指引与相似已化解事项。仅供参考，以调度员研判为准。"
    "不在您权限范围内的先前事项只显示“其他辖区事项”。进程首次调用需加载法规索引（数秒），"
    "可预先执行 `yimen triage build-index`。",
)
def case_suggestions(request, number: CaseNumber):
    return case_suggestion(case=case_get(user=request.auth, number=number), user=request.auth)


@router.get(
    "/triage/accuracy", response={200: AccuracyOut, **_ERRORS}, summary="研判建议准确率",
    description="您权限范围内的事项中，研判决定与系统建议的一致程度（按决定时间）。口径见 definition。",
)
@reads_on_replica
def triage_accuracy(request, q: Query[AccuracyQuery]):
    return suggestion_accuracy_for_user(
        user=request.auth, since=_moment(q.since), until=_moment(q.until, end_of_day=True)
    )
