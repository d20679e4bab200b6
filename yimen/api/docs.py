"""The docs page at /api/v1/docs, working offline: no CDN, every asset from this server.

Ninja renders its CDN template unless "ninja" is in INSTALLED_APPS. This page uses our own template
and takes Swagger UI's files from Ninja's package: through /static/ when Ninja is an installed app
(collectstatic and WhiteNoise serve them), otherwise through /api/v1/docs/assets/<name>.
"""

import json
import mimetypes
from pathlib import Path

import ninja
from django.conf import settings
from django.http import FileResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from ninja import Router
from ninja.openapi.docs import DocsBase

from yimen.common.errors import NotFound

ASSET_DIR = Path(ninja.__file__).parent / "static" / "ninja"
ASSETS = ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-init.js", "favicon.png", "favicon.svg")

router = Router()


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
