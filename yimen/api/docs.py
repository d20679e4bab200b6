"""The docs page at /api/v1/docs, working offline: no CDN, every asset from this server.

Ninja renders its CDN template unless "ninja" is in INSTALLED_APPS. This page uses our own template
and takes Swagger UI's files from Ninja's package: through /static/ when Ninja is an installed app
(collectstatic and WhiteNoise serve them), otherwise through /api/v1/docs/assets/<name>.
"""

import json
import mimetypes
from functools import wraps
from pathlib import Path

import ninja
from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Router
from ninja.openapi.docs import DocsBase

from yimen.common.errors import NotFound

ASSET_DIR = Path(ninja.__file__).parent / "static" / "ninja"
ASSETS = ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-init.js", "favicon.png", "favicon.svg")

router = Router()


def docs_access(view):
    """The docs page and the OpenAPI document: for a signed-in user or a valid bearer token, unless
    settings.YIMEN_API_DOCS_PUBLIC. The document names every field a matter has; a centre decides
    whether that is public. Swagger UI sets inline styles, which the page's policy allows (scripts stay
    our own files only)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not settings.YIMEN_API_DOCS_PUBLIC and not _signed_in(request):
            if request.path.endswith(".json"):
                from .errors import error_body, json_response

                return json_response(401, error_body("unauthenticated", _("接口文档需要登录后查看，或在请求头中携带访问令牌。")),
                                     headers={"WWW-Authenticate": 'Bearer realm="yimen"'})
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return csp_update({"style-src": [UNSAFE_INLINE]})(wrapped)


def _signed_in(request) -> bool:
    from .auth import TokenAuth

    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        return True
    header = request.headers.get("Authorization", "")
    scheme, _space, token = header.partition(" ")
    return scheme.lower() == "bearer" and TokenAuth().authenticate(request, token) is not None


def asset_url(name: str) -> str:
    if "ninja" in settings.INSTALLED_APPS:
        return static(f"ninja/{name}")
    return reverse("api-v1:docs_asset", kwargs={"name": name})


class OfflineSwagger(DocsBase):
    template = "api/swagger.html"

    def render_page(self, request, api, **kwargs):
        swagger_settings = {"layout": "BaseLayout", "deepLinking": True, "url": self.get_openapi_url(api, kwargs),
                            "persistAuthorization": True}
        context = {
            "api": api,
            "swagger_settings": json.dumps(swagger_settings),
            "assets": {name.split(".")[0].replace("-", "_") + "_" + name.rsplit(".", 1)[1]: asset_url(name) for name in ASSETS},
        }
        return render(request, self.template, context)


@router.get("/docs/assets/{name}", auth=None, include_in_schema=False, url_name="docs_asset")
def docs_asset(request, name: str):
    if name not in ASSETS:
        raise NotFound()
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse((ASSET_DIR / name).open("rb"), content_type=content_type)
    response["Cache-Control"] = "public, max-age=86400"
    return response
