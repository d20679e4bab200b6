"""Sign-in, sign-out and the home page."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext_lazy as _


class SignInView(auth_views.LoginView):
    template_name = "web/registration/login.html"
    redirect_authenticated_user = True
    extra_context = {"title": _("登录")}


@login_required
def home(request):
    """Placeholder until the worklist lands: the signed-in user's roles and sections."""
    return render(request, "web/home.html", {"title": _("工作台")})


urlpatterns = [
    path("", home, name="home"),
    path("login/", SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="web:login"), name="logout"),
]
