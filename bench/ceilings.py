"""The ceilings every figure is compared with, measured by the same server in
the same run: the least a Django view can do for a read and for a write.

- `constant_json`: a constant JSON body, no database, no cache;
- `orm_insert`: one row inserted with the ORM (a single INSERT in autocommit,
  durable when the response is sent), no validation, no lookup.

Both pass through the site's whole middleware stack, like every page.
"""

import functools
import secrets

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from responses.models import Channel, Response
from surveys.models import Survey
from surveys.selectors import survey_by_public_key
from tenants.context import tenant_context

BODY = {"show": False, "reason": "ok", "next_check_at": None}


def constant_json(request: HttpRequest) -> HttpResponse:
    return JsonResponse(BODY)


@functools.lru_cache(maxsize=8)
def _survey(public_key: str) -> Survey:
    survey = survey_by_public_key(public_key=public_key)
    if survey is None:
        raise Http404
    return survey


@csrf_exempt
def orm_insert(request: HttpRequest, public_key: str) -> HttpResponse:
    survey = _survey(public_key)
    # bulk_create: one INSERT, no signals; the least an answer could cost. In
    # the organization's context, as row-level security requires of any write.
    with tenant_context(survey.organization):
        (row,) = Response.objects.bulk_create(
            [
                Response(
                    organization_id=survey.organization_id,
                    survey_id=survey.pk,
                    score=secrets.randbelow(11),
                    channel=Channel.WIDGET,
                )
            ]
        )
    return JsonResponse({"id": row.pk}, status=201)
