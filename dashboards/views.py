from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tenants.decorators import require_role
from tenants.models import Role

from . import selectors


@require_role(Role.VIEWER)
def overview(request: HttpRequest, org_slug: str) -> HttpResponse:
    return render(request, "dashboards/overview.html", {"rows": selectors.survey_rows()})
