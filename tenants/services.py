from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext

from . import keys
from .context import all_tenants, tenant_context
from .models import (
    ApiKey,
    Invitation,
    Membership,
    Organization,
    Role,
    UserPreference,
    new_identity_secret,
)

RESERVED_SLUGS = {"new", "admin", "api", "static"}


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "org"
    if base in RESERVED_SLUGS:
        base = f"{base}-org"
    slug, n = base, 1
    while Organization.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def organization_create(*, name: str, owner: User, slug: str = "") -> Organization:
    organization = Organization.objects.create(name=name.strip(), slug=slug or _unique_slug(name))
    Membership.objects.create(organization=organization, user=owner, role=Role.OWNER)
    return organization


def organization_update(*, organization: Organization, name: str) -> Organization:
    name = name.strip()
    if not name:
        raise ValidationError({"name": gettext("The name cannot be empty.")})
    organization.name = name
    organization.save(update_fields=["name"])
    return organization


@transaction.atomic
def signup(*, email: str, password: str, organization_name: str) -> tuple[User, Organization]:
    email = email.strip().lower()
    user = get_user_model().objects.create_user(username=email, email=email, password=password)
    organization = organization_create(name=organization_name, owner=user)
    return user, organization


def invitation_create(
    *, organization: Organization, email: str, role: str, invited_by: User
) -> tuple[Invitation, str]:
    email = email.strip().lower()
    if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
        raise ValidationError(
            {"email": gettext("%(email)s is already a member.") % {"email": email}}
        )
    raw, hashed = keys.generate_token()
    with tenant_context(organization):
        invitation = Invitation.objects.create(
            organization=organization,
            email=email,
            role=role,
            token_hash=hashed,
            invited_by=invited_by,
            expires_at=timezone.now() + timedelta(days=settings.INVITATION_DAYS),
        )
    link = settings.SITE_URL + reverse("invitation_accept", args=[raw])
    # Worded now, in the inviter's language: the callback runs after the request's.
    values = {
        "inviter": invited_by.email,
        "organization": organization.name,
        "role": role,
        "days": settings.INVITATION_DAYS,
        "link": link,
    }
    subject = gettext("You are invited to %(organization)s on NPS") % values
    message = (
        gettext("%(inviter)s invited you to join %(organization)s as %(role)s.") % values
        + "\n\n"
        + gettext("Accept within %(days)s days: %(link)s") % values
        + "\n"
    )
    transaction.on_commit(
        lambda: send_mail(subject=subject, message=message, from_email=None, recipient_list=[email])
    )
    return invitation, raw


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    # Single use even when two tabs accept at once: only one update wins.
    with tenant_context(invitation.organization):
        claimed = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(
            accepted_at=timezone.now()
        )
    if claimed != 1:
        raise ValidationError(gettext("This invitation has already been used."))
    membership, _ = Membership.objects.get_or_create(
        organization=invitation.organization, user=user, defaults={"role": invitation.role}
    )
    return membership


def _owners_left(organization: Organization, without: Membership) -> int:
    return (
        Membership.objects.filter(organization=organization, role=Role.OWNER)
        .exclude(pk=without.pk)
        .count()
    )


def membership_set_role(*, membership: Membership, role: str) -> Membership:
    demoting = membership.role == Role.OWNER and role != Role.OWNER
    if demoting and _owners_left(membership.organization, membership) == 0:
        raise ValidationError(gettext("An organization needs at least one owner."))
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


def membership_remove(*, membership: Membership) -> None:
    if membership.role == Role.OWNER and _owners_left(membership.organization, membership) == 0:
        raise ValidationError(gettext("An organization needs at least one owner."))
    membership.delete()


def api_key_create(
    *,
    organization: Organization,
    name: str,
    read_only: bool = False,
    created_by: User | None = None,
) -> tuple[ApiKey, str]:
    """A new key and its plain text, which is never stored and shown only now."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": gettext("Give the key a name.")})
    new = keys.generate_api_key()
    with tenant_context(organization):
        api_key = ApiKey.objects.create(
            organization=organization,
            name=name,
            prefix=new.prefix,
            hashed_key=new.hashed,
            read_only=read_only,
            created_by=created_by,
        )
    return api_key, new.raw


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    return api_key


def invitations_expire() -> int:
    """Delete invitations past their date; returns how many went."""
    with all_tenants():
        deleted, _ = (
            Invitation.objects.unscoped()
            .filter(accepted_at__isnull=True, expires_at__lte=timezone.now())
            .delete()
        )
    return deleted


MAX_FATIGUE_DAYS = 365


def organization_set_fatigue(*, organization: Organization, days: int) -> Organization:
    """No respondent is prompted by any of the organization's surveys more than
    once in `days` days; 0 lifts the cap."""
    if not 0 <= days <= MAX_FATIGUE_DAYS:
        message = gettext("Choose between 0 and %(max)s days.") % {"max": MAX_FATIGUE_DAYS}
        raise ValidationError({"fatigue_days": message})
    organization.fatigue_days = days
    organization.save(update_fields=["fatigue_days"])
    return organization


def identity_secret_rotate(*, organization: Organization) -> Organization:
    """A new identity secret; every hash signed with the old one stops verifying at once."""
    organization.identity_secret = new_identity_secret()
    organization.save(update_fields=["identity_secret"])
    return organization


def identity_verification_set(*, organization: Organization, required: bool) -> Organization:
    organization.require_identity_verification = required
    organization.save(update_fields=["require_identity_verification"])
    return organization


def user_language_set(*, user: User, language: str) -> UserPreference:
    """Saves the user's interface language; "" follows the browser again."""
    if language and language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": gettext("Unknown language.")})
    preference, _ = UserPreference.objects.update_or_create(
        user=user, defaults={"language": language}
    )
    return preference
