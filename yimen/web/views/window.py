"""(placeholder until this area is built: the helper that owns it replaces this file)"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path


@login_required
def placeholder(request):
    return render(request, "web/home.html")


urlpatterns = [path("window/", placeholder, name="window")]
