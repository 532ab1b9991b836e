from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils.translation import ngettext

from .selectors import open_count

# The nav counts open follow-ups up to this many: past it, "999+". Counting
# every open detractor of a large organization on every page would cost a
# scan of hundreds of thousands of rows; stopping at a thousand costs little.
BADGE_LIMIT = 1000


@dataclass(frozen=True)
class Badge:
    count: int  # at most BADGE_LIMIT

    @property
    def label(self) -> str:
        return f"{BADGE_LIMIT - 1}+" if self.count >= BADGE_LIMIT else str(self.count)

    @property
    def title(self) -> str:
        return ngettext("%(counter)s open follow-up", "%(counter)s open follow-ups", self.count) % {
            "counter": self.label
        }


def open_badge() -> Badge:
    return Badge(count=open_count(limit=BADGE_LIMIT))


def inbox_badge(request: HttpRequest) -> dict[str, Any]:
    """Open follow-ups for the nav, counted only when a page shows the nav."""
    if getattr(request, "organization", None) is None:
        return {}
    # A callable: the template calls it, so pages without the nav cost nothing.
    return {"open_follow_ups": open_badge}
