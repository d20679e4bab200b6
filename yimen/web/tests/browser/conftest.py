"""Browser tests: the workbench driven in real headless Chromium through Playwright for Python.

Playwright never downloads a browser here: it launches Debian's `chromium` (scripts/browser.sh
installs it; `YIMEN_CHROMIUM` points elsewhere). Where no Chromium is installed the tests are skipped
with one line in the summary; under `CI=true` they fail instead, so CI never passes without them.

    pytest -m browser            only these tests
    pytest -m "not browser"      everything else
"""

import os
from pathlib import Path

import pytest

from yimen.web.chromium import CHROMIUM, CHROMIUM_ARGS, INSTALL_HINT, chromium_path

VIEWPORT = {"width": 1366, "height": 768}
PASSWORD = "browser-test-pw"
HERE = Path(__file__).resolve().parent


def chromium_missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    return None if chromium_path() else f"未找到 Chromium（{CHROMIUM}）：{INSTALL_HINT}"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


_skipped = []


def pytest_collection_modifyitems(config, items):
    """Outside CI a missing Chromium skips the browser tests (counted once in the summary)."""
    reason = chromium_missing()
    if reason is None or in_ci():
        return
    for item in items:
        if item.get_closest_marker("browser") is not None and HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.skip(reason=reason))
            _skipped.append(item.nodeid)


def pytest_terminal_summary(terminalreporter):
    if _skipped:
        terminalreporter.write_line(f"{chromium_missing()} — 已跳过 {len(_skipped)} 项浏览器测试", yellow=True)


@pytest.fixture(scope="package")
def chromium():
    """One headless Chromium for the whole package; each test gets its own context (cookies, storage)."""
    reason = chromium_missing()
    if reason is not None:  # outside CI the marked items were skipped already; this catches the rest
        if in_ci():
            pytest.fail(f"{reason} — CI=true：浏览器测试不可跳过 (CI requires the browser tests)", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an asyncio event loop in this (the test) thread for as long as it is
    # started. Django sees that running loop and refuses ORM calls from the thread with
    # SynchronousOnlyOperation — yet the tests must create their world, read results and flush the
    # database here. Nothing actually runs concurrently (Playwright's loop is idle while test code
    # runs), so the check is switched off while the browser is up, and restored afterwards so that
    # the rest of the suite keeps Django's protection.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(chromium, live_server, transactional_db, settings):
    """A fresh browser context and page at 1366×768, zh-CN, Beijing time; closed after the test."""
    # Signing in hashes passwords on both sides of the form; the default hasher costs ~0.5 s a time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    page = open_page(chromium, viewport=VIEWPORT)
    yield page
    page.context.close()


def open_page(chromium, **context_options):
    """A page in a fresh context (zh-CN, Beijing time), collecting its JavaScript errors in `js_errors`."""
    context = chromium.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **context_options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    return page


def sign_in(page, live_server, user, password: str = PASSWORD):
    """Sign `user` in through the real /login/ form (a fresh session: the previous user is signed out).

    The world's personas are made with a password hash the browser cannot know, so the known
    password is set here first.
    """
    from playwright.sync_api import expect

    user.set_password(password)
    user.save(update_fields=["password"])
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page.locator("header.topbar .who .name")).to_have_text(user.get_full_name() or user.username)
    return page
