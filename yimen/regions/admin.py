from django.contrib import admin

from .models import Centre, Region, RotaSlot, Stationing, Unit


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent", "households"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]
    list_per_page = 50


class StationingInline(admin.TabularInline):
    model = Stationing
    extra = 0
    raw_id_fields = ["unit"]


@admin.register(Centre)
class CentreAdmin(admin.ModelAdmin):
    list_display = ["name", "region", "phone", "hours"]
    search_fields = ["name", "region__code", "region__name"]
    raw_id_fields = ["region"]
    inlines = [StationingInline]
    list_select_related = ["region"]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "region", "phone", "active"]
    list_filter = ["kind", "active", "region__level"]
    search_fields = ["name", "region__code"]
    raw_id_fields = ["region"]
    list_select_related = ["region"]


class RotaSlotInline(admin.TabularInline):
    model = RotaSlot
    extra = 0


@admin.register(Stationing)
class StationingAdmin(admin.ModelAdmin):
    list_display = ["unit", "centre", "mode", "window"]
    list_filter = ["mode"]
    search_fields = ["unit__name", "centre__name"]
    raw_id_fields = ["unit", "centre"]
    inlines = [RotaSlotInline]
    list_select_related = ["unit", "centre"]
