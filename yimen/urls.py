from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from yimen.api.urls import api
from yimen.web.views.account import admin_sign_in

admin.site.site_header = _("一门 · 综治中心管理后台")
admin.site.site_title = _("一门")
admin.site.index_title = _("基础数据与配置")

urlpatterns = [
    # One sign-in door (lockout, second factor) for the workbench and the admin alike.
    path("admin/login/", admin_sign_in),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    # POST language=en|zh-hans: the switch on every page (web/_language.html) remembers it in a cookie.
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("yimen.web.urls")),
]

# Errors reveal nothing (issue 11): a 500 with a reference id in the log; JSON under /api/.
handler404 = "yimen.web.views.errors.page_not_found"
handler500 = "yimen.web.views.errors.server_error"
