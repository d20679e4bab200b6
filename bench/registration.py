"""Registration: matters per second through the service layer, and over HTTP against a bare view.

Both register the same kind of matter: a walk-in (or phone, online …) report in a grid of the clerk's
township, with a category, an urgency, an applicant with a valid ID number and phone, and usually a
respondent. The clerks are the eight township clerks of the bench data (one per township), so the
per-centre number counters are spread as they are in real use.
"""

import json
import random
import statistics
import time
from dataclasses import dataclass

from bench import data
from bench.report import Report

CHANNELS = ["walk_in", "walk_in", "walk_in", "phone", "online", "grid", "hotline"]
URGENCIES = ["annoying", "annoying", "worrying", "worrying", "grave", "wish", "urgent"]
CATEGORY_CODES = [row[0] for row in data.CATEGORIES if row[3] is not None]


@dataclass
class Clerk:
    user: object
    township: str
    grids: list[str]


def clerks() -> list[Clerk]:
    from yimen.accounts.models import Membership, Role
    from yimen.regions.models import Region

    out = []
    for m in (Membership.objects.filter(role=Role.CLERK, region__level="township", user__username__startswith="clerk")
              .select_related("user", "region").order_by("region__code")):
        grids = list(Region.objects.filter(code__startswith=m.region.code, level="grid").values_list("code", flat=True))
        if grids and m.user.username in ("clerk", f"clerk_{m.region.code}"):
            out.append(Clerk(m.user, m.region.code, grids))
    return out


# Registered texts are put together from parts, so that no two are alike: duplicate detection at
# intake compares a new matter with earlier ones whose text fingerprint is close, and a bench that
# sent the same few texts over and over would measure a flood of false repeats.
OPENINGS = {
    "labour": "{who}等{n}名工人在{place}{site}务工{months}个月，工资共计{amount}元至今未结清",
    "neighbour": "{who}与邻居因{thing}问题发生争执，双方互不相让，已影响正常生活",
    "homestead": "{who}与{other}因宅基地边界及{thing}问题发生纠纷，双方各执一词",
    "property": "{place}小区业主{who}反映物业公司{thing}问题长期得不到解决，业主拒交物业费",
    "debt": "{who}于{months}个月前借给{other}{amount}元，约定到期归还，对方以各种理由拖延",
    "marriage": "{who}与配偶因{thing}长期不和，提出离婚，涉及子女抚养和{amount}元共同财产分割",
    "land_contract": "{place}村民{who}反映承包地被{other}占用种植，涉及土地约{n}亩",
    "land_acquisition": "{place}村民{who}反映道路施工征用承包地{n}亩，补偿款{amount}元未按标准发放",
    "traffic": "{who}驾驶电动车在{place}路口与{other}发生碰撞，对赔偿金额{amount}元分歧较大",
}
DETAILS = [
    "对方负责人电话不接", "曾报警处理但未解决", "村委会已组织过一次调解", "当事人情绪较为激动",
    "涉及老人和未成年子女", "双方均有过激言语", "已持续{months}个月", "有书面协议但对方不认可",
    "当事人家庭经济困难", "对方承诺过但未兑现", "现场已拍照留存", "另有{n}户村民反映类似情况",
    "当事人表示如不解决将去上级部门反映", "对方提出可以分期支付", "双方亲属也参与了争吵",
    "曾向{site}反映过", "证人{other}愿意作证", "损失还在扩大",
]
SITES = ["工地", "厂房", "养殖场", "加工厂", "装修项目", "物流园", "农贸市场", "学校工程"]
THINGS = ["漏水", "噪音", "排水沟", "围墙", "树木遮挡", "停车位", "电梯维修", "垃圾堆放", "通行道路", "房屋裂缝"]


def _description(rnd: random.Random, category: str, village: str) -> str:
    fill = {
        "who": rnd.choice(data.SURNAMES) + rnd.choice(data.GIVEN), "other": rnd.choice(data.SURNAMES) + "某",
        "place": village, "site": rnd.choice(SITES), "thing": rnd.choice(THINGS),
        "n": rnd.randint(2, 40), "months": rnd.randint(2, 18), "amount": rnd.randint(2, 500) * 100,
    }
    opening = OPENINGS.get(category) or rnd.choice(list(OPENINGS.values()))
    details = rnd.sample(DETAILS, 2)
    return "，".join(part.format(**fill) for part in (opening, *details)) + "，" + rnd.choice(data.REQUESTS) + "。"


def payloads(clerk: Clerk, count: int, seed: int) -> list[dict]:
    """`count` realistic registration bodies (the API's CaseIn) for `clerk`'s township."""
    from yimen.cases.validators import id_number_check_digit

    rnd = random.Random(seed)
    out = []
    for _ in range(count):
        first17 = f"{clerk.township[:6]}{rnd.randint(1950, 2004)}{rnd.randint(1, 12):02d}{rnd.randint(1, 28):02d}{rnd.randint(0, 999):03d}"
        category = rnd.choice(CATEGORY_CODES)
        parties = [{
            "name": rnd.choice(data.SURNAMES) + rnd.choice(data.GIVEN),
            "id_number": first17 + id_number_check_digit(first17),
            "phone": f"1{rnd.choice('3456789')}{rnd.randint(0, 999999999):09d}",
        }]
        if rnd.random() < 0.7:
            parties.append({"name": rnd.choice(data.ORGANISATIONS), "role": "respondent", "kind": "organisation"})
        body = {
            "channel": rnd.choice(CHANNELS),
            "region_code": rnd.choice(clerk.grids),
            "description": _description(rnd, category, rnd.choice(data.VILLAGE_NAMES)),
            "request": rnd.choice(data.REQUESTS),
            "category": category,
            "urgency": rnd.choice(URGENCIES),
            "parties": parties,
        }
        if rnd.random() < 0.4:
            body["amount"] = f"{rnd.randint(1000, 200000)}.00"
        out.append(body)
    return out


def _case_input(body: dict, regions: dict, categories: dict):
    from yimen.cases.intake import CaseInput, PartyInput

    fields = {"title": "", **{k: v for k, v in body.items() if k not in ("region_code", "category", "parties")}}
    return CaseInput(
        region=regions[body["region_code"]], category=categories[body["category"]],
        parties=[PartyInput(**p) for p in body["parties"]], **fields,
    )


def service(report: Report, *, count: int) -> None:
    """`count` calls of case_register in this process, each its own transaction, one after another."""
    from bench import checkpoint
    from yimen.cases.intake import case_register
    from yimen.cases.models import Category
    from yimen.regions.models import Region

    people = clerks()
    regions = {r.code: r for r in Region.objects.filter(level="grid")}
    categories = {c.code: c for c in Category.objects.all()}
    warmup = 50
    calls = []
    for n in range(count + warmup):
        clerk = people[n % len(people)]
        calls.append((clerk.user, payloads(clerk, 1, seed=n)[0]))
    timings = []
    with checkpoint.kept():
        for n, (user, body) in enumerate(calls):
            data_in = _case_input(body, regions, categories)
            t0 = time.perf_counter()
            case_register(actor=user, data=data_in)
            if n >= warmup:
                timings.append(time.perf_counter() - t0)
    total = sum(timings)
    rate = len(timings) / total
    timings.sort()
    report.figure(
        "registration_service",
        f"registration through the service layer: {rate:,.0f} matters/s "
        f"({len(timings):,} sequential case_register calls, one transaction each; "
        f"p50 {1000 * statistics.median(timings):.1f} ms, p95 {1000 * timings[int(0.95 * (len(timings) - 1))]:.1f} ms)",
        value=round(rate), calls=len(timings),
    )


def _statement(sql: str) -> str:
    """"UPDATE cases_casecounter" for an SQL statement: what it does, to which table."""
    words = sql.replace('"', "").split()
    verb = words[0].upper() if words else "?"
    if verb in ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"):
        return verb
    for marker in ("INTO", "UPDATE", "FROM"):
        if marker in words[:-1]:
            return f"{verb} {words[words.index(marker) + 1].split('.')[0]}"
    return verb


def queries_per_registration(report: Report) -> None:
    """The statements one registration sends through the API (Django's test client, in-process)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench import checkpoint
    from yimen.accounts.models import ApiToken

    clerk = clerks()[0]
    with checkpoint.kept():
        client = Client(headers={"Authorization": f"Bearer {ApiToken.issue(clerk.user, name='bench')[1]}"})
        first, second = payloads(clerk, 2, seed=99)
        # The first call writes the token's last_used_at and fills the process's reference caches
        # (common.refcache) for the place and category the second one names: a server's steady state.
        first.update(region_code=second["region_code"], category=second["category"])
        bodies = [json.dumps(b, ensure_ascii=False) for b in (first, second)]
        client.post("/api/v1/cases", bodies[0], content_type="application/json")
        with CaptureQueriesContext(connection) as captured:
            response = client.post("/api/v1/cases", bodies[1], content_type="application/json")
        if response.status_code != 201:
            raise RuntimeError(f"POST /api/v1/cases: HTTP {response.status_code} {response.content[:300]!r}")
        statements = [_statement(q["sql"]) for q in captured.captured_queries]
    report.figure(
        "registration_queries",
        f"  statements per registration through the API: {len(statements)} — " + ", ".join(statements),
        value=len(statements), statements=statements,
    )


def bodies_for_threads(people: list[Clerk], tokens: dict, threads: int, per_thread: int) -> tuple[list, list, list]:
    """(API threads, bare threads, rows threads): thread k registers as clerk k mod 8 with that
    clerk's bodies.

    All three send the very same bytes and headers; only the path differs.
    """
    api, bare, rows = [], [], []
    for k in range(threads):
        clerk = people[k % len(people)]
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {tokens[clerk.user.pk]}"}
        bodies = [json.dumps(b, ensure_ascii=False).encode() for b in payloads(clerk, per_thread, seed=10_000 + k)]
        api.append((["/api/v1/cases"], headers, bodies))
        bare.append((["/bench/insert"], headers, bodies))
        rows.append((["/bench/rows"], headers, bodies))
    return api, bare, rows
