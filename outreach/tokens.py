"""Signed links in survey emails: one per score, and one to unsubscribe.

Score links expire (SURVEY_LINK_MAX_AGE_DAYS) and are single-use in effect:
the answer is stored under the request's own client id, so a second use finds
it and offers to change the comment instead of counting twice. Unsubscribe
links never expire: a person must always be able to leave.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing

_SCORE_SALT = "outreach.score-link"
_UNSUBSCRIBE_SALT = "outreach.unsubscribe-link"


class InvalidLink(Exception):
    """A forged, damaged or foreign token."""


class ExpiredLink(Exception):
    """A genuine score link older than SURVEY_LINK_MAX_AGE_DAYS."""


@dataclass(frozen=True)
class ScoreLink:
    request_id: int
    score: int


def score_token(*, request_id: int, score: int) -> str:
    return signing.TimestampSigner(salt=_SCORE_SALT).sign(f"{request_id}.{score}")


def score_link_read(*, token: str) -> ScoreLink:
    max_age = timedelta(days=settings.SURVEY_LINK_MAX_AGE_DAYS)
    try:
        value = signing.TimestampSigner(salt=_SCORE_SALT).unsign(token, max_age=max_age)
    except signing.SignatureExpired as error:
        raise ExpiredLink from error
    except (signing.BadSignature, ValueError) as error:
        # ValueError: a value signed with this salt but no timestamp.
        raise InvalidLink from error
    request_id, _, score = value.partition(".")
    if not _row_id(request_id) or not score.isdecimal() or int(score) > 10:
        raise InvalidLink
    return ScoreLink(request_id=int(request_id), score=int(score))


def unsubscribe_token(*, request_id: int) -> str:
    return signing.Signer(salt=_UNSUBSCRIBE_SALT).sign(str(request_id))


def unsubscribe_link_read(*, token: str) -> int:
    try:
        value = signing.Signer(salt=_UNSUBSCRIBE_SALT).unsign(token)
    except signing.BadSignature as error:
        raise InvalidLink from error
    if not _row_id(value):
        raise InvalidLink
    return int(value)


def _row_id(value: str) -> bool:
    # ASCII digits that fit a bigint primary key: anything else is no row of ours.
    return value.isascii() and value.isdecimal() and len(value) <= 18
