"""回访: resolved matters awaiting a follow-up, the soonest follow-up limit first, each with the
form that records satisfaction (posted to the matter's action endpoint, web:case_act)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _

from yimen.cases import worklists
from yimen.cases.models import Satisfaction
from yimen.cases.presenting import FOLLOW_UP_METHODS

from .inbox import page_of



@login_required
def followups(request):
    user = request.user
    if not worklists.may_follow_up(user):
        raise PermissionDenied(_("只有窗口、派单、网格、督办和中心领导可以回访。"))
    page = page_of(request, worklists.follow_up_queue(user=user))
    done = request.GET.get("done", "")
    context = {
        "title": _("回访"), "active_section": "followups", "page": page,
        "rows": worklists.with_actions(user, page.items, case_of=lambda case: case),
        # After a follow-up the action endpoint returns here with ?done=<number>: read the matter
        # again and say what the service did (an unsatisfied follow-up reopens it, per policy).
        "done": worklists.follow_up_result(user=user, number=done[:32]) if done else None,
        "satisfactions": Satisfaction.choices, "methods": FOLLOW_UP_METHODS,
    }
    return render(request, "web/followups/queue.html", context)


urlpatterns = [path("followups/", followups, name="followups")]
