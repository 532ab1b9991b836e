"""Reads of chat alerts: destinations, the send log, and what a digest says."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import QuerySet
from django.http import QueryDict
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _

from dashboards import metrics
from dashboards.filters import Filters, parse_filters
from responses.models import Response
from tenants.context import current_organization

from . import messages
from .models import Delivery, Destination

DIGEST_DAYS = 7
DETRACTOR_QUOTES = 3
PROMOTER_QUOTES = 2


def destinations_active() -> QuerySet[Destination]:
    return Destination.objects.filter(active=True)


def deliveries_recent(*, limit: int = 50) -> QuerySet[Delivery]:
    return Delivery.objects.select_related("destination", "response")[:limit]


def response_link(response: Response) -> str:
    """The back office's follow-up page of this answer, as an absolute URL."""
    path = reverse(
        "followups:response",
        kwargs={"org_slug": current_organization().slug, "response_id": response.pk},
    )
    return settings.SITE_URL + path


def local_now(*, time_zone: str, now: datetime) -> datetime:
    return now.astimezone(ZoneInfo(time_zone))


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def digest_is_due(*, destination: Destination, local: datetime) -> bool:
    """Due from its hour until the end of its day, once per local ISO week.

    Counting the rest of the day tolerates a missed beat tick without sending
    a digest days late to a destination created mid-week.
    """
    return (
        destination.active
        and destination.digest_enabled
        and local.weekday() == destination.digest_weekday
        and local.hour >= destination.digest_hour
        and destination.last_digest_week != iso_week(local.date())
    )


def digest_filters(*, destination: Destination, today: date) -> Filters:
    """The 7 whole local days before `today`, as the back office would filter them."""
    params = QueryDict(mutable=True)
    params["range"] = "custom"
    params["from"] = (today - timedelta(days=DIGEST_DAYS)).isoformat()
    params["to"] = (today - timedelta(days=1)).isoformat()
    if destination.survey_id is not None:
        params["survey"] = str(destination.survey_id)
    return parse_filters(params, tz=current_organization().time_zone, today=today)


def _quotes(filters: Filters, *, low: int, high: int, limit: int) -> list[messages.Quote]:
    rows = (
        filters.apply(Response.objects.filter(score__gte=low, score__lte=high))
        .exclude(comment="")
        .order_by("-created_at", "-id")[:limit]
    )
    return [messages.Quote(score=r.score, comment=r.comment, link=response_link(r)) for r in rows]


def _period(filters: Filters) -> str:
    first = formats.date_format(filters.local_start, "j M")
    last = formats.date_format(filters.local_last, "j M Y")
    return f"{first} \N{EN DASH} {last}"


def digest_for(*, destination: Destination, today: date) -> messages.Digest:
    filters = digest_filters(destination=destination, today=today)
    current = metrics.summary(filters=filters)
    change = metrics.change(filters=filters, current=current)
    split = _("%(p).0f %% promoters · %(n).0f %% passives · %(d).0f %% detractors") % {
        "p": current.promoter_percent,
        "n": current.passive_percent,
        "d": current.detractor_percent,
    }
    organization = current_organization()
    overview = reverse("dashboards:overview", kwargs={"org_slug": organization.slug})
    return messages.Digest(
        organization=organization.name,
        period=_period(filters),
        nps=current.nps,
        change=change.phrase,
        responses=current.total,
        split=split,
        detractor_comments=_quotes(filters, low=0, high=6, limit=DETRACTOR_QUOTES),
        promoter_comments=_quotes(filters, low=9, high=10, limit=PROMOTER_QUOTES),
        link=settings.SITE_URL + overview + filters.querystring(),
    )
