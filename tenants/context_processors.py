from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from .selectors import organizations_for_user

SLUG_MARK = "0org0slug0"  # stands for each slug in the one reversed URL


@dataclass(frozen=True)
class SwitchLink:
    name: str
    url: str
    current: bool  # the organization of the page


def tenancy(request: HttpRequest) -> dict[str, Any]:
    """The current org and the user's others, for the switcher in the header."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    organization = getattr(request, "organization", None)
    return {
        "organization": organization,
        "membership": getattr(request, "membership", None),
        "my_organizations": SimpleLazyObject(lambda: _switch_links(user, organization)),
    }


def _switch_links(user: Any, organization: Any) -> list[SwitchLink]:
    """Each organization's name and the URL of its home, from one reverse for
    all: a user of a hundred organizations would otherwise cost a hundred
    reverses on every page. Slugs need no quoting, so the URL is the same."""
    prefix, _, suffix = reverse("dashboards:overview", args=[SLUG_MARK]).partition(SLUG_MARK)
    rows = organizations_for_user(user=user).values_list("pk", "name", "slug")
    here = getattr(organization, "pk", None)
    return [
        SwitchLink(name=name, url=f"{prefix}{slug}{suffix}", current=pk == here)
        for pk, name, slug in rows
    ]
