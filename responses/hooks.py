"""Where feature apps extend the capture path without it importing them.

Each app appends its function in its `AppConfig.ready()`; the capture path
calls them and never needs to know who listens.
"""

from collections.abc import Callable

from django.http import HttpRequest

from surveys.models import Survey

from .models import Response

# After the link page stored a comment: a URL to go to instead of the thanks
# page (e.g. asking a promoter for consent to quote them), or None.
LinkCommentHook = Callable[[HttpRequest, Survey, Response], str | None]
after_link_comment: list[LinkCommentHook] = []


def next_after_link_comment(
    *, request: HttpRequest, survey: Survey, response: Response
) -> str | None:
    for hook in after_link_comment:
        url = hook(request, survey, response)
        if url:
            return url
    return None


# Apps that act on new answers (webhooks, chat alerts) through Response's
# post_save, by their receiver's dispatch_uid: an SQL condition over
# %(organization_id)s that holds when the organization has something to tell.
# The widget's one-statement answer (services.widget_answer_first_send)
# evaluates them in that statement and sends post_save only when one holds, so
# an organization without subscribers pays no query for them. A new receiver
# of Response's post_save must register here or be listed below
# (tests/test_widget_answer_path.py fails otherwise).
answer_listeners: dict[str, str] = {}

# Receivers that never act on a widget answer's first send, and why.
NOT_FOR_WIDGET_FIRST_SENDS = {
    # Surveys with recurring requests take the general path (answer_record).
    "outreach.recurrence_after_answer": "only for surveys with recur_days",
}


def answer_listeners_sql() -> str:
    """One boolean: whether any registered listener wants this organization's answers."""
    return " OR ".join(f"({condition})" for condition in answer_listeners.values()) or "false"
