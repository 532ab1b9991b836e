"""The back office's analytics pages: the overview, the trend, the segment
drivers and the survey variants (A/B tests).

Both read the shared filters from the URL; invalid filters answer 400 with the
filter bar and its messages, and no numbers.
"""

from typing import Any, cast

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import SimpleLazyObject
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from responses.models import Channel
from surveys.models import Survey
from tenants.decorators import require_role
from tenants.models import Role

from . import charts, metrics
from .filters import DEFAULT_RANGE, FilterError, FilterForm, Filters, parse_filters
from .forms import TrendForm

FIELD_LABELS = {
    "range": _("Period"),
    "from": _("From"),
    "to": _("To"),
    "survey": _("Survey"),
    "channel": _("Channel"),
    "category": _("Category"),
    "score": _("Score"),
    "language": _("Language"),
    "trait": _("Trait"),
    "q": _("Search comments"),
}


def _messages(errors: dict[str, list[str]]) -> list[str]:
    return [
        message if name == "__all__" else f"{FIELD_LABELS.get(name, name)}: {message}"
        for name, messages in errors.items()
        for message in messages
    ]


def read_filters(
    request: HttpRequest, *, surveys: list[Survey] | None = None
) -> tuple[Filters | None, dict[str, Any]]:
    """The filters of the URL, and the context `dashboards/_filters.html` needs.

    The filters are None when the URL holds an invalid one; the context then
    carries the messages to show (answer 400, and show no numbers). The
    organization's surveys are read once for both (or given as `surveys`).
    """
    organization = request.organization  # type: ignore[attr-defined]
    if surveys is None:
        # Read when a form first needs them (a survey in the URL, the bar drawn), once for both.
        surveys = cast(list[Survey], SimpleLazyObject(lambda: list(Survey.objects.all())))
    traits = [trait for trait in request.GET.getlist("trait") if trait.strip()]
    try:
        filters = parse_filters(request.GET, tz=organization.time_zone, surveys=surveys)
    except FilterError as error:
        form, messages = FilterForm(request.GET, surveys=surveys), _messages(error.errors)
        return None, {
            "filters": None,
            "filter_form": form,
            "filter_errors": messages,
            "filter_traits": traits,
        }
    shown = _shown(request, filters, surveys)
    return filters, {
        "filters": filters,
        "filter_form": shown,
        "filter_errors": [],
        "filter_traits": traits,
    }


def _shown(request: HttpRequest, filters: Filters, surveys: list[Survey]) -> FilterForm:
    """The form as the bar shows it: the default period selected, and its dates
    filled in so that switching to a custom period starts from them."""
    data = request.GET.copy()
    data.setdefault("range", DEFAULT_RANGE)
    if filters.range != "custom":
        data["from"], data["to"] = filters.local_start.isoformat(), filters.local_last.isoformat()
    return FilterForm(data, surveys=surveys)


@require_role(Role.VIEWER)
def overview(request: HttpRequest, org_slug: str) -> HttpResponse:
    surveys = list(Survey.objects.all())
    filters, context = read_filters(request, surveys=surveys)
    if filters is None:
        return render(request, "dashboards/overview.html", context, status=400)
    numbers = metrics.overview(filters=filters, surveys=surveys)
    summary = numbers.summary
    context.update(
        summary=summary,
        band=charts.band_for(summary.nps),
        gauge=charts.gauge(nps=summary.nps),
        split=charts.split(summary=summary),
        histogram=charts.histogram(buckets=numbers.buckets),
        rates=numbers.rates,
        change=numbers.change,
        previous=filters.previous(),
        surveys=[(row, filters.querystring(survey=row.survey.pk)) for row in numbers.surveys],
        all_surveys_query=filters.querystring(survey=None),
    )
    return render(request, "dashboards/overview.html", context)


@require_role(Role.VIEWER)
def trend(request: HttpRequest, org_slug: str) -> HttpResponse:
    filters, context = read_filters(request)
    form = TrendForm(request.GET)
    context.update(trend_form=form, filter_extra="dashboards/_trend_controls.html")
    if not form.is_valid():
        context["filter_errors"] = context["filter_errors"] + form.messages()
    if filters is None or not form.is_valid():
        return render(request, "dashboards/trend.html", context, status=400)
    granularity = form.cleaned_data["granularity"] or metrics.default_granularity(filters=filters)
    rolling_days = form.rolling_days()
    # Show the granularity in use, even when the URL left it to the default.
    context["trend_form"] = TrendForm({**form.cleaned_data, "granularity": granularity})
    points = metrics.trend(filters=filters, granularity=granularity, rolling_days=rolling_days)
    context.update(
        granularity=granularity,
        rolling_days=rolling_days,
        points=points,
        has_data=any(point.n for point in points),
        chart=charts.line_chart(points=points, granularity=granularity),
    )
    return render(request, "dashboards/trend.html", context)


@require_role(Role.VIEWER)
def drivers(request: HttpRequest, org_slug: str) -> HttpResponse:
    """Which segments pull the score up or down, each a link to the overview narrowed to it."""
    filters, context = read_filters(request)
    if filters is None:
        return render(request, "dashboards/drivers.html", context, status=400)
    found = metrics.drivers(filters=filters)
    context.update(
        summary=found[0].segments[0].overall if found else metrics.EMPTY,
        drivers=[
            {"driver": driver, "label": dimension_label(driver), "rows": _rows(filters, driver)}
            for driver in found
        ],
    )
    return render(request, "dashboards/drivers.html", context)


def dimension_label(driver: metrics.Driver) -> str:
    if driver.trait:
        return driver.trait  # the integrator's own name for it
    return str(_("Channel") if driver.dimension == "channel" else _("Language of the answer"))


def segment_label(driver: metrics.Driver, segment: metrics.Segment) -> str:
    if segment.kind == metrics.OTHER:
        return str(_("Other values"))
    if segment.kind == metrics.MISSING or segment.value is None:
        return str(_("Not set"))
    if driver.dimension == "channel":
        return str(dict(Channel.choices).get(segment.value, segment.value))
    return segment.value


def _rows(filters: Filters, driver: metrics.Driver) -> list[dict[str, Any]]:
    """Each segment with the overview's query string for it ("" when no filter says it)."""
    rows = []
    for segment in driver.segments:
        value = driver.filter_value(segment)
        query = ""
        if value is not None:
            # Other trait filters stay: the segment is narrowed within them.
            kept = [(k, v) for k, v in filters.query_items() if k != driver.param or k == "trait"]
            query = "?" + urlencode([*kept, (driver.param, value)])
        rows.append({"segment": segment, "label": segment_label(driver, segment), "query": query})
    return rows


@require_role(Role.VIEWER)
def variants(request: HttpRequest, org_slug: str) -> HttpResponse:
    """The A/B tests of the surveys: response rate and NPS per variant, against the baseline."""
    filters, context = read_filters(request)
    if filters is None:
        return render(request, "dashboards/variants.html", context, status=400)
    context["tests"] = metrics.variant_tests(filters=filters)
    return render(request, "dashboards/variants.html", context)
