"""The JSON API v1, mounted at /api/v1/ by yimen/urls.py.

OpenAPI at /api/v1/openapi.json, docs page at /api/v1/docs (offline: see docs.py).
Authentication: `Authorization: Bearer <token>` (yimen token create USERNAME) or the Django session.
"""

from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI

from . import errors
from .actions import body_components
from .auth import SessionAuth, TokenAuth
from .cases import router as cases_router
from .docs import OfflineSwagger, docs_access
from .docs import router as docs_router
from .triage import router as triage_router

DESCRIPTION = _("""一门（综治中心矛盾纠纷多元化解平台）JSON 接口。

- 认证：请求头 `Authorization: Bearer <令牌>`（令牌由管理员执行 `yimen token create 用户名` 生成，只显示一次）；
  浏览器中已登录时也可直接使用（写操作需带 CSRF 令牌）。
- 错误：一律为 JSON `{"code", "message", "field"}`，message 的语言跟随请求头 Accept-Language（默认中文）。400 输入有误（field 指明字段），401 未认证，
  403 角色无权，404 不存在或不在您的权限范围内（不存在的接口地址也是 JSON 404），409 当前状态不允许该操作，413 附件过大，
  429 过于频繁（`Retry-After` 头给出秒数），500 服务器错误（只带参考编号 `reference`，管理员据此在日志中查找）。
  文字中不能含有不可见的控制字符（NUL 等）；多行的描述、理由等可以换行。
- 幂等：POST 请求可带 `Idempotency-Key` 头；重试时带相同的键，只执行一次并返回第一次的结果。
- 分页：GET /cases 使用 `limit` 与 `cursor`（取自上一页的 `next_cursor`）。
""")


class YimenAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        # Bodies parsed by the doors themselves (one schema per action, CaseIn for JSON and multipart).
        schema["components"]["schemas"].update(body_components())
        schema["info"]["description"] = str(self.description)
        return schema


api = YimenAPI(
    title="一门 Yimen API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    auth=[TokenAuth(), SessionAuth()],
    renderer=errors.ChineseJSONRenderer(),
    docs=OfflineSwagger(),
    docs_decorator=docs_access,
)
errors.install(api)
api.add_router("/cases", cases_router)
api.add_router("", triage_router)
api.add_router("", docs_router)
