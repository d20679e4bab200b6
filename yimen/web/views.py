from django.shortcuts import render


def home(request):
    """The front page: where to sign in and where the API is documented (the workbench comes next)."""
    return render(request, "web/home.html")
