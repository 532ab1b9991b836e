from typing import Any

from django.http import HttpRequest

from .selectors import open_count


def inbox_badge(request: HttpRequest) -> dict[str, Any]:
    """Open follow-ups for the nav, counted only when a page shows the nav."""
    if getattr(request, "organization", None) is None:
        return {}
    # A callable: the template calls it, so pages without the nav cost nothing.
    return {"open_follow_ups": open_count}
