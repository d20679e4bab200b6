"""部门待办: the unit's live assignments, by tab, with accept and return inline."""

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from yimen.accounts.scopes import sees_everything, unit_ids_for
from yimen.cases import worklists
from yimen.cases.worklists import InboxTab

PAGE_SIZE = 20
MAX_PAGE = 50  # bounded offset: past 1,000 rows, narrow the tab instead


@dataclass
class Page:
    items: list
    number: int
    has_next: bool
    query: str  # the request's other parameters, for the pager's links ("tab=overdue&")

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def page_of(request, qs, size: int = PAGE_SIZE) -> Page:
    """One page by bounded offset, reading one row more to know whether there is a next page
    (no COUNT over the list). Shared by the inbox, the boards and the follow-up queue."""
    try:
        number = min(max(int(request.GET.get("page", 1)), 1), MAX_PAGE)
    except ValueError:
        number = 1
    items = list(qs[(number - 1) * size : number * size + 1])
    params = request.GET.copy()
    params.pop("page", None)
    query = params.urlencode() + "&" if params else ""
    return Page(items=items[:size], number=number, has_next=len(items) > size and number < MAX_PAGE, query=query)


@login_required
def inbox(request):
    user = request.user
    if not unit_ids_for(user) and not sees_everything(user):
        raise PermissionDenied(_("部门待办只对承办单位的人员开放。"))
    now = timezone.now()
    tab = request.GET.get("tab", InboxTab.ALL)
    if tab not in InboxTab.LABELS:
        tab = InboxTab.ALL
    page = page_of(request, worklists.inbox_list(user=user, tab=tab, now=now))
    context = {
        "tab": tab,
        "tabs": InboxTab.LABELS,
        "page": page,
        "rows": worklists.with_actions(user, page.items),
        "next_url": request.get_full_path(),
        "counts": worklists.unit_counts(user=user, now=now),
    }
    if request.headers.get("HX-Request"):
        return render(request, "web/inbox/_inbox_rows.html", context)
    context.update(title=_("部门待办"), active_section="inbox")
    return render(request, "web/inbox/inbox.html", context)


urlpatterns = [path("inbox/", inbox, name="inbox")]
