from datetime import timedelta

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from . import keys
from .context import tenant_context
from .models import ApiKey, Invitation, Membership, Organization
from .row_security import find_in_any_organization

LAST_USED_RESOLUTION = timedelta(minutes=1)


def organizations_for_user(*, user: User | AnonymousUser) -> QuerySet[Organization]:
    if not user.is_authenticated:
        return Organization.objects.none()
    return Organization.objects.filter(memberships__user=user).order_by("name")


def membership_for(*, user: User | AnonymousUser, slug: str) -> Membership:
    """The user's membership in the org named by `slug`; 404 when they have none.

    Missing org and someone else's org answer the same, so slugs leak nothing.
    """
    if not user.is_authenticated:
        raise Http404
    membership = (
        Membership.objects.select_related("organization")
        .filter(user=user, organization__slug=slug)
        .first()
    )
    if membership is None:
        raise Http404
    return membership


def members_of(*, organization: Organization) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(organization=organization)
        .select_related("user")
        .order_by("user__email")
    )


def api_key_authenticate(*, raw_key: str) -> ApiKey | None:
    """The active key matching `raw_key`, or None. Runs before any tenant is known."""
    prefix = keys.parse_prefix(raw_key)
    if prefix is None:
        return None
    api_key = find_in_any_organization(ApiKey, field="prefix", value=prefix)
    if api_key is None or api_key.revoked_at is not None:
        return None
    if not keys.matches(raw_key, api_key.hashed_key):
        return None
    with tenant_context(api_key.organization):
        _touch(api_key)
    return api_key


def _touch(api_key: ApiKey) -> None:
    # One write a minute at most, so a busy key does not turn reads into writes.
    now = timezone.now()
    last = api_key.last_used_at
    if last is None or now - last >= LAST_USED_RESOLUTION:
        ApiKey.objects.unscoped().filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now


def invitation_by_token(*, token: str) -> Invitation | None:
    """A pending, unexpired invitation; looked up by hash before any tenant is known."""
    invitation = find_in_any_organization(
        Invitation, field="token_hash", value=keys.hash_secret(token)
    )
    if invitation is None or invitation.accepted_at is not None:
        return None
    return invitation if invitation.expires_at > timezone.now() else None
