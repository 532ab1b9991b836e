"""The respondent side over HTTP: the widget script, its JSON endpoints under
/w/, and the hosted link page under /s/ with its QR code."""

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from surveys.models import Survey, SurveyVariant
from surveys.policy import History
from surveys.selectors import widget_texts
from tenants.identity import verify_user_hash

from . import payloads, selectors, services
from .assets import Asset, widget_asset
from .endpoint import widget_endpoint
from .errors import WidgetError
from .models import PromptEvent, Respondent
from .services import AnswerConflict
from .tokens import respondent_id_from_token, respondent_token

# The unversioned URL is revalidated hourly; a versioned one never changes.
SHORT_CACHE = "public, max-age=3600, stale-while-revalidate=86400"
LONG_CACHE = "public, max-age=31536000, immutable"


@require_safe
def widget_js(request: HttpRequest) -> HttpResponse:
    return script_response(request, widget_asset())


def script_response(request: HttpRequest, asset: Asset) -> HttpResponse:
    """A script any site may embed (what it may do is checked by the endpoints
    it calls), gzipped when the browser accepts it, cached by version."""
    gzipped = "gzip" in request.headers.get("Accept-Encoding", "")
    # Each encoding is its own representation, so each gets its own validator.
    etag = f'"{asset.version}{"-gz" if gzipped else ""}"'
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(
            asset.gzipped if gzipped else asset.body, content_type="text/javascript; charset=utf-8"
        )
        if gzipped:
            response["Content-Encoding"] = "gzip"
    response["ETag"] = etag
    response["Cache-Control"] = LONG_CACHE if request.GET.get("v") == asset.version else SHORT_CACHE
    response["Vary"] = "Accept-Encoding"
    response["Access-Control-Allow-Origin"] = "*"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@widget_endpoint
def widget_config(request: HttpRequest, *, survey: Survey, body: dict[str, Any]) -> JsonResponse:
    """Who is asking, and whether to prompt them now: one round trip."""
    identity, user_hash = payloads.identity(body)
    trigger = payloads.trigger(body.get("trigger"))
    _verify_identity(survey, identity, user_hash)
    respondent, history = _respondent_with_history(survey, identity)
    decision = selectors.prompt_decision(
        survey=survey, respondent=respondent, now=timezone.now(), trigger=trigger, history=history
    )
    data: dict[str, Any] = {
        "show": decision.show,
        "reason": decision.reason,
        "next_check_at": decision.next_check_at.isoformat() if decision.next_check_at else None,
        "token": respondent_token(survey=survey, respondent=respondent),
    }
    if decision.show:
        variant = selectors.variant_for_respondent(survey=survey, respondent_id=respondent.pk)
        data.update(_presentation(survey, payloads.language(body.get("language")), variant))
    return JsonResponse(data)


def _respondent_with_history(
    survey: Survey, identity: services.Identity
) -> tuple[Respondent, History | None]:
    """Nearly every config request names someone known with nothing new to
    store: one read then, the person and their history together."""
    known = selectors.known_respondent_with_history(
        survey=survey, user_id=identity.user_id, anonymous_id=identity.anonymous_id
    )
    if known is not None and services.respondent_is_current(respondent=known[0], identity=identity):
        return known
    found = services.respondent_identify_after_read(
        organization=survey.organization, identity=identity, known=known[0] if known else None
    )
    respondent = found.respondent
    if found.created:
        # A first visit, the widget's first request for every new browser:
        # there is no history to read yet.
        return respondent, History.of_newcomer(first_seen_at=respondent.first_seen_at)
    if known is not None and known[0].pk == respondent.pk:
        # Only the profile changed: the history read with it still holds.
        return respondent, known[1]
    return respondent, None


def _verify_identity(survey: Survey, identity: services.Identity, user_hash: str) -> None:
    organization = survey.organization
    if not organization.require_identity_verification:
        return
    if not identity.user_id:
        raise WidgetError(
            403, "identity_required", "This organization only surveys verified users."
        )
    if not verify_user_hash(
        organization=organization, user_id=identity.user_id, user_hash=user_hash
    ):
        raise WidgetError(
            403, "identity_unverified", "user.hash does not match user.id for this organization."
        )


def _presentation(survey: Survey, language: str, variant: SurveyVariant | None) -> dict[str, Any]:
    texts = widget_texts(survey=survey, language=language, variant=variant)
    flat = {"question": texts["question"], "thank_you": texts["thank_you"], **texts["labels"]}
    flat.update({f"follow_up_{name}": text for name, text in texts["follow_up"].items()})
    return {
        "language": texts["language"],
        "texts": flat,
        "branding": {
            "accent": survey.accent_color,
            "position": survey.position,
            "logo": survey.logo_url,
        },
    }


def _respondent(survey: Survey, body: dict[str, Any]) -> Respondent:
    respondent = selectors.respondent_by_id(respondent_id=_respondent_id(survey, body))
    if respondent is None:
        raise _invalid_token()
    return respondent


def _respondent_id(survey: Survey, body: dict[str, Any]) -> int:
    respondent_id = respondent_id_from_token(survey=survey, token=body.get("token"))
    if not respondent_id:
        raise _invalid_token()
    return respondent_id


def _invalid_token() -> WidgetError:
    return WidgetError(403, "invalid_token", "token is missing, expired or not for this survey.")


@widget_endpoint
def widget_display(request: HttpRequest, *, survey: Survey, body: dict[str, Any]) -> JsonResponse:
    respondent = _respondent(survey, body)
    services.prompt_event_record(
        survey=survey,
        respondent=respondent,
        kind=PromptEvent.Kind.DISPLAY,
        variant=selectors.variant_for_respondent(survey=survey, respondent_id=respondent.pk),
    )
    return JsonResponse({"recorded": "display"}, status=201)


@widget_endpoint
def widget_answer(request: HttpRequest, *, survey: Survey, body: dict[str, Any]) -> JsonResponse:
    """Idempotent by the client's id: a retry or a changed score updates the answer."""
    score = payloads.score(body.get("score"))
    comment = payloads.optional_comment(body.get("comment"))
    client_id = payloads.client_id(body.get("id"))
    respondent_id = _respondent_id(survey, body)
    language = payloads.language(body.get("language"))
    variant = selectors.variant_for_respondent(survey=survey, respondent_id=respondent_id)
    response = services.widget_answer_first_send(
        survey=survey,
        respondent_id=respondent_id,
        client_id=client_id,
        score=score,
        comment=comment,
        language=language,
        variant=variant,
    )
    created = response is not None
    if response is None:
        try:
            response, created = services.answer_record(
                survey=survey,
                respondent=_respondent(survey, body),
                client_id=client_id,
                score=score,
                comment=comment,
                language=language,
                variant=variant,
            )
        except AnswerConflict:
            raise _conflict() from None
    data = {"id": response.client_id, "score": response.score, "comment": response.comment}
    return JsonResponse(data, status=201 if created else 200)


@widget_endpoint
def widget_comment(request: HttpRequest, *, survey: Survey, body: dict[str, Any]) -> JsonResponse:
    comment = payloads.comment(body.get("comment"))
    client_id = payloads.client_id(body.get("id"))
    respondent = _respondent(survey, body)
    try:
        response = services.comment_record(
            survey=survey, respondent=respondent, client_id=client_id, comment=comment
        )
    except AnswerConflict:
        raise _conflict() from None
    if response is None:
        raise WidgetError(404, "unknown_answer", "No answer has this id; send the score first.")
    return JsonResponse({"id": response.client_id, "comment": response.comment})


@widget_endpoint
def widget_dismiss(request: HttpRequest, *, survey: Survey, body: dict[str, Any]) -> JsonResponse:
    """'Not now' hides the survey for a while, "never" for good."""
    kind = payloads.dismissal(body.get("kind"))
    respondent = _respondent(survey, body)
    variant = selectors.variant_for_respondent(survey=survey, respondent_id=respondent.pk)
    services.prompt_event_record(survey=survey, respondent=respondent, kind=kind, variant=variant)
    return JsonResponse({"recorded": kind}, status=201)


def _conflict() -> WidgetError:
    return WidgetError(409, "id_conflict", "This id belongs to another answer; use a new id.")
