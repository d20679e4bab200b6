"""The staff workbench's URLs. Each area's view module declares its own `urlpatterns`, so the areas
can grow without touching one shared file."""

from .views import account, audit, case, followups, home, inbox, lists, resident_intake, resident_track, supervise, window

app_name = "web"

urlpatterns = [
    *home.urlpatterns,
    *account.urlpatterns,
    *window.urlpatterns,
    *case.urlpatterns,
    *inbox.urlpatterns,
    *supervise.urlpatterns,
    *followups.urlpatterns,
    *lists.urlpatterns,
    *resident_intake.urlpatterns,
    *resident_track.urlpatterns,
    *audit.urlpatterns,
]
