from django.contrib import admin
from django.urls import include, path

from yimen.api.urls import api

admin.site.site_header = "一门 · 综治中心管理后台"
admin.site.site_title = "一门"
admin.site.index_title = "基础数据与配置"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("yimen.web.urls")),
]
