"""A real Celery worker on the Redis broker runs tenant tasks in their org."""

from datetime import timedelta
from typing import Any

import pytest
from celery import shared_task
from django.utils import timezone

from responses.models import Response
from surveys.models import Survey
from tenants.context import tenant_context, tenant_task
from tenants.models import Invitation, Organization
from tenants.services import invitation_create
from tenants.tasks import expire_invitations

from .conftest import wait_until

pytestmark = [pytest.mark.worker, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@shared_task
@tenant_task
def rename_surveys(*, suffix: str) -> int:
    """Touches every survey it can see: only its own org's, thanks to the context."""
    count = 0
    for survey in Survey.objects.all():
        survey.name += suffix
        survey.save(update_fields=["name"])
        count += 1
    return count


def test_the_worker_runs_a_task_inside_its_organization(
    worker: Any, org: Organization, other_org: Organization
) -> None:
    for organization in (org, other_org):
        with tenant_context(organization):
            Survey.objects.create(organization=organization, name="NPS", question="?")
    rename_surveys.delay(organization_id=org.pk, suffix=" (done)")
    wait_until(lambda: Survey.objects.unscoped().filter(name="NPS (done)").exists())
    assert Survey.objects.unscoped().get(organization=other_org).name == "NPS"
    with tenant_context(org):
        assert Response.objects.count() == 0


def test_the_worker_expires_old_invitations(worker: Any, owner: Any, org: Organization) -> None:
    invitation, _ = invitation_create(
        organization=org, email="late@example.com", role="viewer", invited_by=owner
    )
    Invitation.objects.unscoped().filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(hours=1)
    )
    expire_invitations.delay()
    wait_until(lambda: not Invitation.objects.unscoped().exists())
