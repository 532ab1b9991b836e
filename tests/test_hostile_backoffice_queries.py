"""Every back-office page, read from the URL resolver, answers hostile query
strings (NUL characters, invalid UTF-8, injection strings in every filter)
with a page or a clear 4xx, never a server error."""

from typing import Any

import pytest
from django.test import Client

from responses.models import Response

from .test_isolation import fill, org_routes
from .test_isolation import org_objects as org_objects  # a fixture

FILTERS = ("q", "survey", "range", "from", "to", "channel", "category", "score", "language")
FILTERS += ("trait", "status", "assignee", "tag", "cursor", "page", "interval", "window")
HOSTILE = {
    "nul": "%00",
    "invalid-utf8": "%ff%fe%c3",
    "injection": "%7B%7B7*7%7D%7D'%20OR%201%3D1--%3Cscript%3E",
}


@pytest.mark.parametrize("payload", HOSTILE.values(), ids=HOSTILE.keys())
def test_every_back_office_page_survives_hostile_query_strings(
    owner_client: Client, org_objects: dict[str, Any], payload: str
) -> None:
    query = "&".join(f"{name}={payload}" for name in FILTERS)
    before = Response.objects.unscoped().count()
    crashed = []
    for route in org_routes():
        path = fill(route, org_objects)
        status = owner_client.get(f"{path}?{query}").status_code
        if status >= 500:
            crashed.append(f"{path}: {status}")
    assert crashed == []
    assert Response.objects.unscoped().count() == before
