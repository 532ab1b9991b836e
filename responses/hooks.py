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
