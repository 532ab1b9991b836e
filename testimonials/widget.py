"""The widget's consent step: `/w/<survey key>/testimonial/offer` and
`/w/<survey key>/testimonial`, behind the widget's own admission checks
(size, rate, allowed origin; see responses.endpoint)."""

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, JsonResponse

from responses import payloads
from responses import selectors as response_selectors
from responses.endpoint import widget_endpoint
from responses.errors import WidgetError
from responses.models import Respondent, Response
from responses.tokens import respondent_id_from_token
from surveys.models import Survey

from . import selectors, services, texts


@widget_endpoint
def offer(request: HttpRequest, *, survey: Survey, body: dict[str, Any]) -> JsonResponse:
    """Asked once a promoter wrote a comment: whether to ask, and the words to ask with.

    A separate call, so the prompt's own config stays as small as it was.
    """
    if not selectors.consent_asked(survey=survey):
        return JsonResponse({"offer": False})
    language = payloads.language(body.get("language"))
    return JsonResponse(
        {
            "offer": True,
            "statement": texts.statement(company=survey.organization.name, language=language),
            "texts": texts.widget_labels(language=language),
        }
    )


@widget_endpoint
def consent(request: HttpRequest, *, survey: Survey, body: dict[str, Any]) -> JsonResponse:
    respondent = _respondent(survey, body)
    answer = _answer(survey, respondent, payloads.client_id(body.get("id")))
    try:
        attribution = services.clean_attribution(
            name=body.get("name"), company=body.get("company"), title=body.get("title")
        )
    except ValidationError as error:
        raise WidgetError(422, "invalid_attribution", " ".join(error.messages)) from None
    try:
        testimonial = services.testimonial_consent(
            response=answer,
            attribution=attribution,
            language=payloads.language(body.get("language")),
        )
    except services.NotEligible:
        raise WidgetError(
            422, "not_eligible", "Only promoters' comments on surveys that ask can be quoted."
        ) from None
    except services.AlreadyConsented:
        raise WidgetError(409, "already_consented", "This answer is already quoted.") from None
    withdraw_url = request.build_absolute_uri(selectors.withdraw_path(testimonial))
    return JsonResponse({"status": testimonial.status, "withdraw_url": withdraw_url}, status=201)


def _respondent(survey: Survey, body: dict[str, Any]) -> Respondent:
    respondent_id = respondent_id_from_token(survey=survey, token=body.get("token"))
    respondent = (
        response_selectors.respondent_by_id(respondent_id=respondent_id) if respondent_id else None
    )
    if respondent is None:
        raise WidgetError(403, "invalid_token", "token is missing, expired or not for this survey.")
    return respondent


def _answer(survey: Survey, respondent: Respondent, client_id: str) -> Response:
    # Someone else's answer id is answered like a missing one: nothing is revealed.
    answer = response_selectors.response_by_client_id(client_id=client_id)
    if answer is None or answer.survey_id != survey.pk or answer.respondent_id != respondent.pk:
        raise WidgetError(404, "unknown_answer", "No answer has this id; send the score first.")
    return answer
