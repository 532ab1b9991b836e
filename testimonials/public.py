"""The public side of testimonials: the link page's consent step, the
respondent's withdrawal page, and the wall (script, JSON, iframe page)."""

import hashlib
import json
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from nps_site.security import csp_replace
from responses import payloads, ratelimit
from responses import selectors as response_selectors
from responses.link import embeddable
from responses.models import Response
from responses.views import script_response
from surveys.models import Survey
from surveys.selectors import survey_by_public_key, widget_texts
from surveys.validation import normalize_origin
from tenants.context import tenant_context

from . import selectors, services, texts
from .assets import wall_asset
from .models import Wall

# Withdrawal must reach every viewer within a minute: nothing is cached longer.
WALL_CACHE = "public, max-age=60"


# --- The link page's consent step -------------------------------------------------


def consent_url_after_comment(
    request: HttpRequest, survey: Survey, response: Response
) -> str | None:
    """The link page's hook: promoters who commented are asked next."""
    if not services.eligible(response=response):
        return None
    if selectors.quoted(response=response):
        return None
    path = reverse("link_testimonial", args=[survey.public_key])
    language = str(request.POST.get("lang", ""))[:8]
    return f"{path}?{urlencode({'id': response.client_id, 'lang': language})}"


def _link_survey(public_key: str) -> Survey:
    survey = survey_by_public_key(public_key=public_key)
    if survey is None:
        raise Http404("No survey has this key.")
    return survey


def _thanks(survey: Survey, language: str) -> HttpResponse:
    thanks = reverse("link_thanks", args=[survey.public_key])
    return redirect(f"{thanks}?{urlencode({'lang': language})}")


@csrf_exempt  # an open, anonymous form, like the link page it follows
@embeddable
@require_http_methods(["GET", "POST"])
@payloads.refuse_unstorable_form
def link_testimonial(request: HttpRequest, public_key: str) -> HttpResponse:
    survey = _link_survey(public_key)
    data = request.POST if request.method == "POST" else request.GET
    with tenant_context(survey.organization):
        survey_texts = widget_texts(survey=survey, language=str(data.get("lang", "")))
        language = survey_texts["language"]
        answer = _link_answer(survey, str(data.get("id", "")))
        if answer is None or "decline" in request.POST:
            return _thanks(survey, language)
        context = {
            "survey": survey,
            "texts": survey_texts,
            "lang": language,
            "answer": answer,
            "statement": texts.statement(company=survey.organization.name, language=language),
            "labels": texts.widget_labels(language=language),
            "values": {key: data.get(key, "") for key in ("name", "company", "title")},
        }
        if request.method == "POST":
            return _link_consent(request, answer, context)
        return render(request, "testimonials/link_consent.html", context)


def _link_answer(survey: Survey, client_id: str) -> Response | None:
    """A link answer of this survey that may still be quoted; None otherwise."""
    if not client_id or len(client_id) > 64:
        return None
    answer = response_selectors.response_by_client_id(client_id=client_id)
    if answer is None or answer.survey_id != survey.pk or answer.respondent_id is not None:
        return None
    if not services.eligible(response=answer):
        return None
    return None if selectors.quoted(response=answer) else answer


def _link_consent(request: HttpRequest, answer: Response, context: dict[str, Any]) -> HttpResponse:
    try:
        attribution = services.clean_attribution(**context["values"])
        testimonial = services.testimonial_consent(
            response=answer, attribution=attribution, language=context["lang"]
        )
    except ValidationError as error:
        context["errors"] = error.messages
        return render(request, "testimonials/link_consent.html", context, status=422)
    except (services.NotEligible, services.AlreadyConsented):
        return _thanks(answer.survey, context["lang"])
    context["withdraw_url"] = request.build_absolute_uri(selectors.withdraw_path(testimonial))
    return render(request, "testimonials/link_consented.html", context)


# --- Withdrawal ---------------------------------------------------------------------


@csrf_exempt  # the token in the address is the credential; there is no session
@require_http_methods(["GET", "POST"])
@payloads.refuse_unstorable_form
def withdraw(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows what would be withdrawn; only the POST withdraws, so a mail
    scanner opening the link changes nothing."""
    testimonial = selectors.testimonial_by_withdraw_token(token=token)
    if testimonial is None:
        raise Http404("No testimonial has this link.")
    with tenant_context(testimonial.organization):
        if request.method == "POST":
            services.testimonial_withdraw(testimonial=testimonial)
            testimonial.refresh_from_db()
        context = {"testimonial": testimonial, "lang": testimonial.language or "en"}
        response = render(request, "testimonials/withdraw.html", context)
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


# --- The wall -------------------------------------------------------------------------


@require_safe
def wall_js(request: HttpRequest) -> HttpResponse:
    # Any site may load the script; the wall's answers name their allowed origins.
    return script_response(request, wall_asset())


def _wall(public_key: str) -> Wall:
    wall = selectors.wall_by_public_key(public_key=public_key)
    if wall is None:
        raise Http404("No wall has this key.")
    return wall


def _throttled(request: HttpRequest) -> HttpResponse | None:
    limit, window = ratelimit.limit_for("WIDGET_RATE_LIMIT_PER_IP")
    ident = ratelimit.client_ip(request)
    wait = ratelimit.retry_after(scope="wall", ident=ident, limit=limit, window=window)
    if wait is None:
        return None
    response = JsonResponse(
        {"error": {"code": "rate_limited", "message": f"Retry in {wait} s."}}, status=429
    )
    response["Retry-After"] = str(wait)
    return response


def _limit(request: HttpRequest) -> int:
    raw = request.GET.get("limit", "")
    return int(raw) if raw.isdecimal() and len(raw) < 4 else selectors.WALL_LIMIT_DEFAULT


def _wall_data(request: HttpRequest, wall: Wall) -> dict[str, Any]:
    language = str(request.GET.get("lang", ""))[:8]
    rows = selectors.wall_testimonials(language=language, limit=_limit(request))
    return {
        "heading": wall.heading,
        "accent": wall.accent_color,
        "testimonials": [
            {
                "id": row.pk,
                "quote": row.quote,
                "name": row.name,
                "company": row.company,
                "title": row.title,
                "language": row.language,
            }
            for row in rows
        ],
    }


@require_safe
def wall_json(request: HttpRequest, public_key: str) -> HttpResponse:
    """Cacheable for 60 s by browsers and CDNs; CORS only for the wall's origins.

    Without an Origin (the wall's own server rendering it, curl) the data is
    served: it is public by consent. A page of another origin is refused.
    """
    throttled = _throttled(request)
    if throttled is not None:
        return throttled
    wall = _wall(public_key)
    origin = request.headers.get("Origin", "")
    response: HttpResponse
    if origin and not _origin_allowed(wall, origin):
        response = JsonResponse(
            {"error": {"code": "origin_forbidden", "message": "Add this origin to the wall."}},
            status=403,
        )
    else:
        with tenant_context(wall.organization):
            response = _cacheable_json(request, _wall_data(request, wall))
        if origin:
            response["Access-Control-Allow-Origin"] = origin
    response["Vary"] = "Origin"
    response["Cache-Control"] = WALL_CACHE
    return response


def _origin_allowed(wall: Wall, origin: str) -> bool:
    try:
        return normalize_origin(origin) in wall.allowed_origins
    except ValidationError:
        return False


def _cacheable_json(request: HttpRequest, data: dict[str, Any]) -> HttpResponse:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    etag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type="application/json")
    response["ETag"] = etag
    return response


@require_safe
def wall_page(request: HttpRequest, public_key: str) -> HttpResponse:
    """The same wall as a page for an `<iframe>`, framable by the wall's origins only."""
    throttled = _throttled(request)
    if throttled is not None:
        return throttled
    wall = _wall(public_key)
    with tenant_context(wall.organization):
        context = {"wall": wall, **_wall_data(request, wall)}
        response = render(request, "testimonials/wall.html", context)
    response.xframe_options_exempt = True  # type: ignore[attr-defined]
    csp_replace(response, frame_ancestors=wall.allowed_origins or ["'none'"])
    response["Cache-Control"] = WALL_CACHE
    return response
