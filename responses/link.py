"""The hosted survey page, `/s/<public key>`: plain HTML forms, no JavaScript
needed, the widget's flow (score, optional comment, thanks) for links in
emails, chats, print and kiosks."""

import contextlib
import functools
import io
import json
import re
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from nps_site.security import csp_replace
from surveys.models import Survey
from surveys.selectors import survey_by_public_key, widget_texts
from tenants.context import tenant_context

from . import hooks, payloads, ratelimit, selectors, services
from .errors import WidgetError
from .models import Channel, Response
from .scoring import category
from .services import AnswerConflict

RESERVED = {"score", "ref", "lang", "channel"}
LINK_CHANNELS = {Channel.LINK, Channel.EMAIL}
MAX_PROPERTIES = 20
_PROPERTY_KEY = re.compile(r"[A-Za-z0-9_.-]{1,40}")
_SCORE = re.compile(r"[0-9]{1,2}")  # not \d: it matches any script's digits


def embeddable(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The page may be framed by the survey's allowed origins, and only by them.

    X-Frame-Options cannot name a list of origins, so it is left off here and
    the policy's frame-ancestors says who may frame the page.
    """

    @functools.wraps(view)
    def wrapped(request: HttpRequest, public_key: str) -> HttpResponse:
        response = view(request, public_key)
        survey = survey_by_public_key(public_key=public_key)
        if survey is not None:
            response.xframe_options_exempt = True  # type: ignore[attr-defined]
            csp_replace(response, frame_ancestors=survey.allowed_origins or ["'none'"])
        return response

    return wrapped


def _survey(public_key: str) -> Survey:
    survey = survey_by_public_key(public_key=public_key)
    if survey is None:
        raise Http404("No survey has this key.")
    return survey


def _language(request: HttpRequest) -> str:
    data = request.POST if request.method == "POST" else request.GET
    return str(data.get("lang") or request.headers.get("Accept-Language", ""))


def _context(
    survey: Survey, request: HttpRequest, visit: str | None = None, **extra: Any
) -> dict[str, Any]:
    """`visit` is the page's answer id: it picks the A/B variant whose words are shown."""
    variant = selectors.variant_for_visit(survey=survey, client_id=visit) if visit else None
    texts = widget_texts(survey=survey, language=_language(request), variant=variant)
    return {"survey": survey, "texts": texts, "lang": texts["language"], "scale": range(11)} | extra


def form_score(value: Any) -> int | None:
    """A score from a form field: the digits 0 to 10 and nothing else."""
    if not isinstance(value, str) or not _SCORE.fullmatch(value) or int(value) > 10:
        return None
    return int(value)


def link_properties(query: Any) -> dict[str, str]:
    """`?ref=` and any other parameters, kept on the answer for segmentation."""
    properties: dict[str, str] = {}
    for key, value in query.items():
        if key in RESERVED - {"ref"} or not _PROPERTY_KEY.fullmatch(key):
            continue
        if len(properties) < MAX_PROPERTIES and payloads.storable(str(value)):
            properties[key] = str(value)[:200]
    return properties


def _channel(value: Any) -> str:
    return str(value) if value in LINK_CHANNELS else Channel.LINK


@csrf_exempt  # an open, anonymous form: there is no session to ride on
@embeddable
@require_http_methods(["GET", "POST"])
@payloads.refuse_unstorable_form
def link_page(request: HttpRequest, public_key: str) -> HttpResponse:
    survey = _survey(public_key)
    with tenant_context(survey.organization):
        if not survey.is_active:
            return render(request, "responses/link_closed.html", _context(survey, request))
        if request.method == "POST":
            return _score_submitted(request, survey)
        hidden = {
            "id": secrets.token_hex(16),
            "channel": _channel(request.GET.get("channel")),
            "properties": json.dumps(link_properties(request.GET)),
        }
        score = form_score(request.GET.get("score"))
        context = _context(survey, request, hidden["id"], hidden=hidden, score=score)
        return render(request, "responses/link_score.html", context)


def _score_submitted(request: HttpRequest, survey: Survey) -> HttpResponse:
    throttled = _throttled(request)
    if throttled is not None:
        return throttled
    score = form_score(request.POST.get("score"))
    hidden = {key: request.POST.get(key, "") for key in ("id", "channel", "properties")}
    if score is None:
        context = _context(survey, request, hidden["id"], hidden=hidden, score=None, error=True)
        return render(request, "responses/link_score.html", context, status=422)
    client_id = _client_id(hidden["id"])
    services.answer_record(
        survey=survey,
        respondent=None,
        client_id=client_id,
        score=score,
        language=_context(survey, request)["lang"],
        channel=_channel(hidden["channel"]),
        properties=_properties(hidden["properties"]),
        variant=selectors.variant_for_visit(survey=survey, client_id=client_id),
    )
    return _comment_step(request, survey, client_id=client_id, score=score)


def _comment_step(
    request: HttpRequest, survey: Survey, *, client_id: str, score: int, **extra: Any
) -> HttpResponse:
    context = _context(survey, request, client_id, client_id=client_id, score=score, **extra)
    context["follow_up"] = context["texts"]["follow_up"][category(score)]
    return render(request, "responses/link_comment.html", context, status=422 if extra else 200)


def _client_id(value: str) -> str:
    try:
        return payloads.client_id(value)
    except WidgetError:
        return secrets.token_hex(16)


def _properties(raw: str) -> dict[str, str]:
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        return {}
    return link_properties(data) if isinstance(data, dict) else {}


def _throttled(request: HttpRequest) -> HttpResponse | None:
    limit, window = ratelimit.limit_for("WIDGET_RATE_LIMIT_PER_IP")
    ident = ratelimit.client_ip(request)
    wait = ratelimit.retry_after(scope="link", ident=ident, limit=limit, window=window)
    if wait is None:
        return None
    response = HttpResponse(_("Too many answers from this address; retry later."), status=429)
    response["Retry-After"] = str(wait)
    return response


@csrf_exempt
@embeddable
@require_http_methods(["POST"])
@payloads.refuse_unstorable_form
def link_comment(request: HttpRequest, public_key: str) -> HttpResponse:
    survey = _survey(public_key)
    throttled = _throttled(request)
    if throttled is not None:
        return throttled
    with tenant_context(survey.organization):
        client_id = _client_id(request.POST.get("id", ""))
        text = request.POST.get("comment", "")
        if "skip" not in request.POST and text.strip():
            answer = selectors.response_by_client_id(client_id=client_id)
            if len(text) > payloads.MAX_COMMENT and answer is not None:
                return _comment_step(
                    request,
                    survey,
                    client_id=client_id,
                    score=answer.score,
                    comment=text,
                    error=True,
                )
            saved = _save_comment(survey, client_id, text.strip())
            after = saved and hooks.next_after_link_comment(
                request=request, survey=survey, response=saved
            )
            if after:
                return HttpResponseRedirect(after)
        language = _context(survey, request)["lang"]
    thanks = reverse("link_thanks", args=[public_key])
    # The answer id picks the same variant's thank-you text.
    query = urlencode({"lang": language, "id": client_id})
    return HttpResponseRedirect(f"{thanks}?{query}")


def _save_comment(survey: Survey, client_id: str, text: str) -> Response | None:
    # An id that is not a link answer of this survey is ignored, never revealed.
    with contextlib.suppress(AnswerConflict):
        return services.comment_record(
            survey=survey, respondent=None, client_id=client_id, comment=text
        )
    return None


@embeddable
@require_GET
def link_thanks(request: HttpRequest, public_key: str) -> HttpResponse:
    survey = _survey(public_key)
    visit = request.GET.get("id", "")
    with tenant_context(survey.organization):
        context = _context(survey, request, visit if _is_client_id(visit) else None)
        return render(request, "responses/link_thanks.html", context)


def _is_client_id(value: str) -> bool:
    try:
        payloads.client_id(value)
    except WidgetError:
        return False
    return True


def link_url(*, survey: Survey, ref: str = "") -> str:
    url = settings.SITE_URL + reverse("link_page", args=[survey.public_key])
    return f"{url}?{urlencode({'ref': ref})}" if ref else url


def _qr(request: HttpRequest, public_key: str) -> segno.QRCode:
    survey = _survey(public_key)
    return segno.make(link_url(survey=survey, ref=request.GET.get("ref", "")[:100]), error="m")


@require_GET
def link_qr_svg(request: HttpRequest, public_key: str) -> HttpResponse:
    buffer = io.BytesIO()
    _qr(request, public_key).save(buffer, kind="svg", scale=4, border=2, title="Survey link")
    return _image(buffer, "image/svg+xml")


@require_GET
def link_qr_png(request: HttpRequest, public_key: str) -> HttpResponse:
    buffer = io.BytesIO()
    _qr(request, public_key).save(buffer, kind="png", scale=_png_scale(request), border=2)
    return _image(buffer, "image/png")


def _png_scale(request: HttpRequest) -> int:
    raw = request.GET.get("scale", "")
    return min(int(raw), 40) if raw.isdecimal() and int(raw) > 0 else 8


def _image(buffer: io.BytesIO, content_type: str) -> HttpResponse:
    response = HttpResponse(buffer.getvalue(), content_type=content_type)
    response["Cache-Control"] = "public, max-age=86400"
    return response
