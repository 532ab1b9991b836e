"""The survey email: the question and eleven one-click score links, in the
respondent's language, with RFC 8058 one-click unsubscribe headers."""

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from surveys.selectors import widget_texts

from . import tokens
from .models import SurveyRequest


def score_url(*, request: SurveyRequest, score: int) -> str:
    token = tokens.score_token(request_id=request.pk, score=score)
    return settings.SITE_URL + reverse("survey_email_landing", args=[token])


def unsubscribe_url(*, request: SurveyRequest) -> str:
    token = tokens.unsubscribe_token(request_id=request.pk)
    return settings.SITE_URL + reverse("survey_unsubscribe", args=[token])


def email_language_requested(request: SurveyRequest) -> str:
    return request.language or str(request.properties.get("language", ""))


def survey_email(*, request: SurveyRequest) -> EmailMultiAlternatives:
    survey = request.survey
    texts = widget_texts(survey=survey, language=email_language_requested(request))
    unsubscribe = unsubscribe_url(request=request)
    context: dict[str, Any] = {
        "request": request,
        "survey": survey,
        "texts": texts,
        "lang": texts["language"],
        "links": [(score, score_url(request=request, score=score)) for score in range(11)],
        "unsubscribe_url": unsubscribe,
    }
    with translation.override(texts["language"]):
        text = render_to_string("outreach/email.txt", context)
        html = render_to_string("outreach/email.html", context)
    message = EmailMultiAlternatives(
        subject=texts["question"],
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[request.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(html, "text/html")
    return message
