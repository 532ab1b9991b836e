from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from tenants.context import tenant_context
from tenants.models import ApiKey, Organization


def api(key: str | None = None) -> Client:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return Client(headers=headers)


def all_text_in_database() -> str:
    """Every api-key column as text, to prove the plain key is nowhere."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM tenants_apikey")
        return " ".join(str(value) for row in cursor.fetchall() for value in row)


def test_it_stores_only_a_prefix_and_an_hmac(api_key: str) -> None:
    assert api_key.startswith("nps_")
    stored = all_text_in_database()
    assert api_key not in stored
    assert api_key.split("_", 2)[2] not in stored
    assert api_key.split("_", 2)[1] in stored  # the lookup prefix


def test_it_authenticates_a_bearer_key_to_its_organization(api_key: str, org: Organization) -> None:
    response = api(api_key).get("/api/v1/organization")
    assert response.status_code == 200
    assert response.json()["slug"] == org.slug


def test_it_records_when_a_key_was_last_used(api_key: str, org: Organization) -> None:
    api(api_key).get("/api/v1/organization")
    with tenant_context(org):
        assert ApiKey.objects.get().last_used_at is not None


def test_it_refuses_a_request_without_a_key(db: None) -> None:
    response = api().get("/api/v1/organization")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize(
    "bad", ["nps_000000000000_nope", "garbage", "nps_short_x", "nps__", "Basic abc"]
)
def test_it_refuses_unknown_or_malformed_keys(bad: str, api_key: str) -> None:
    response = Client(headers={"Authorization": f"Bearer {bad}"}).get("/api/v1/organization")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_it_refuses_a_tampered_secret_with_a_real_prefix(api_key: str) -> None:
    tampered = api_key[:-2] + ("AA" if not api_key.endswith("AA") else "BB")
    assert api(tampered).get("/api/v1/organization").status_code == 401


def test_it_refuses_a_revoked_key_with_401(
    api_key: str, owner_client: Client, org: Organization
) -> None:
    with tenant_context(org):
        key = ApiKey.objects.get()
    owner_client.post(f"/o/{org.slug}/api-keys/{key.pk}/revoke/")
    response = api(api_key).get("/api/v1/organization")
    assert response.status_code == 401


def test_it_lets_a_read_only_key_read_but_not_write(read_only_key: str, org: Organization) -> None:
    client = api(read_only_key)
    assert client.get("/api/v1/organization").status_code == 200
    response = client.patch(
        "/api/v1/organization", {"name": "Hacked"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "This API key is read-only."
    org.refresh_from_db()
    assert org.name == "Example Inc"


def test_it_lets_a_read_write_key_write(api_key: str, org: Organization) -> None:
    response = api(api_key).patch(
        "/api/v1/organization", {"name": "Renamed Inc"}, content_type="application/json"
    )
    assert response.status_code == 200
    org.refresh_from_db()
    assert org.name == "Renamed Inc"


def test_it_rejects_an_empty_name_with_422_and_changes_nothing(
    api_key: str, org: Organization
) -> None:
    response = api(api_key).patch(
        "/api/v1/organization", {"name": ""}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"
    assert "name" in response.json()["error"]["details"]
    org.refresh_from_db()
    assert org.name == "Example Inc"


def test_it_rejects_malformed_json_with_400(api_key: str) -> None:
    response = api(api_key).patch(
        "/api/v1/organization", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_an_outsider_key_only_ever_sees_its_own_org(
    other_api_key: str, org: Organization, other_org: Organization
) -> None:
    body = api(other_api_key).get("/api/v1/organization").json()
    assert body["slug"] == other_org.slug
    api(other_api_key).patch("/api/v1/organization", {"name": "X"}, content_type="application/json")
    org.refresh_from_db()
    assert org.name == "Example Inc"


def test_the_command_prints_only_a_working_key(org: Organization) -> None:
    out = StringIO()
    call_command("create_api_key", org.slug, "--name", "CRM sync", stdout=out)
    raw = out.getvalue().strip()
    assert raw.startswith("nps_") and "\n" not in raw
    assert api(raw).get("/api/v1/organization").status_code == 200
    with tenant_context(org):
        assert ApiKey.objects.get().name == "CRM sync"


def test_the_command_creates_read_only_keys(org: Organization) -> None:
    out = StringIO()
    call_command("create_api_key", org.slug, "--name", "BI", "--read-only", stdout=out)
    raw = out.getvalue().strip()
    response = api(raw).patch(
        "/api/v1/organization", {"name": "x"}, content_type="application/json"
    )
    assert response.status_code == 403


def test_the_command_fails_clearly_for_an_unknown_org(db: None) -> None:
    with pytest.raises(CommandError, match="No organization with slug 'nope'"):
        call_command("create_api_key", "nope", "--name", "x", stdout=StringIO())


def test_the_page_shows_a_new_key_once(owner_client: Client, org: Organization) -> None:
    response = owner_client.post(f"/o/{org.slug}/api-keys/", {"name": "Zapier"})
    page = response.content.decode()
    with tenant_context(org):
        key = ApiKey.objects.get()
    shown = page.split('<code class="key">')[1].split("</code>")[0]
    assert shown.startswith(f"nps_{key.prefix}_")
    assert api(shown).get("/api/v1/organization").status_code == 200
    assert shown not in owner_client.get(f"/o/{org.slug}/api-keys/").content.decode()


def test_the_page_revokes_with_htmx_and_returns_the_row(
    owner_client: Client, api_key: str, org: Organization
) -> None:
    with tenant_context(org):
        key = ApiKey.objects.get()
    response = owner_client.post(
        f"/o/{org.slug}/api-keys/{key.pk}/revoke/", headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "revoked" in response.content.decode()
    assert f'id="key-{key.pk}"' in response.content.decode()


def test_viewers_cannot_manage_keys(member_client: Client, org: Organization) -> None:
    assert member_client.get(f"/o/{org.slug}/api-keys/").status_code == 403
    assert member_client.post(f"/o/{org.slug}/api-keys/", {"name": "x"}).status_code == 403
    with tenant_context(org):
        assert not ApiKey.objects.exists()


def test_it_serves_the_openapi_schema_and_offline_docs(db: None) -> None:
    schema = Client().get("/api/schema/?format=json")
    assert schema.status_code == 200
    assert "/api/v1/organization" in schema.json()["paths"]
    docs = Client().get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/" in docs
