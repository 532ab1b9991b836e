"""What the links of a survey email open: the score landing page, the comment,
and the unsubscribe page. Public and anonymous: the signed token is the key."""

import contextlib
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from responses import selectors as response_selectors
from responses.payloads import refuse_unstorable_form
from responses.scoring import category
from responses.services import AnswerConflict
from surveys.selectors import widget_texts
from tenants.context import tenant_context

from . import selectors, services, tokens
from .emails import email_language_requested
from .models import Suppression, SurveyRequest

MAX_COMMENT = 5000


def _context(survey_request: SurveyRequest, **extra: Any) -> dict[str, Any]:
    survey = survey_request.survey
    texts = widget_texts(survey=survey, language=email_language_requested(survey_request))
    return {"survey": survey, "texts": texts, "lang": texts["language"]} | extra


def _error(request: HttpRequest, *, status: int, message: str) -> HttpResponse:
    context = {"message": message, "lang": translation.get_language()}
    return render(request, "outreach/link_error.html", context, status=status)


def _read_score_link(request: HttpRequest, token: str) -> tuple[Any, HttpResponse | None]:
    try:
        link = tokens.score_link_read(token=token)
    except tokens.ExpiredLink:
        message = _("This link has expired. Thank you all the same.")
        return None, _error(request, status=410, message=message)
    except tokens.InvalidLink:
        message = _("This link is not valid. Check that it was copied whole.")
        return None, _error(request, status=400, message=message)
    survey_request = selectors.request_for_link(request_id=link.request_id)
    if survey_request is None:
        message = _("This survey is no longer available.")
        return None, _error(request, status=404, message=message)
    return (link, survey_request), None


@csrf_exempt  # anonymous: the signed token, not a session, authorizes the answer
@require_http_methods(["GET", "POST"])
@refuse_unstorable_form
def landing(request: HttpRequest, token: str) -> HttpResponse:
    found, error = _read_score_link(request, token)
    if error is not None:
        return error
    link, survey_request = found
    context = _context(survey_request, token=token, score=link.score)
    with tenant_context(survey_request.organization), translation.override(context["lang"]):
        if not survey_request.survey.is_active:
            return render(request, "responses/link_closed.html", context)
        answered = response_selectors.response_by_client_id(client_id=survey_request.client_id)
        if answered is not None:
            return _comment_page(request, context, answered.score, answered.comment, True)
        if request.method == "GET":
            # Records nothing: a scanner's GET must not count as an answer.
            return render(request, "outreach/landing_confirm.html", context)
        response, created = services.email_answer_record(request=survey_request, score=link.score)
        return _comment_page(request, context, response.score, response.comment, not created)


def _comment_page(
    request: HttpRequest, context: dict[str, Any], score: int, comment: str, already: bool
) -> HttpResponse:
    follow_up = context["texts"]["follow_up"][category(score)]
    extra = {"score": score, "comment": comment, "already": already, "follow_up": follow_up}
    return render(request, "outreach/landing_comment.html", context | extra)


@csrf_exempt
@require_POST
@refuse_unstorable_form
def landing_comment(request: HttpRequest, token: str) -> HttpResponse:
    found, error = _read_score_link(request, token)
    if error is not None:
        return error
    _link, survey_request = found
    context = _context(survey_request)
    text = request.POST.get("comment", "").strip()
    with tenant_context(survey_request.organization), translation.override(context["lang"]):
        if len(text) > MAX_COMMENT:
            message = _("Keep the comment under 5,000 characters.")
            return _error(request, status=422, message=message)
        if "skip" not in request.POST and text:
            with contextlib.suppress(AnswerConflict):
                services.email_comment_record(request=survey_request, comment=text)
        return render(request, "outreach/landing_thanks.html", context)


@csrf_exempt  # mail providers post List-Unsubscribe=One-Click with no session (RFC 8058)
@require_http_methods(["GET", "POST"])
@refuse_unstorable_form
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        request_id = tokens.unsubscribe_link_read(token=token)
    except tokens.InvalidLink:
        message = _("This link is not valid. Check that it was copied whole.")
        return _error(request, status=400, message=message)
    survey_request = selectors.request_for_link(request_id=request_id)
    if survey_request is None:
        return _error(request, status=404, message=_("This survey is no longer available."))
    context = _context(survey_request, token=token, email=survey_request.email)
    with tenant_context(survey_request.organization), translation.override(context["lang"]):
        if request.method == "GET":
            return render(request, "outreach/unsubscribe.html", context)
        services.suppression_add(
            organization=survey_request.organization,
            email=survey_request.email,
            reason=Suppression.Reason.UNSUBSCRIBED,
        )
        return render(request, "outreach/unsubscribed.html", context)
