"""Sign-in, sign-out and the home page (the worklist per role)."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yimen.cases import worklists


class SignInView(auth_views.LoginView):
    template_name = "web/registration/login.html"
    redirect_authenticated_user = True
    extra_context = {"title": _("登录")}


@login_required
def home(request):
    """What is waiting for this user, from the roles they hold: a constant number of queries per
    role (worklists.home_work), capped counts where a region's scope is large."""
    work = worklists.home_work(user=request.user, now=timezone.now())
    return render(request, "web/home.html", {"title": _("工作台"), "active_section": "home", "work": work})


urlpatterns = [
    path("", home, name="home"),
    path("login/", SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="web:login"), name="logout"),
]
