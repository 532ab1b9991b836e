"""The prompt policy engine: a pure function, so these tests need no database."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from surveys.models import Survey
from surveys.policy import Decision, History, decide, in_sample, sampling_period
from tenants.models import Organization

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
TICK = timedelta(microseconds=1)
KEYS = [f"respondent-{i}" for i in range(10_000)]


def make_survey(*, fatigue_days: int = 7, **fields: Any) -> Survey:
    fields.setdefault("public_key", "policy-test-key")
    return Survey(
        organization=Organization(name="Example Inc", fatigue_days=fatigue_days), **fields
    )


def fresh(**changes: Any) -> History:
    """Someone first seen long ago who has never been prompted."""
    history = History(
        first_seen_at=NOW - 365 * DAY,
        last_answer_at=None,
        last_not_now_at=None,
        never=False,
        last_prompt_any_survey_at=None,
    )
    return replace(history, **changes)


def run(survey: Survey, history: History, *, now: datetime = NOW, **kw: Any) -> Decision:
    return decide(survey=survey, respondent_key="alice", history=history, now=now, **kw)


def test_it_shows_an_active_survey_to_a_new_respondent_at_once() -> None:
    decision = run(make_survey(), fresh(first_seen_at=NOW))
    assert decision == Decision(show=True, reason="ok", next_check_at=None)


def test_it_uses_defaults_chosen_from_the_field() -> None:
    survey = make_survey()
    assert (survey.first_prompt_after_days, survey.hide_after_answer_days) == (0, 90)
    assert (survey.hide_after_dismiss_days, survey.sampling_percent) == (10, 100)
    assert Organization().fatigue_days == 7


@pytest.mark.parametrize("trigger", ["auto", "show"])
def test_it_never_shows_a_paused_survey(trigger: str) -> None:
    decision = run(make_survey(is_active=False), fresh(), trigger=trigger)
    assert decision == Decision(show=False, reason="inactive", next_check_at=None)


@pytest.mark.parametrize("trigger", ["auto", "show"])
def test_it_hides_the_survey_for_good_after_dont_ask_again(trigger: str) -> None:
    history = fresh(never=True, last_answer_at=NOW - 400 * DAY)
    for later in (NOW, NOW + 365 * DAY, NOW + 20 * 365 * DAY):
        decision = run(make_survey(), history, now=later, trigger=trigger)
        assert decision == Decision(show=False, reason="never", next_check_at=None)


def test_it_hides_the_survey_after_an_answer_until_exactly_n_days() -> None:
    answered = NOW - 90 * DAY
    survey = make_survey()
    before = run(survey, fresh(last_answer_at=answered + TICK))
    assert before == Decision(False, "answered_recently", answered + TICK + 90 * DAY)
    assert run(survey, fresh(last_answer_at=answered)).show


def test_it_asks_again_after_the_answer_cooldown_so_the_score_can_be_revised() -> None:
    survey = make_survey(hide_after_answer_days=30)
    history = fresh(last_answer_at=NOW)
    assert not run(survey, history, now=NOW + 29 * DAY).show
    assert run(survey, history, now=NOW + 30 * DAY).show
    assert run(survey, history, now=NOW + 300 * DAY).show


def test_it_hides_the_survey_after_not_now_until_exactly_n_days() -> None:
    survey = make_survey()
    history = fresh(last_not_now_at=NOW - 10 * DAY + TICK)
    assert run(survey, history) == Decision(False, "not_now", NOW + TICK)
    assert run(survey, history, now=NOW + TICK).show


def test_it_honours_a_custom_not_now_period() -> None:
    survey = make_survey(hide_after_dismiss_days=3)
    history = fresh(last_not_now_at=NOW)
    assert run(survey, history, now=NOW + 3 * DAY - TICK).reason == "not_now"
    assert run(survey, history, now=NOW + 3 * DAY).show


def test_it_waits_n_days_after_first_seen_before_the_first_prompt() -> None:
    survey = make_survey(first_prompt_after_days=10)
    history = fresh(first_seen_at=NOW)
    assert run(survey, history, now=NOW + 10 * DAY - TICK) == Decision(
        False, "too_early", NOW + 10 * DAY
    )
    assert run(survey, history, now=NOW + 10 * DAY).show


def test_it_caps_prompts_org_wide_with_the_fatigue_period() -> None:
    other_display = NOW - 7 * DAY + TICK
    decision = run(make_survey(), fresh(last_prompt_any_survey_at=other_display))
    assert decision == Decision(False, "fatigue", other_display + 7 * DAY)
    assert run(make_survey(), fresh(last_prompt_any_survey_at=NOW - 7 * DAY)).show


def test_it_uses_the_organizations_fatigue_days() -> None:
    history = fresh(last_prompt_any_survey_at=NOW - 20 * DAY)
    assert run(make_survey(fatigue_days=30), history).reason == "fatigue"
    assert run(make_survey(fatigue_days=0), fresh(last_prompt_any_survey_at=NOW)).show


def test_it_shows_an_unanswered_prompt_again_on_the_next_page_load() -> None:
    # The survey was displayed a minute ago and ignored. Its own displays are not
    # in last_prompt_any_survey_at (only other surveys' are): nothing hides it.
    assert run(make_survey(), fresh(), now=NOW + timedelta(minutes=1)).show


def test_it_treats_zero_days_as_no_wait() -> None:
    survey = make_survey(
        hide_after_answer_days=0, hide_after_dismiss_days=0, first_prompt_after_days=0
    )
    assert run(survey, fresh(first_seen_at=NOW, last_answer_at=NOW, last_not_now_at=NOW)).show


def test_it_names_the_first_rule_and_waits_for_the_last_one() -> None:
    history = fresh(last_answer_at=NOW - DAY, last_prompt_any_survey_at=NOW)
    decision = run(make_survey(hide_after_answer_days=3, fatigue_days=7), history)
    assert decision == Decision(False, "answered_recently", NOW + 7 * DAY)


def test_it_gives_the_same_answer_for_one_person_on_every_device() -> None:
    # Identity is server-side: two devices of one person share key and history.
    survey, history = make_survey(sampling_percent=50), fresh(last_not_now_at=NOW - 20 * DAY)
    laptop = decide(survey=survey, respondent_key="user-42", history=history, now=NOW)
    phone = decide(survey=survey, respondent_key="user-42", history=history, now=NOW)
    assert laptop == phone


def sampled(survey: Survey, now: datetime = NOW) -> set[str]:
    return {key for key in KEYS if in_sample(survey=survey, respondent_key=key, now=now)}


@pytest.mark.parametrize("percent", [1, 10, 30, 50, 90])
def test_it_samples_about_n_percent_of_a_large_population(percent: int) -> None:
    share = len(sampled(make_survey(sampling_percent=percent))) / len(KEYS) * 100
    assert abs(share - percent) < 1.5


def test_it_samples_nobody_at_zero_and_everybody_at_one_hundred() -> None:
    assert sampled(make_survey(sampling_percent=0)) == set()
    assert sampled(make_survey(sampling_percent=100)) == set(KEYS)
    decision = run(make_survey(sampling_percent=0), fresh())
    assert decision == Decision(False, "not_sampled", None)


def test_it_keeps_the_sample_stable_across_page_loads_in_a_period() -> None:
    survey = make_survey(sampling_percent=30, hide_after_answer_days=90)
    start = datetime(1970, 1, 1, tzinfo=UTC) + 250 * sampling_period(survey)
    first = sampled(survey, start)
    assert sampled(survey, start + timedelta(hours=5)) == first
    assert sampled(survey, start + 90 * DAY - TICK) == first


def test_it_draws_a_new_sample_each_period() -> None:
    survey = make_survey(sampling_percent=30, hide_after_answer_days=90)
    this, next_ = sampled(survey), sampled(survey, NOW + 90 * DAY)
    overlap = len(this & next_) / len(this)
    assert 0.25 < overlap < 0.35  # independent draws: about 30% of this sample again
    assert abs(len(next_) - 3000) < 150


def test_it_draws_independent_samples_for_different_surveys() -> None:
    one = sampled(make_survey(sampling_percent=50, public_key="survey-one"))
    two = sampled(make_survey(sampling_percent=50, public_key="survey-two"))
    assert 0.45 < len(one & two) / len(one) < 0.55


def test_it_says_when_an_unsampled_respondent_is_drawn_again() -> None:
    survey = make_survey(sampling_percent=10)
    key = next(k for k in KEYS if not in_sample(survey=survey, respondent_key=k, now=NOW))
    decision = decide(survey=survey, respondent_key=key, history=fresh(), now=NOW)
    assert decision.reason == "not_sampled"
    assert decision.next_check_at is not None
    assert NOW < decision.next_check_at <= NOW + 90 * DAY
    assert (decision.next_check_at - datetime(1970, 1, 1, tzinfo=UTC)) % (90 * DAY) == timedelta()


def test_it_lets_a_transactional_show_skip_sampling_and_the_first_prompt_delay() -> None:
    survey = make_survey(sampling_percent=0, first_prompt_after_days=30)
    history = fresh(first_seen_at=NOW)
    assert run(survey, history).reason == "too_early"
    assert run(survey, history, trigger="show") == Decision(True, "ok", None)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"last_not_now_at": NOW - DAY}, "not_now"),
        ({"last_answer_at": NOW - DAY}, "answered_recently"),
        ({"last_prompt_any_survey_at": NOW - DAY}, "fatigue"),
    ],
)
def test_it_makes_a_transactional_show_honour_the_respondents_rules(
    changes: dict[str, Any], reason: str
) -> None:
    assert run(make_survey(), fresh(**changes), trigger="show").reason == reason


def test_it_refuses_an_unknown_trigger() -> None:
    with pytest.raises(ValueError, match="Unknown trigger"):
        run(make_survey(), fresh(), trigger="always")
