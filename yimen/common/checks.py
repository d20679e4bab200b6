"""Start-up checks that keep a centre from running in earnest on demo settings.

Outside demo mode (settings.YIMEN_DEMO) Yimen refuses to start with the published default secret key
or with the SMS code echoed on the page. Each message is in Chinese and English and names the variable
to set, since whoever reads it is at a terminal, perhaps before any language is chosen. The checks
carry the tag SAFETY_TAG and are deployment checks, so that migrate, backup and the other commands
an operator runs while setting up are not held to them; `yimen.common.startup.refuse_unsafe_start`
runs them when the WSGI application loads (a plain `gunicorn yimen.wsgi:application` is held to
them too), and scripts/run.sh runs `yimen check --deploy --tag yimen_safety` before it starts.
"""

from django.conf import settings
from django.core.checks import Error, Warning, register

SAFETY_TAG = "yimen_safety"
MIN_SECRET_KEY_LENGTH = 32
NEW_KEY_HINT = "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"


@register(SAFETY_TAG, deploy=True)
def check_secret_key(app_configs=None, **kwargs):
    if settings.YIMEN_DEMO:
        return []
    key = settings.SECRET_KEY or ""
    if key == settings.DEMO_SECRET_KEY:
        return [Error(
            "YIMEN_SECRET_KEY 未设置，默认密钥只能用于演示模式。请把 YIMEN_SECRET_KEY（或 YIMEN_SECRET_KEY_FILE）"
            "设为一串随机字符后再启动。/ YIMEN_SECRET_KEY is not set: the default key is for the demo "
            "(YIMEN_DEMO=true) only. Set YIMEN_SECRET_KEY (or YIMEN_SECRET_KEY_FILE) to a random string.",
            hint=NEW_KEY_HINT,
            id="yimen.E001",
        )]
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return [Error(
            f"YIMEN_SECRET_KEY 太短（{len(key)} 个字符），至少需要 {MIN_SECRET_KEY_LENGTH} 个随机字符。"
            f"/ YIMEN_SECRET_KEY is too short ({len(key)} characters); use at least {MIN_SECRET_KEY_LENGTH} random characters.",
            hint=NEW_KEY_HINT,
            id="yimen.E002",
        )]
    return []


@register(SAFETY_TAG, deploy=True)
def check_sms_code_echo(app_configs=None, **kwargs):
    if settings.YIMEN_DEMO or not settings.YIMEN_SMS_ECHO_CODE:
        return []
    return [Error(
        "YIMEN_SMS_ECHO_CODE=true 会把短信验证码显示在页面上：知道某位群众手机号的人就能打开他的事项。"
        "演示模式之外必须关闭：删除该变量或设为 false。/ YIMEN_SMS_ECHO_CODE=true shows the SMS code on the "
        "page, so anyone who knows a resident's phone number can open their matters. Outside demo mode "
        "unset it or set it to false.",
        id="yimen.E003",
    )]


@register(SAFETY_TAG, deploy=True)
def check_replica_reads_own_writes(app_configs=None, **kwargs):
    """With a read replica (common/dbrouter.py), a user pinned to the primary for less time than the
    replica may lag would read the replica before it has their write: their matter would vanish."""
    from .dbrouter import replica_configured

    if not replica_configured():
        return []
    found = []
    sticky, lag = settings.YIMEN_REPLICA_STICKY_SECONDS, settings.YIMEN_REPLICA_MAX_LAG_SECONDS
    if sticky < lag:
        found.append(Error(
            f"YIMEN_REPLICA_STICKY_SECONDS（{sticky}）小于 YIMEN_REPLICA_MAX_LAG_SECONDS（{lag}）：用户刚登记的事项"
            "可能在只读副本上还看不到。请把前者设为不小于后者。/ YIMEN_REPLICA_STICKY_SECONDS "
            f"({sticky}) is below YIMEN_REPLICA_MAX_LAG_SECONDS ({lag}): a user could read the replica before "
            "it has their own write. Set the first at least as high as the second.",
            id="yimen.E050",
        ))
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if "redis" not in backend.lower() and ".memcached." not in backend.lower():  # locmem, file, database
        found.append(Warning(
            "已配置只读副本，但缓存不是共享的（未设 YIMEN_REDIS_CACHE=true）：不带 Cookie 的接口客户端写入后，"
            "只有在同一台 Web 服务器上才能读到自己的写入。/ A replica is configured but the cache is not "
            "shared (YIMEN_REDIS_CACHE is not true): an API client that keeps no cookie reads its own "
            "writes only on the web node it wrote through.",
            id="yimen.W050",
        ))
    return found
