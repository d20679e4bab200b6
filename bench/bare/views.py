"""The baselines registration over HTTP is compared with.

* `insert` — a Django view that parses the same JSON body and inserts one row. It runs through the
  same middleware, the same WSGI server and the same database as the API, so the ratio of the two
  rates is the cost of Yimen's registration itself (auth, validation, the matter, its parties, its
  deadline, its event, the number counter) over the cost of Django plus one INSERT.
* `rows` — the floor of any registration that keeps the loop's rules: the rows one registration
  must write (number counter, matter, parties, handling limit, `registered` event), in one
  transaction, through the ORM, and nothing else: no token, no scope, no validation, no look-up
  (the place and the centre come from the per-process cache), no triage. No real registration can be
  cheaper than this, so `rows / insert` is the best ratio the API could ever reach on this machine.
"""

import datetime as dt
import json

from django.db import connection, transaction
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .models import BareRow


@csrf_exempt
@require_POST
def insert(request):
    body = json.loads(request.body)
    row = BareRow.objects.create(title=str(body.get("title", ""))[:120], size=len(request.body), created_at=timezone.now())
    return JsonResponse({"id": row.pk}, status=201)


def _place(code: str):
    """(region, centre) of a grid code, through the same cached selectors as intake (common.refcache):
    after the first request per place the look-ups cost a dict read, and they are not what is measured."""
    from yimen.regions.selectors import centre_nearest, region_by_code

    return region_by_code(code), centre_nearest(code)


@csrf_exempt
@require_POST
def rows(request):
    from yimen.cases.models import Case, CaseCounter, CaseEvent, Deadline, EventKind, LimitUnit, Party, Status, Step

    body = json.loads(request.body)
    region, centre = _place(body["region_code"])
    now = timezone.now()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {CaseCounter._meta.db_table} SET last = last + 1 WHERE centre_id = %s AND year = %s RETURNING last",
                [centre.pk, now.year],
            )
            (last,) = cursor.fetchone()
        due = now + dt.timedelta(days=60)
        case = Case(
            number=f"{centre.region.code}-{now.year}-{last:06d}", channel=body["channel"], received_at=now,
            registering_centre=centre, owning_centre=centre, owning_code=centre.region.code, region=region,
            region_code=region.code, title=body["description"][:30], description=body["description"],
            request=body.get("request", ""), urgency=body.get("urgency", ""), status=Status.REGISTERED,
            status_changed_at=now, due_at=due,
        )
        case.save(force_insert=True)
        Party.objects.bulk_create([
            Party(case=case, name=p["name"], role=p.get("role", "applicant"), kind=p.get("kind", "person"),
                  id_number=p.get("id_number", ""), phone=p.get("phone", ""))
            for p in body["parties"]
        ])
        Deadline.objects.create(case=case, step=Step.HANDLE, starts_at=now, amount=60, unit=LimitUnit.NATURAL_DAYS,
                                due_at=due, warn_at=due - dt.timedelta(days=3))
        CaseEvent.objects.create(case=case, kind=EventKind.REGISTERED, actor_label="bench", to_status=Status.REGISTERED,
                                 payload={"channel": body["channel"]}, created_at=now)
    return JsonResponse({"number": case.number, "query_code": case.query_code}, status=201)
