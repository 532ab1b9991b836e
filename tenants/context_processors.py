from typing import Any

from django.http import HttpRequest

from .selectors import organizations_for_user


def tenancy(request: HttpRequest) -> dict[str, Any]:
    """The current org and the user's others, for the switcher in the header."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "organization": getattr(request, "organization", None),
        "membership": getattr(request, "membership", None),
        "my_organizations": organizations_for_user(user=user),
    }
