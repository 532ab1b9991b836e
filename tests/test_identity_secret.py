"""The identity secret: rotated from the settings by an admin, with a
confirmation; the install page's code samples compute hashes the widget
accepts, and a rotation makes the old ones fail."""

import json
import os
import shutil
import subprocess
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from surveys.install import HASH_SAMPLES
from tenants.identity import user_hash_for
from tenants.models import Organization
from tenants.services import identity_verification_set

pytestmark = pytest.mark.django_db
ORIGIN = "https://app.example.com"


@pytest.fixture(autouse=True)
def generous_rate_limits(settings: Any) -> None:
    settings.WIDGET_RATE_LIMIT_PER_IP = (100_000, 60)
    settings.WIDGET_RATE_LIMIT_PER_SURVEY = (100_000, 60)


def rotate_url(org: Organization) -> str:
    return reverse("identity_secret_rotate", args=[org.slug])


def config(survey: Any, user_id: str, user_hash: str) -> Any:
    body = {"user": {"id": user_id, "hash": user_hash}}
    return Client().post(
        f"/w/{survey.public_key}/config",
        json.dumps(body),
        content_type="text/plain",
        HTTP_ORIGIN=ORIGIN,
    )


def python_sample_hash(secret: str, user_id: str) -> str:
    """Runs the Python sample exactly as shown on the install page."""
    namespace: dict[str, Any] = {}
    previous = os.environ.get("NPS_IDENTITY_SECRET")
    os.environ["NPS_IDENTITY_SECRET"] = secret
    try:
        exec(HASH_SAMPLES["python"], namespace)  # noqa: S102 (our own sample)
    finally:
        if previous is None:
            del os.environ["NPS_IDENTITY_SECRET"]
        else:
            os.environ["NPS_IDENTITY_SECRET"] = previous
    return str(namespace["nps_user_hash"](user_id))


def test_it_rotates_the_secret_once_confirmed(owner_client: Client, org: Organization) -> None:
    old = org.identity_secret
    response = owner_client.post(rotate_url(org), {"confirm": "on"}, follow=True)
    org.refresh_from_db()
    assert org.identity_secret != old and len(org.identity_secret) >= 40
    assert "old secret no longer verify" in response.content.decode()


def test_it_asks_for_the_confirmation_before_rotating(
    owner_client: Client, org: Organization
) -> None:
    old = org.identity_secret
    response = owner_client.post(rotate_url(org), {})
    assert response.status_code == 400
    assert "Tick the box to confirm the new secret." in response.content.decode()
    org.refresh_from_db()
    assert org.identity_secret == old


def test_it_refuses_the_rotation_to_a_viewer(member_client: Client, org: Organization) -> None:
    old = org.identity_secret
    assert member_client.post(rotate_url(org), {"confirm": "on"}).status_code == 403
    assert member_client.get(reverse("organization_settings", args=[org.slug])).status_code == 403
    org.refresh_from_db()
    assert org.identity_secret == old


def test_it_hides_the_rotation_from_an_outsider(outsider_client: Client, org: Organization) -> None:
    old = org.identity_secret
    assert outsider_client.post(rotate_url(org), {"confirm": "on"}).status_code == 404
    org.refresh_from_db()
    assert org.identity_secret == old


def test_it_shows_the_secret_and_the_toggle_in_the_settings(
    owner_client: Client, org: Organization
) -> None:
    html = owner_client.get(reverse("organization_settings", args=[org.slug])).content.decode()
    assert org.identity_secret in html
    assert 'name="required"' in html and 'name="confirm"' in html


def test_it_toggles_identity_verification(owner_client: Client, org: Organization) -> None:
    path = reverse("identity_verification", args=[org.slug])
    owner_client.post(path, {"required": "on"})
    org.refresh_from_db()
    assert org.require_identity_verification
    owner_client.post(path, {})
    org.refresh_from_db()
    assert not org.require_identity_verification


def test_it_refuses_the_toggle_to_a_viewer(member_client: Client, org: Organization) -> None:
    path = reverse("identity_verification", args=[org.slug])
    assert member_client.post(path, {"required": "on"}).status_code == 403
    org.refresh_from_db()
    assert not org.require_identity_verification


def test_the_python_sample_makes_a_hash_the_widget_accepts(org: Organization, survey: Any) -> None:
    identity_verification_set(organization=org, required=True)
    user_hash = python_sample_hash(org.identity_secret, "user-42")
    assert user_hash == user_hash_for(organization=org, user_id="user-42")
    assert config(survey, "user-42", user_hash).status_code == 200
    assert config(survey, "user-43", user_hash).status_code == 403


@pytest.mark.skipif(not shutil.which("node"), reason="Node.js is not installed")
def test_the_node_sample_makes_the_same_hash(org: Organization) -> None:
    script = HASH_SAMPLES["node"] + "\nprocess.stdout.write(npsUserHash(process.argv[1]));"
    result = subprocess.run(
        ["node", "-e", script, "user-42"],  # noqa: S607
        env={**os.environ, "NPS_IDENTITY_SECRET": org.identity_secret},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout == user_hash_for(organization=org, user_id="user-42")


def test_hashes_of_the_old_secret_stop_working_after_a_rotation(
    owner_client: Client, org: Organization, survey: Any
) -> None:
    identity_verification_set(organization=org, required=True)
    old_hash = python_sample_hash(org.identity_secret, "user-42")
    assert config(survey, "user-42", old_hash).status_code == 200
    owner_client.post(rotate_url(org), {"confirm": "on"})
    org.refresh_from_db()
    assert config(survey, "user-42", old_hash).status_code == 403
    new_hash = python_sample_hash(org.identity_secret, "user-42")
    assert config(survey, "user-42", new_hash).status_code == 200


def test_it_sets_the_fatigue_cap_in_the_settings(owner_client: Client, org: Organization) -> None:
    path = reverse("organization_fatigue", args=[org.slug])
    assert owner_client.post(path, {"fatigue_days": "30"}).status_code == 302
    org.refresh_from_db()
    assert org.fatigue_days == 30
    assert owner_client.post(path, {"fatigue_days": "-1"}).status_code == 400
    org.refresh_from_db()
    assert org.fatigue_days == 30


def test_it_refuses_the_fatigue_cap_to_a_viewer(member_client: Client, org: Organization) -> None:
    path = reverse("organization_fatigue", args=[org.slug])
    assert member_client.post(path, {"fatigue_days": "0"}).status_code == 403
    org.refresh_from_db()
    assert org.fatigue_days == 7
