"""Sign-in, sign-out and the home page (the worklist per role)."""

from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yimen.accounts import otp
from yimen.accounts.forms import SignInForm
from yimen.cases import worklists


class SignInView(auth_views.LoginView):
    """Password first (django-axes counts the failures, SignInForm says how many tries remain); a user
    with a confirmed authenticator then gives the code on the next page (account.SignInCodeView)."""

    template_name = "web/registration/login.html"
    form_class = SignInForm
    redirect_authenticated_user = True
    extra_context = {"title": _("登录")}

    def form_valid(self, form):
        user = form.get_user()
        if otp.confirmed_device(user) is not None:
            # Not signed in yet: user_logged_in fires only once the second factor is given.
            self.request.session[otp.PENDING] = {
                "user": user.pk, "backend": user.backend, "next": self.get_success_url(),
                "at": int(timezone.now().timestamp()),
            }
            return redirect("web:signin_code")
        auth_login(self.request, user)
        if otp.otp_required(user):
            self.request.session[otp.ENROL_REQUIRED] = True
        return redirect(self.get_success_url())

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.locked:
            response.status_code = 429
        return response


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
