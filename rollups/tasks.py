"""Rollup tasks: ids in, rows loaded, services called; safe to run twice."""

import logging
from datetime import date

from celery import shared_task
from django.db.models import Subquery
from django.utils import timezone

from tenants.context import all_tenants, current_organization, tenant_task
from tenants.models import Organization

from .models import DirtyKey
from .selectors import organizations_due
from .services import rollups_rebuild, rollups_refresh, rollups_refresh_together

logger = logging.getLogger(__name__)


@shared_task(name="rollups.tasks.refresh_all")
def refresh_all() -> int:
    """Beat's tick: the organizations with something new (idle ones cost
    nothing but a look) refreshed together, in one transaction of a few
    statements; those it leaves (a first or re-cut rebuild, or every one on
    SQLite) get a refresh task each, so a rebuild delays no other."""
    with all_tenants():
        ids = organizations_due(now=timezone.now())
        alone = rollups_refresh_together(organization_ids=ids)
    for organization_id in alone:
        refresh.apply_async(kwargs={"organization_id": organization_id}, expires=55)
    # Deletes queued while their organization itself was being deleted.
    DirtyKey.objects.exclude(
        organization_id__in=Subquery(Organization.objects.values("pk"))
    ).delete()
    return len(ids)


@shared_task(name="rollups.tasks.refresh")
@tenant_task
def refresh() -> int | None:
    return rollups_refresh(organization=current_organization())


@shared_task(name="rollups.tasks.rebuild")
@tenant_task
def rebuild(*, first: str, last: str, survey_id: int | None = None) -> int:
    """Recompute the local days `first`..`last` (ISO dates), one survey or all."""
    return rollups_rebuild(
        organization=current_organization(),
        first=date.fromisoformat(first),
        last=date.fromisoformat(last),
        survey_id=survey_id,
    )
