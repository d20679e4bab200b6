"""督办看板: due-soon and overdue live assignments per unit, per level and per owning centre, the
assignments behind each count, and the extension requests awaiting a decision."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from yimen.cases import worklists
from yimen.cases.worklists import BoardKind
from yimen.common.dbrouter import reads_on_replica
from yimen.common.errors import PermissionDenied as DomainPermissionDenied
from yimen.regions.models import Level

from .inbox import page_of


@login_required
@reads_on_replica
def supervise(request):
    user, now = request.user, timezone.now()
    try:
        board = worklists.board(user=user, now=now)
    except DomainPermissionDenied as error:
        raise PermissionDenied(error.message) from None
    kind = request.GET.get("kind", BoardKind.BOTH)
    kind = kind if kind in BoardKind.LABELS else BoardKind.BOTH
    unit_id = request.GET.get("unit", "")
    level = request.GET.get("level", "")
    drill = worklists.board_drill(
        user=user, now=now, units=board.all_units, kind=kind, unit_id=int(unit_id) if unit_id.isdigit() else None,
        centre_code=request.GET.get("centre", "")[:15], level=level if level in Level.values else "",
    )
    page = page_of(request, drill)
    context = {
        "board": board, "kind": kind, "kinds": BoardKind.LABELS, "page": page, "next_url": request.get_full_path(),
        "rows": worklists.board_rows(user, page.items, now),
        "unit_filter": next((u for u in board.all_units if str(u.pk) == unit_id), None), "level": level,
        "centre_filter": request.GET.get("centre", ""),
    }
    if request.headers.get("HX-Request"):
        return render(request, "web/supervise/_board_rows.html", context)
    extensions = worklists.with_actions(user, worklists.labelled_extensions(worklists.pending_extensions(user=user)[:50]))
    context.update(title=_("督办看板"), active_section="supervise", extensions=extensions)
    return render(request, "web/supervise/board.html", context)


urlpatterns = [path("supervise/", supervise, name="supervise")]
