"""The baseline: a Django view that parses the same JSON body and inserts one row.

It runs through the same middleware, the same WSGI server and the same database as the API, so the
ratio of the two rates is the cost of Yimen's registration itself (auth, validation, the matter,
its parties, its deadline, its event, the number counter) over the cost of Django plus one INSERT.
"""

import json

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
