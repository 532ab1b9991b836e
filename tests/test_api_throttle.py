"""Each API key has its own request budget; going over gets a 429 that says when to retry."""

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

URL = "/api/v1/organization"


@pytest.fixture
def tight_limit(settings: Any) -> None:
    settings.API_RATE_LIMIT = "2/minute"
    cache.clear()


def get(key: str) -> Any:
    return Client(headers={"Authorization": f"Bearer {key}"}).get(URL)


def test_it_answers_429_with_retry_after_once_a_key_is_over_its_budget(
    tight_limit: None, api_key: str
) -> None:
    assert [get(api_key).status_code for _ in range(2)] == [200, 200]
    refused = get(api_key)
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert refused.json()["error"]["code"] == "throttled"


def test_one_key_over_budget_leaves_other_keys_alone(
    tight_limit: None, api_key: str, read_only_key: str
) -> None:
    for _ in range(3):
        get(api_key)
    assert get(read_only_key).status_code == 200


def test_requests_without_a_key_are_refused_before_they_are_counted(
    tight_limit: None, api_key: str
) -> None:
    for _ in range(3):
        assert Client().get(URL).status_code == 401
    assert get(api_key).status_code == 200
