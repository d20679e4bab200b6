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


def payloads(clerk: Clerk, count: int, seed: int) -> list[dict]:
    """`count` realistic registration bodies (the API's CaseIn) for `clerk`'s township."""
    from yimen.cases.validators import id_number_check_digit

    rnd = random.Random(seed)
    out = []
    for _ in range(count):
        first17 = f"{clerk.township[:6]}{rnd.randint(1950, 2004)}{rnd.randint(1, 12):02d}{rnd.randint(1, 28):02d}{rnd.randint(0, 999):03d}"
        category = rnd.choice(CATEGORY_CODES)
        description = data.DESCRIPTIONS[data.DESCRIPTION_OF.get(category, rnd.randrange(len(data.DESCRIPTIONS)))]
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
            "description": description.format(place="本村"),
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
        bodies = [json.dumps(b, ensure_ascii=False) for b in payloads(clerk, 2, seed=99)]
        client.post("/api/v1/cases", bodies[0], content_type="application/json")  # token's last_used_at written
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


def bodies_for_threads(people: list[Clerk], tokens: dict, threads: int, per_thread: int) -> tuple[list, list]:
    """(API threads, bare threads): thread k registers as clerk k mod 8 with that clerk's bodies.

    Both sides send the very same bytes and headers; only the path differs.
    """
    api, bare = [], []
    for k in range(threads):
        clerk = people[k % len(people)]
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {tokens[clerk.user.pk]}"}
        bodies = [json.dumps(b, ensure_ascii=False).encode() for b in payloads(clerk, per_thread, seed=10_000 + k)]
        api.append((["/api/v1/cases"], headers, bodies))
        bare.append((["/bench/insert"], headers, bodies))
    return api, bare
