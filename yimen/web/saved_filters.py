"""Saved matter-list filters (保存的筛选): each user's own, seen and changed by no one else."""

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from yimen.common.errors import InvalidInput, NotFound

from .models import SavedFilter

# A user keeps a short personal list, not an archive.
MAX_SAVED_FILTERS = 50


def saved_filters_for(user) -> QuerySet:
    return SavedFilter.objects.filter(user=user).order_by("name", "id")


def saved_filter_get(*, user, pk: int) -> SavedFilter:
    """The user's own saved filter; NotFound for anyone else's (never reveal that it exists)."""
    found = saved_filters_for(user).filter(pk=pk).first()
    if found is None:
        raise NotFound(_("该筛选不存在或不属于您。"))
    return found


def saved_filter_save(*, user, name: str, query: str) -> tuple[SavedFilter, bool]:
    """Save `query` under `name`; a name the user already has is updated. Returns (filter, created)."""
    name = name.strip()
    if not name:
        raise InvalidInput(_("请填写筛选名称。"), field="name")
    existing = saved_filters_for(user).filter(name=name).first()
    if existing is not None:
        existing.query = query
        existing.save(update_fields=["query"])
        return existing, False
    if saved_filters_for(user).count() >= MAX_SAVED_FILTERS:
        raise InvalidInput(_("最多保存%(n)d个筛选，请先删除不用的。") % {"n": MAX_SAVED_FILTERS}, field="name")
    try:
        with transaction.atomic():
            return SavedFilter.objects.create(user=user, name=name, query=query), True
    except IntegrityError:  # the same name saved a moment ago in another tab
        raise InvalidInput(_("已有同名的筛选，请换一个名称。"), field="name") from None


def saved_filter_delete(*, user, pk: int) -> SavedFilter:
    saved = saved_filter_get(user=user, pk=pk)
    saved.delete()
    return saved
