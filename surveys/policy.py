"""When the widget may prompt a respondent: a pure function of the survey, the
respondent's history and the clock. No database access, so the same answer is
given to the widget, the link page and the tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Survey


@dataclass(frozen=True)
class History:
    first_seen_at: datetime
    last_answer_at: datetime | None  # this survey
    last_not_now_at: datetime | None  # this survey
    never: bool  # "don't ask again" on this survey
    last_prompt_any_survey_at: datetime | None  # org-wide: last display of ANY survey


@dataclass(frozen=True)
class Decision:
    show: bool
    # "ok", "inactive", "never", "answered_recently", "not_now", "too_early",
    # "fatigue", "not_sampled"
    reason: str
    next_check_at: datetime | None  # when asking again could change the answer


def decide(
    *,
    survey: Survey,
    respondent_key: str,
    history: History,
    now: datetime,
    trigger: str = "auto",
) -> Decision:
    if not survey.is_active:
        return Decision(show=False, reason="inactive", next_check_at=None)
    if history.never:
        return Decision(show=False, reason="never", next_check_at=None)
    return Decision(show=True, reason="ok", next_check_at=None)
