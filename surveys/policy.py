"""When may a survey prompt a respondent? A pure function of the survey, the
respondent's history and the clock: no database access, no randomness, so the
widget, the link page and the tests all get the same answer.

Rules, in the order they are checked (the first that says no gives the reason):

1. ``inactive``: a paused survey never prompts.
2. ``never``: "don't ask me again" hides this survey for good, whatever the
   trigger.
3. ``answered_recently``: after an answer the survey is hidden for
   ``hide_after_answer_days``, then shown again so the respondent can revise
   the score.
4. ``not_now``: after "not now" it is hidden for ``hide_after_dismiss_days``.
5. ``too_early``: the first prompt waits ``first_prompt_after_days`` after the
   respondent is first seen, so new users settle in before being asked.
6. ``fatigue``: the organization's cap, ``organization.fatigue_days``: no
   respondent sees a prompt more than once in that many days, whichever
   surveys ask.
7. ``not_sampled``: only ``sampling_percent`` of respondents are prompted.

Every period is a half-open interval: hidden for N days means hidden while
``now < event + N days`` and shown again at exactly N days. Zero days means no
wait.

The fatigue cap counts displays of *other* surveys. The caller passes in
``History.last_prompt_any_survey_at`` the organization-wide last display to
this respondent of any survey except this one. Why: a display of this survey
that the respondent neither answered nor dismissed (they moved to another page)
is the same prompt still waiting for an answer, and it must reappear on the
next page load rather than be blocked for a week by its own display. Once that
prompt is answered or dismissed, its own cooldowns (rules 3 and 4) hide it; and
a display of it does block the organization's other surveys for
``fatigue_days``.

Sampling is deterministic: HMAC-SHA256 keyed by the survey's public key over
the respondent key and a period index, read as a number in [0, 100). The period
is the answer cooldown (``hide_after_answer_days``, at least one day), counted
from the Unix epoch. So the draw is stable across page loads and devices within
a period and drawn afresh in the next one, and about N % of a large population
is in the sample at any time. Salting with the public key keeps samples of
different surveys independent of one another.

Trigger ``"show"`` is a transactional prompt asked for by the host page
(``window.nps('show')`` after a purchase or a closed ticket). The host chose
the moment, so it skips sampling and the first-prompt delay; it still honours
a paused survey, "never", "not now", the answer cooldown and the fatigue cap,
because those protect the respondent, not the sample.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from .models import Survey

TRIGGERS: Final = ("auto", "show")
REASONS: Final = (
    "ok",
    "inactive",
    "never",
    "answered_recently",
    "not_now",
    "too_early",
    "fatigue",
    "not_sampled",
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class History:
    first_seen_at: datetime
    last_answer_at: datetime | None  # this survey
    last_not_now_at: datetime | None  # this survey
    never: bool  # "don't ask again" on this survey
    # Org-wide: last display to this person of any survey OTHER than this one
    # (see the module docstring for why this survey's own displays are left out).
    last_prompt_any_survey_at: datetime | None

    @classmethod
    def of_newcomer(cls, *, first_seen_at: datetime) -> History:
        """Someone nothing has happened to yet."""
        return cls(
            first_seen_at=first_seen_at,
            last_answer_at=None,
            last_not_now_at=None,
            never=False,
            last_prompt_any_survey_at=None,
        )


@dataclass(frozen=True)
class Decision:
    show: bool
    # One of REASONS.
    reason: str
    next_check_at: (
        datetime | None
    )  # when asking again could change the answer (None = never / unknown)


def decide(
    *,
    survey: Survey,
    respondent_key: str,
    history: History,
    now: datetime,
    trigger: str = "auto",
) -> Decision:
    if trigger not in TRIGGERS:
        raise ValueError(f"Unknown trigger {trigger!r}: use one of {', '.join(TRIGGERS)}.")
    if not survey.is_active:
        return Decision(show=False, reason="inactive", next_check_at=None)
    if history.never:
        return Decision(show=False, reason="never", next_check_at=None)
    waits = _waits(survey=survey, history=history, now=now, transactional=trigger == "show")
    if waits:
        # The first rule names the reason; the prompt can only come back once
        # every wait is over, so that is when asking again is worth it.
        return Decision(show=False, reason=waits[0][0], next_check_at=max(u for _, u in waits))
    if trigger == "auto" and not in_sample(survey=survey, respondent_key=respondent_key, now=now):
        return Decision(
            show=False, reason="not_sampled", next_check_at=_not_sampled_until(survey, now)
        )
    return Decision(show=True, reason="ok", next_check_at=None)


def _waits(
    *, survey: Survey, history: History, now: datetime, transactional: bool
) -> list[tuple[str, datetime]]:
    """The time-based rules that currently say no, each with when it ends."""
    candidates = [
        ("answered_recently", history.last_answer_at, survey.hide_after_answer_days),
        ("not_now", history.last_not_now_at, survey.hide_after_dismiss_days),
        (
            "too_early",
            None if transactional else history.first_seen_at,
            survey.first_prompt_after_days,
        ),
        (
            "fatigue",
            history.last_prompt_any_survey_at,
            survey.organization.fatigue_days,
        ),
    ]
    waits = []
    for reason, since, days in candidates:
        if since is not None and days > 0 and now < since + timedelta(days=days):
            waits.append((reason, since + timedelta(days=days)))
    return waits


def sampling_period(survey: Survey) -> timedelta:
    return timedelta(days=max(survey.hide_after_answer_days, 1))


def _period_index(survey: Survey, now: datetime) -> int:
    return (now - _EPOCH) // sampling_period(survey)


def sample_point(*, survey: Survey, respondent_key: str, now: datetime) -> float:
    """Where this respondent falls in [0, 100) for the current period."""
    message = f"{respondent_key}\x00{_period_index(survey, now)}".encode()
    digest = hmac.new(survey.public_key.encode(), message, hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 * 100


def in_sample(*, survey: Survey, respondent_key: str, now: datetime) -> bool:
    if survey.sampling_percent >= 100:
        return True
    point = sample_point(survey=survey, respondent_key=respondent_key, now=now)
    return point < survey.sampling_percent


def _not_sampled_until(survey: Survey, now: datetime) -> datetime | None:
    if survey.sampling_percent <= 0:
        return None  # nobody is sampled until the survey's settings change
    return _EPOCH + (_period_index(survey, now) + 1) * sampling_period(survey)
