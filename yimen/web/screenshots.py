"""`make screenshots`: the workbench's main pages as PNGs at 1366×768, the 解纷码 poster, and every
residents' page at 360×740 (a phone), for the README and docs.

    python -m yimen.web.screenshots docs/screenshots

Everything happens in a throwaway directory: a fresh SQLite database (migrated, with a small demo
loaded), served on a free local port, photographed by Debian's headless Chromium through Playwright
(which never downloads a browser of its own). The developer's database and var/ are never touched.
A page that does not exist yet (404) is skipped with one line.
"""

import logging
import os
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from yimen.web.chromium import CHROMIUM, INSTALL_HINT, chromium_path
from yimen.web.chromium import CHROMIUM_ARGS as BASE_CHROMIUM_ARGS

DEMO_MATTERS = 60
VIEWPORT = {"width": 1366, "height": 768}
PHONE_VIEWPORT = {"width": 360, "height": 740}
A4_VIEWPORT = {"width": 794, "height": 1123}  # A4 at 96 dpi
RESIDENT_PHONE = "13700137000"
TOWNSHIP_CODE = "449001001"  # 桃源镇, whose centre's code the demo poster carries
# The browser tests' Chromium and flags, with the browser's own words (file pickers, date inputs) in
# Chinese, as users see them.
CHROMIUM_ARGS = [*BASE_CHROMIUM_ARGS, "--lang=zh-CN"]

# Demo accounts (yimen/demo/signin.py): the 桃源镇 centre, the 青溪县 labour bureau and supervisor.
CLERK = "clerk_taoyuan"
DISPATCHER = "dispatcher_taoyuan"
HANDLER = "handler_qingxi_hrss"
SUPERVISOR = "supervisor_qingxi"


@dataclass(frozen=True)
class Shot:
    name: str  # file name without .png
    user: str | None  # who is signed in (None: nobody)
    path: str | None  # None: the page could not be found (its reason in `missing`)
    missing: str = ""


def _prepare_environment(workdir: Path) -> None:
    """Point the settings at the throwaway directory; must run before django.setup()."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "yimen.settings"
    os.environ["YIMEN_VAR_DIR"] = str(workdir)
    os.environ["YIMEN_MEDIA_ROOT"] = str(workdir / "media")
    os.environ["YIMEN_DATABASE_URL"] = f"sqlite:///{workdir / 'screenshots.sqlite3'}"
    os.environ["YIMEN_DEBUG"] = "false"
    # The pictures show the demo, and so its banner, as a newcomer sees it after `make run`.
    os.environ["YIMEN_DEMO"] = "true"
    os.environ["YIMEN_LOG_LEVEL"] = "ERROR"
    os.environ["YIMEN_PUBLIC_BASE_URL"] = "http://127.0.0.1:8000"
    # Background work (triage on intake, notifications) runs in place; nothing leaves the machine.
    os.environ["YIMEN_TASK_BACKEND"] = "immediate"
    os.environ["YIMEN_NOTIFICATION_SENDERS"] = "yimen.notifications.senders.LogSender"
    os.environ["YIMEN_WEBHOOK_URL"] = ""
    # The resident's one-time code is read from memory by the script, as a phone would receive it.
    os.environ["YIMEN_SMS_SENDER"] = "yimen.residents.sms.MemorySmsSender"
    os.environ["YIMEN_SMS_ECHO_CODE"] = "false"


def _load_demo() -> None:
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)
    from yimen.demo.loader import demo_load

    demo_load(matters=DEMO_MATTERS)
    return _stage_live_matters()


def _stage_live_matters():
    """A handful of matters at each step of the loop *now*, through the real services, so the window's
    receipt, the dispatch page, the unit inbox and the follow-up queue have something current on
    them (the demo's year of history is mostly archived)."""
    from yimen.accounts.models import User
    from yimen.cases import transitions as t
    from yimen.cases.intake import CaseInput, PartyInput, case_register
    from yimen.cases.models import Category
    from yimen.regions.models import Level, Region, Unit

    clerk, dispatcher, handler = (User.objects.get(username=u) for u in (CLERK, DISPATCHER, HANDLER))
    grid = Region.objects.filter(code__startswith="449001001", level=Level.GRID).order_by("code").first()
    labour = Category.objects.get(code="labour")
    hrss = Unit.objects.get(memberships__user=handler)
    stories = [
        ("桃源镇某工地拖欠工资", "张建国等9名工人在杏花村某工地务工，工资共计6万余元至今未结清，包工头失联。",
         "请求协调支付拖欠工资", "张建国", "440101198503127717", "13800138001"),
        ("农民工讨薪（杏花村新街项目）", "李秀英等5人在新街项目做装修，约3万元工钱拖欠两个月。",
         "请求督促发包方支付工钱", "李秀英", "440101197911234429", "13800138002"),
        ("饭店停业欠发工资", "杏花村某饭店停业，厨师与服务员共4人两个月工资未发。",
         "请求支付工资及经济补偿", "王海涛", "44010119900605331X", "13800138003"),
        ("物流公司克扣工资", "快递分拣员反映公司以罚款名义克扣工资，涉及十余人。",
         "请求返还被扣工资", "陈晓明", "440101199212019016", "13800138004"),
    ]
    cases = [
        case_register(actor=clerk, data=CaseInput(
            channel="walk_in", region=grid, title=title, description=description, request=request,
            category=labour, parties=[
                PartyInput(name=name, id_number=id_number, phone=phone, headcount=4),
                PartyInput(name="某建筑劳务有限公司", role="respondent", kind="organisation"),
            ]))
        for title, description, request, name, id_number, phone in stories
    ]
    # cases[0] waits for dispatch; [1] waits for the unit to sign; [2] is being mediated; [3] is resolved.
    for case in cases[1:]:
        t.case_dispatch(actor=dispatcher, case=case, lead_unit=hrss)
    for case in cases[2:]:
        t.assignment_accept(actor=handler, case=case)
    t.case_record_progress(actor=handler, case=cases[2], kind="mediation", note="组织双方面对面调解，初步达成分期支付意向。",
                           details={"place": "桃源镇综治中心调解室", "mediators": "人社局劳动监察员、镇司法所调解员",
                                    "method": "face_to_face", "parties_present": "工人代表3人、劳务公司负责人",
                                    "result": "公司同意先付一半", "next_step": "一周后再次调解，确认余款支付时间"})
    t.case_resolve(actor=handler, case=cases[3], outcome="agreement", result="公司当场返还被扣工资，双方签订调解协议。")
    return {"in_progress": cases[2], "resolved": cases[3]}


def _url(name: str, *args) -> tuple[str | None, str]:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(name, args=args), ""
    except NoReverseMatch:
        return None, f"没有名为 {name} 的页面 (no URL named {name})"


def _matter(username: str, statuses, *, most_events: bool = False):
    """A matter `username` can see, in one of `statuses` (the liveliest one when `most_events`)."""
    from django.db.models import Count

    from yimen.accounts.models import User
    from yimen.accounts.scopes import visible_cases_q
    from yimen.cases.models import Case

    user = User.objects.get(username=username)
    cases = Case.objects.filter(visible_cases_q(user), status__in=statuses)
    if most_events:
        cases = cases.annotate(n_events=Count("events")).order_by("-n_events", "-pk")
    else:
        cases = cases.order_by("-received_at")
    return cases.first()


def _shots() -> list[Shot]:
    """The pages to photograph, resolved against the demo (a missing page or matter is noted)."""
    from yimen.cases.models import Status

    shots = []

    def add(name, user, url_name, *args):
        path, missing = _url(url_name, *args)
        shots.append(Shot(name, user, path, missing))

    def add_for_matter(name, user, url_name, matter):
        if matter is None:
            shots.append(Shot(name, user, None, f"演示数据中没有合适的事项 (no suitable matter for {user})"))
        else:
            add(name, user, url_name, matter.number)

    add("01-login", None, "web:login")
    add("02-home-dispatcher", DISPATCHER, "web:home")
    add("03-home-handler", HANDLER, "web:home")
    add("04-window", CLERK, "web:window")
    add_for_matter("05-receipt", CLERK, "web:case_receipt", _matter(CLERK, [Status.REGISTERED, Status.PENDING_DISPATCH]))
    add_for_matter("06-dispatch", DISPATCHER, "web:case_dispatch", _matter(DISPATCHER, [Status.REGISTERED, Status.PENDING_DISPATCH]))
    add("07-inbox", HANDLER, "web:inbox")
    add_for_matter("08-matter", HANDLER, "web:case_detail", _matter(HANDLER, [Status.IN_PROGRESS], most_events=True))
    add("09-supervise", SUPERVISOR, "web:supervise")
    add("10-followups", DISPATCHER, "web:followups")
    add("11-cases", DISPATCHER, "web:case_list")
    # Issue 11: the audit administrator's page, a user's account security (second factor), and the
    # security administrator's part of the admin (三员分立).
    add("24-audit", "auditor", "web:audit")
    add("25-account-2fa", DISPATCHER, "web:account_otp")
    add("26-admin-security", "secadmin", "admin:index")
    return shots


def _serve() -> tuple[str, object]:
    """Serve the app (with static files from the finders, as runserver does) on a free local port."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
    server.set_app(StaticFilesHandler(get_wsgi_application()))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", server


def _has_cjk_font() -> bool:
    try:
        out = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return True  # cannot tell; do not warn
    return bool(out.strip())


def _save(page, out_dir: Path, name: str, *, full_page: bool = False) -> None:
    target = out_dir / f"{name}.png"
    page.screenshot(path=str(target), full_page=full_page)
    print(f"  已保存 saved {target}  ({page.url.split('//', 1)[-1].split('/', 1)[-1]})")


def _sign_in(page, base_url: str, username: str, *, english: bool = False) -> None:
    """Through the real sign-in form with the demo password; `english` presses the language switch
    first (the browsers ask for Chinese, as a centre's do)."""
    from yimen.demo.staff import DEMO_PASSWORD

    page.goto(f"{base_url}/login/")
    if english:
        page.get_by_role("button", name="English").click()
    user_label, password_label, button = ("Username", "Password", "Log in") if english else ("用户名", "密码", "登录")
    page.get_by_label(user_label).fill(username)
    page.get_by_label(password_label).fill(DEMO_PASSWORD)
    page.get_by_role("button", name=button).click()
    page.wait_for_url(lambda url: "/login/" not in url)


def _photograph_poster(browser, base_url: str, out_dir: Path) -> int:
    """The township centre's A4 poster, as a clerk opens it to print."""
    context = browser.new_context(viewport=A4_VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    _sign_in(page, base_url, CLERK)
    page.goto(f"{base_url}/posters/{TOWNSHIP_CODE}/?size=a4")
    _save(page, out_dir, "12-poster-a4")
    context.close()
    return 1


def _photograph_residents(browser, base_url: str, out_dir: Path, staged: dict) -> int:
    """Every residents' page at 360×740, walking the path a resident takes (register, then track)."""
    import io

    from PIL import Image

    from yimen.residents.sms import MemorySmsSender

    context = browser.new_context(viewport=PHONE_VIEWPORT, is_mobile=True, has_touch=True, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    context.set_default_timeout(20_000)
    page = context.new_page()
    photo = io.BytesIO()
    Image.new("RGB", (640, 480), (90, 120, 150)).save(photo, format="JPEG")
    page.goto(f"{base_url}/r/c/{TOWNSHIP_CODE}/")
    _save(page, out_dir, "13-r-start")
    page.get_by_role("link", name="我要反映问题").click()
    page.get_by_label("邻里纠纷").check()
    page.get_by_label("发生了什么").fill("楼上邻居每天夜里十一点以后还在装修打电钻，已经持续两个星期，上门沟通过两次都没有用。")
    page.get_by_label("在桃源镇的哪里").select_option(index=1)
    page.get_by_role("button", name="选好了，显示下一级").click()
    page.get_by_label("对方是谁（个人或单位，可不填）").fill("楼上502住户")
    page.get_by_label("您希望怎么解决").fill("希望协调对方晚上十点以后不要施工")
    page.get_by_label("您的姓名").fill("刘秀兰")
    page.get_by_label("手机号").fill(RESIDENT_PHONE)
    page.get_by_label("照片、录音或材料（可不填）").set_input_files(
        {"name": "收据.jpg", "mimeType": "image/jpeg", "buffer": b"<html>not a photo</html>"})
    page.get_by_role("button", name="获取验证码").click()
    page.locator(".errorlist").first.scroll_into_view_if_needed()
    _save(page, out_dir, "15-r-register-refused")
    page.get_by_label("照片、录音或材料（可不填）").set_input_files(
        {"name": "楼道照片.jpg", "mimeType": "image/jpeg", "buffer": photo.getvalue()})
    page.get_by_role("button", name="选好了，显示下一级").click()
    page.get_by_label("短信验证码").fill(MemorySmsSender.last_code_for(RESIDENT_PHONE) or "")
    _save(page, out_dir, "14-r-register", full_page=True)
    page.get_by_role("button", name="提交").click()
    page.wait_for_url(lambda url: "/r/done/" in url)
    page.wait_for_load_state("networkidle")
    _save(page, out_dir, "16-r-done")
    number = page.locator(".r-done-codes .r-code").first.inner_text().strip()
    page.goto(f"{base_url}/r/m/{number}/withdraw/")
    _save(page, out_dir, "20-r-withdraw")
    page.goto(f"{base_url}/r/track/")
    _save(page, out_dir, "17-r-track")
    for name, case in (("18-r-matter", staged["in_progress"]), ("19-r-rate", staged["resolved"])):
        page.goto(f"{base_url}/r/track/?number={case.number}&code={case.query_code}")
        _save(page, out_dir, name, full_page=True)
    # The phone proved while registering still opens "my matters" in this session.
    page.goto(f"{base_url}/r/mine/")
    _save(page, out_dir, "21-r-mine")
    context.close()
    return 9


def _photograph_in_english(browser, base_url: str, out_dir: Path, staged: dict) -> int:
    """The same app after a user presses "English" on the sign-in page: the handler's matter page and
    a resident's matter page. The browsers ask for Chinese, as a centre's do; the switch is a cookie,
    so each context presses it once."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(20_000)
    page = context.new_page()
    _sign_in(page, base_url, HANDLER, english=True)
    matter = staged.get("handler_matter")
    if matter is not None:
        page.goto(f"{base_url}/cases/{matter.number}/")
        _save(page, out_dir, "22-en-matter")
    context.close()
    phone = browser.new_context(viewport=PHONE_VIEWPORT, is_mobile=True, has_touch=True, locale="zh-CN",
                                timezone_id="Asia/Shanghai")
    page = phone.new_page()
    case = staged["in_progress"]
    page.goto(f"{base_url}/r/track/?number={case.number}&code={case.query_code}")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state("networkidle")
    _save(page, out_dir, "23-en-r-matter", full_page=True)
    phone.close()
    return 1 + (matter is not None)


def _photograph(base_url: str, shots: list[Shot], out_dir: Path, staged: dict | None = None) -> tuple[int, int]:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    saved = skipped = 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        pages = {}  # one signed-in page per user
        for shot in shots:
            if shot.path is None:
                print(f"  跳过 skipped {shot.name}: {shot.missing}")
                skipped += 1
                continue
            if shot.user not in pages:
                context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
                context.set_default_timeout(20_000)
                page = context.new_page()
                if shot.user is not None:
                    _sign_in(page, base_url, shot.user)
                pages[shot.user] = page
            page = pages[shot.user]
            response = page.goto(f"{base_url}{shot.path}")
            if response is None or response.status >= 400:
                status = response.status if response is not None else "?"
                print(f"  跳过 skipped {shot.name}: {shot.path} 返回 HTTP {status}")
                skipped += 1
                continue
            try:  # let htmx fragments that load with the page arrive (a polling page never idles)
                page.wait_for_load_state("networkidle", timeout=3000)
            except PlaywrightTimeout:
                pass
            target = out_dir / f"{shot.name}.png"
            page.screenshot(path=str(target))
            print(f"  已保存 saved {target}  ({shot.path}{' · ' + shot.user if shot.user else ''})")
            saved += 1
        if staged is not None:
            saved += _photograph_poster(browser, base_url, out_dir)
            saved += _photograph_residents(browser, base_url, out_dir, staged)
            saved += _photograph_in_english(browser, base_url, out_dir, staged)
        browser.close()
    return saved, skipped


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) != 1:
        print("用法 usage: python -m yimen.web.screenshots OUT_DIR", file=sys.stderr)
        return 2
    out_dir = Path(argv[0]).resolve()
    if chromium_path() is None:
        print(f"未找到 Chromium（{CHROMIUM}）：{INSTALL_HINT}", file=sys.stderr)
        return 1
    if not _has_cjk_font():
        print("警告 warning: 未找到中文字体，截图中的汉字会显示为方框：sudo apt-get install fonts-noto-cjk")
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="yimen-screenshots-") as tmp:
        _prepare_environment(Path(tmp))
        import django

        django.setup()
        (Path(tmp) / "static").mkdir()
        print(f"准备演示数据 (migrating and loading a {DEMO_MATTERS}-matter demo in {tmp}) …")
        staged = _load_demo()
        shots = _shots()
        # Read before the browser starts: Django's ORM refuses to run inside Playwright's event loop.
        staged["handler_matter"] = _matter(HANDLER, ["in_progress"], most_events=True)
        base_url, server = _serve()
        # A favicon's 404 is not news; a page's 500 (with its traceback) still is. (Set after the
        # WSGI handler's own django.setup(), whose logging config resets Django's child loggers.)
        logging.getLogger("django.request").setLevel(logging.ERROR)
        try:
            saved, skipped = _photograph(base_url, shots, out_dir, staged)
        finally:
            server.shutdown()
            server.server_close()
            from django.db import connections

            connections.close_all()
    print(f"截图完成 done: {saved} saved, {skipped} skipped → {out_dir}")
    return 0 if saved else 1


if __name__ == "__main__":
    raise SystemExit(main())
