"""The import pages: upload a Delighted export, then watch it being imported.

Owners and admins only: an import writes many answers at once.
"""

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from surveys.models import Survey
from tenants.decorators import require_role
from tenants.models import Role

from . import selectors, services
from .forms import ImportForm

RECENT_JOBS = 10


def _survey(survey_id: int) -> Survey:
    return get_object_or_404(Survey.objects.select_related("organization"), pk=survey_id)


@require_http_methods(["GET", "HEAD", "POST"])
@require_role(Role.ADMIN)
def import_page(request: HttpRequest, org_slug: str, survey_id: int) -> HttpResponse:
    survey = _survey(survey_id)
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = services.import_job_create(
            survey=survey, user=request.user, filename=upload.name, content=upload.read()
        )
        return redirect("importer:job", org_slug=org_slug, survey_id=survey.pk, import_id=job.pk)
    context = {
        "survey": survey,
        "form": form,
        "jobs": selectors.import_jobs_of_survey(survey=survey)[:RECENT_JOBS],
    }
    return render(request, "importer/import.html", context, status=400 if form.errors else 200)


@require_role(Role.ADMIN)
def import_job(request: HttpRequest, org_slug: str, survey_id: int, import_id: int) -> HttpResponse:
    survey = _survey(survey_id)
    job = selectors.import_job_of_survey(survey=survey, import_id=import_id)
    if job is None:
        raise Http404
    # Looked up first: another organization's import is a 404 whatever the method.
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    template = "importer/_job.html" if getattr(request, "htmx", False) else "importer/job.html"
    return render(request, template, {"survey": survey, "job": job})
