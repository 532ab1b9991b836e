"""Ids that only look like numbers ("³" passes `str.isdigit()`), or that no
database column can hold, find nothing: a 404, never a crash."""

import pytest
from django.test import Client

ODD_IDS = ["³", "٣٣٣٣٣٣٣٣٣٣٣٣٣٣٣٣٣٣٣٣٣", "99999999999999999999"]


@pytest.mark.parametrize("reference", ODD_IDS)
def test_a_survey_named_by_an_odd_id_is_not_found(
    api_key: str, survey: object, reference: str
) -> None:
    api = Client(headers={"Authorization": f"Bearer {api_key}"})
    assert api.get(f"/api/v1/surveys/{reference}").status_code == 404
    scheduled = api.post(
        "/api/v1/survey_requests",
        {"survey": reference, "email": "ada@example.com"},
        content_type="application/json",
    )
    assert scheduled.status_code == 404
    assert scheduled.json()["error"]["code"] == "not_found"
