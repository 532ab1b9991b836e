"""Signed respondent tokens: the config request identifies (and verifies) a
respondent once; later calls carry this token instead of the identity, so they
need no second verification and cannot be filed under someone else."""

from django.core import signing

from surveys.models import Survey

from .models import Respondent

SALT = "responses.widget.respondent"
# Long enough for an answer kept offline to be re-sent on a later visit.
MAX_AGE = 60 * 60 * 24 * 30


def respondent_token(*, survey: Survey, respondent: Respondent) -> str:
    return signing.dumps([survey.pk, respondent.pk], salt=SALT)


def respondent_id_from_token(*, survey: Survey, token: object) -> int | None:
    """The respondent's id when the token is genuine, recent and for this survey."""
    if not isinstance(token, str) or len(token) > 200:
        return None
    try:
        survey_id, respondent_id = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if survey_id != survey.pk or not isinstance(respondent_id, int):
        return None
    return respondent_id
