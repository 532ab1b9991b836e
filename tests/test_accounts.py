import re
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tenants.context import tenant_context
from tenants.models import Invitation, Membership, Organization, Role
from tenants.services import invitation_create, organization_create

from .conftest import PASSWORD, make_user


def signup(client: Client, **overrides: str) -> Any:
    data = {"email": "New@Example.com", "password": PASSWORD, "organization_name": "Newco"}
    return client.post("/signup/", {**data, **overrides})


def test_it_creates_a_user_and_their_organization_on_signup(db: None) -> None:
    client = Client()
    response = signup(client)
    assert response.status_code == 302
    organization = Organization.objects.get(name="Newco")
    assert response["Location"] == f"/o/{organization.slug}/"
    membership = Membership.objects.get(organization=organization)
    assert membership.user.email == "new@example.com"
    assert membership.role == Role.OWNER
    assert client.get(response["Location"]).status_code == 200


def test_it_rejects_a_second_signup_with_the_same_email(db: None) -> None:
    signup(Client())
    response = signup(Client(), organization_name="Other")
    assert response.status_code == 422
    assert "already" in response.content.decode() or "exists" in response.content.decode()
    assert get_user_model().objects.count() == 1
    assert not Organization.objects.filter(name="Other").exists()


def test_it_rejects_a_weak_password_and_creates_nothing(db: None) -> None:
    response = signup(Client(), password="123")
    assert response.status_code == 422
    assert get_user_model().objects.count() == 0
    assert Organization.objects.count() == 0


def test_it_gives_each_new_org_a_unique_slug(db: None) -> None:
    signup(Client(), email="a@example.com")
    signup(Client(), email="b@example.com")
    assert sorted(Organization.objects.values_list("slug", flat=True)) == ["newco", "newco-2"]


def test_it_logs_in_with_email_and_password(owner: Any, org: Organization) -> None:
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": "OWNER@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/", follow=True).request["PATH_INFO"] == f"/o/{org.slug}/"


def test_it_refuses_a_wrong_password(owner: Any) -> None:
    response = Client().post("/accounts/login/", {"username": owner.email, "password": "nope"})
    assert response.status_code == 200
    assert "correct" in response.content.decode()


def test_it_logs_out_with_a_post(owner_client: Client, org: Organization) -> None:
    assert owner_client.post("/accounts/logout/").status_code in (200, 302)
    assert owner_client.get(f"/o/{org.slug}/").status_code == 302


def test_it_resets_a_password_through_the_emailed_link(owner: Any) -> None:
    client = Client()
    client.post("/accounts/password_reset/", {"email": owner.email})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", mail.outbox[0].body)
    assert link is not None
    form_url = client.get(link.group(1), follow=True).request["PATH_INFO"]
    client.post(
        form_url, {"new_password1": "brand-new-pass-42", "new_password2": "brand-new-pass-42"}
    )
    assert Client().login(username=owner.username, password="brand-new-pass-42")


def test_a_forged_password_reset_link_sets_no_password(owner: Any) -> None:
    uid = urlsafe_base64_encode(force_bytes(owner.pk))
    client = Client()
    for path in (f"/accounts/reset/{uid}/forged-token/", f"/accounts/reset/{uid}/set-password/"):
        page = client.get(path)
        assert page.status_code == 200
        assert "new_password1" not in page.content.decode()
        client.post(path, {"new_password1": "taken-over-42", "new_password2": "taken-over-42"})
    assert not Client().login(username=owner.username, password="taken-over-42")
    assert Client().login(username=owner.username, password=PASSWORD)


def test_it_lets_a_user_switch_between_their_organizations(
    owner: Any, owner_client: Client, org: Organization
) -> None:
    second = organization_create(name="Second Co", owner=owner, slug="second")
    page = owner_client.get(f"/o/{org.slug}/").content.decode()
    assert f'href="/o/{second.slug}/"' in page
    assert owner_client.get(f"/o/{second.slug}/").status_code == 200
    # Home remembers the organization used last.
    assert owner_client.get("/")["Location"] == f"/o/{second.slug}/"


def test_it_links_every_organization_in_the_switcher_and_marks_the_current_one(
    owner: Any, owner_client: Client, org: Organization
) -> None:
    others = [organization_create(name=f"Co {n}", owner=owner, slug=f"co-{n}") for n in range(3)]
    page = owner_client.get(f"/o/{others[1].slug}/").content.decode()
    for each in [org, *others]:
        assert f'<a href="{reverse("dashboards:overview", args=[each.slug])}"' in page
    assert f'<a href="/o/{others[1].slug}/" aria-current="page">Co 1</a>' in page
    assert f'<a href="/o/{org.slug}/" aria-current="page">' not in page


def test_it_writes_the_session_back_only_when_the_organization_or_the_day_changes(
    owner: Any, owner_client: Client, org: Organization
) -> None:
    second = organization_create(name="Second Co", owner=owner, slug="second")
    owner_client.get(f"/o/{org.slug}/")
    with CaptureQueriesContext(connection) as same:
        owner_client.get(f"/o/{org.slug}/")
    assert not [q for q in same if q["sql"].startswith("UPDATE") and "django_session" in q["sql"]]
    with CaptureQueriesContext(connection) as other:
        owner_client.get(f"/o/{second.slug}/")
    assert [q for q in other if q["sql"].startswith("UPDATE") and "django_session" in q["sql"]]
    # A new day writes it again, which keeps an active user's session from expiring.
    session = owner_client.session
    session["last_org_day"] = "2000-01-01"
    session.save()
    with CaptureQueriesContext(connection) as next_day:
        owner_client.get(f"/o/{second.slug}/")
    assert [q for q in next_day if q["sql"].startswith("UPDATE") and "django_session" in q["sql"]]


def test_it_lists_a_users_organizations_and_creates_more(owner_client: Client) -> None:
    response = owner_client.post("/o/", {"name": "Side Project"})
    assert response.status_code == 302
    assert "Side Project" in owner_client.get("/o/").content.decode()


def test_it_invites_by_email_and_the_link_grants_the_role(
    owner: Any, owner_client: Client, org: Organization, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            f"/o/{org.slug}/members/", {"email": "Newbie@example.com", "role": Role.ADMIN}
        )
    assert response.status_code == 302
    link = re.search(r"https?://[^/]+(/invitations/\S+/)", mail.outbox[0].body)
    assert link is not None
    newbie = Client()
    newbie.force_login(make_user("newbie@example.com"))
    assert newbie.get(link.group(1)).status_code == 200
    assert newbie.post(link.group(1))["Location"] == f"/o/{org.slug}/"
    assert (
        Membership.objects.get(organization=org, user__email="newbie@example.com").role
        == Role.ADMIN
    )
    # Single use.
    assert newbie.post(link.group(1)).status_code == 404


def test_a_forged_invitation_link_gets_404(
    owner: Any, org: Organization, outsider_client: Client
) -> None:
    invitation_create(
        organization=org, email="invitee@example.com", role=Role.ADMIN, invited_by=owner
    )
    for token in ("forged", "x" * 300):
        assert outsider_client.get(f"/invitations/{token}/").status_code == 404
        refused = outsider_client.post(f"/invitations/{token}/")
        assert refused.status_code == 404
        assert org.name not in refused.content.decode()
    assert not Membership.objects.filter(
        organization=org, user__email="outsider@other.test"
    ).exists()


def test_it_refuses_an_expired_invitation(owner: Any, org: Organization) -> None:
    invitation, token = invitation_create(
        organization=org, email="late@example.com", role=Role.VIEWER, invited_by=owner
    )
    with tenant_context(org):
        Invitation.objects.filter(pk=invitation.pk).update(
            expires_at=timezone.now() - timedelta(minutes=1)
        )
    late = Client()
    late.force_login(make_user("late@example.com"))
    assert late.post(f"/invitations/{token}/").status_code == 404
    assert not Membership.objects.filter(user__email="late@example.com").exists()


def test_it_forbids_viewers_to_invite(member_client: Client, org: Organization) -> None:
    response = member_client.post(
        f"/o/{org.slug}/members/", {"email": "x@example.com", "role": "owner"}
    )
    assert response.status_code == 403
    with tenant_context(org):
        assert not Invitation.objects.exists()


def test_it_lets_the_owner_change_roles_but_keeps_one_owner(
    owner: Any, owner_client: Client, member: Any, org: Organization
) -> None:
    membership = Membership.objects.get(organization=org, user=member)
    owner_client.post(f"/o/{org.slug}/members/{membership.pk}/", {"role": Role.ADMIN})
    membership.refresh_from_db()
    assert membership.role == Role.ADMIN

    own = Membership.objects.get(organization=org, user=owner)
    owner_client.post(f"/o/{org.slug}/members/{own.pk}/", {"role": Role.VIEWER})
    own.refresh_from_db()
    assert own.role == Role.OWNER


def test_it_forbids_members_to_change_roles(
    member_client: Client, member: Any, org: Organization
) -> None:
    membership = Membership.objects.get(organization=org, user=member)
    response = member_client.post(f"/o/{org.slug}/members/{membership.pk}/", {"role": Role.OWNER})
    assert response.status_code == 403
    membership.refresh_from_db()
    assert membership.role == Role.VIEWER


def test_it_lets_the_owner_remove_a_member(
    owner_client: Client, member: Any, org: Organization
) -> None:
    membership = Membership.objects.get(organization=org, user=member)
    owner_client.post(f"/o/{org.slug}/members/{membership.pk}/", {"action": "remove"})
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_it_lets_an_admin_rename_the_organization(admin_user: Any, org: Organization) -> None:
    client = Client()
    client.force_login(admin_user)
    assert client.post(f"/o/{org.slug}/settings/", {"name": "Renamed"}).status_code == 302
    org.refresh_from_db()
    assert org.name == "Renamed"


def test_it_forbids_viewers_to_rename(member_client: Client, org: Organization) -> None:
    assert member_client.post(f"/o/{org.slug}/settings/", {"name": "Hacked"}).status_code == 403
    org.refresh_from_db()
    assert org.name == "Example Inc"
