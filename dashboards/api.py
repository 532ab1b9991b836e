"""`/api/v1/metrics` and `/api/v1/metrics/trend`: the back office's numbers.

The query string is the back office's filter bar (`dashboards.filters`), read
by the same `parse_filters`, and the numbers come from the same
`dashboards.metrics` selectors, so an integrator and an admin looking at the
same filters see the same score.
"""

from typing import Any

from django.http import QueryDict
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from responses.models import Channel
from responses.scoring import NpsSummary
from surveys.models import Survey
from tenants.api_docs import error_responses
from tenants.context import current_organization

from . import metrics
from .filters import CATEGORY_SCORES, RANGE_CHOICES, FilterError, Filters, parse_filters
from .forms import GRANULARITY_CHOICES, ROLLING_CHOICES, TrendForm

FILTER_NAMES = {"range", "from", "to", "survey", "channel", "category", "score", "language"}
FILTER_NAMES |= {"trait", "q", "format"}
# Friendlier names an integrator may use; each maps to one of the back office's.
ALIASES = {"period": "range", "since": "from", "until": "to"}
GROUPS = ("survey", "channel", "trait:<key>")


def _params(query: QueryDict, own: frozenset[str]) -> QueryDict:
    """The back office's filter parameters, aliases resolved; unknown names refused,
    so a misspelt filter cannot silently widen the numbers."""
    unknown = set(query) - FILTER_NAMES - set(ALIASES) - own
    if unknown:
        raise exceptions.ValidationError({name: ["Unknown parameter."] for name in sorted(unknown)})
    params = query.copy()
    for alias, name in ALIASES.items():
        if alias not in params:
            continue
        if name in params:
            raise exceptions.ValidationError({alias: [f"Use {alias} or {name}, not both."]})
        params.setlist(name, params.pop(alias))
    if ("from" in params or "to" in params) and "range" not in params:
        params["range"] = "custom"
    survey = params.get("survey", "")
    if survey and not survey.isdecimal():
        # A public key names the survey as well as its id does.
        found = Survey.objects.filter(public_key=survey).values_list("pk", flat=True).first()
        if found is not None:
            params["survey"] = str(found)
    return params


def read_filters(request: Request, *, own: frozenset[str] = frozenset()) -> Filters:
    params = _params(request.query_params, own)
    try:
        return parse_filters(params, tz=current_organization().time_zone)
    except FilterError as error:
        raise exceptions.ValidationError(_details(error.errors)) from error


def _details(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    # Problems of the period as a whole read as DRF names them elsewhere in the API.
    return {("non_field_errors" if k == "__all__" else k): v for k, v in errors.items()}


def numbers(summary: NpsSummary) -> dict[str, Any]:
    """Unrounded, as the selectors give them: round where you display."""
    return {
        "nps": summary.nps,
        "response_count": summary.total,
        "promoter_count": summary.promoters,
        "promoter_percent": summary.promoter_percent,
        "passive_count": summary.passives,
        "passive_percent": summary.passive_percent,
        "detractor_count": summary.detractors,
        "detractor_percent": summary.detractor_percent,
        "standard_error": summary.standard_error,
        "margin_of_error": summary.margin_of_error,
        "nps_low": summary.low,
        "nps_high": summary.high,
    }


def period(filters: Filters) -> dict[str, Any]:
    return {
        "range": filters.range,
        "from": filters.local_start,
        "to": filters.local_last,
        "time_zone": str(filters.start.tzinfo),
    }


# Response shapes (for the schema and the output) -------------------------------


class NumbersSerializer(serializers.Serializer[Any]):
    nps = serializers.FloatField(
        allow_null=True, help_text="-100 to +100; null when there is no answer."
    )
    response_count = serializers.IntegerField()
    promoter_count = serializers.IntegerField()
    promoter_percent = serializers.FloatField()
    passive_count = serializers.IntegerField()
    passive_percent = serializers.FloatField()
    detractor_count = serializers.IntegerField()
    detractor_percent = serializers.FloatField()
    standard_error = serializers.FloatField(allow_null=True, help_text="In NPS points.")
    margin_of_error = serializers.FloatField(
        allow_null=True, help_text="95 %: 1.96 standard errors."
    )
    nps_low = serializers.FloatField(allow_null=True, help_text="95 % interval, within ±100.")
    nps_high = serializers.FloatField(allow_null=True)


class PeriodSerializer(serializers.Serializer[Any]):
    range = serializers.CharField()
    # "from" is a Python keyword: the field is declared below under its JSON name.
    to = serializers.DateField(help_text="Last local day included.")
    time_zone = serializers.CharField()

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        fields["from"] = serializers.DateField(help_text="First local day included.")
        return fields


class GroupSerializer(NumbersSerializer):
    value = serializers.CharField(
        allow_null=True,
        help_text="The survey's id, the channel, or the trait's value (null: without it).",
    )
    label = serializers.CharField(allow_null=True)  # type: ignore[assignment]


class MetricsSerializer(NumbersSerializer):
    period = PeriodSerializer()
    group_by = serializers.CharField(allow_null=True)
    groups = GroupSerializer(many=True, allow_null=True, help_text="Only with group_by.")


class TrendPointSerializer(NumbersSerializer):
    first = serializers.DateField()
    last = serializers.DateField()


class TrendSerializer(serializers.Serializer[Any]):
    period = PeriodSerializer()
    granularity = serializers.ChoiceField(choices=GRANULARITY_CHOICES)
    rolling = serializers.IntegerField(allow_null=True)
    points = TrendPointSerializer(many=True)


# Documentation of the filters --------------------------------------------------

FILTER_PARAMETERS = [
    OpenApiParameter(
        "range",
        str,
        enum=[value for value, _ in RANGE_CHOICES],
        description="Last 30, 90 (default) or 365 days, or custom (with from and to). "
        "Alias: period.",
    ),
    OpenApiParameter(
        "from", OpenApiTypes.DATE, description="First day of a custom period. Alias: since."
    ),
    OpenApiParameter(
        "to",
        OpenApiTypes.DATE,
        description="Last day of a custom period (at most three years). Alias: until. "
        "from/to alone imply range=custom.",
    ),
    OpenApiParameter("survey", str, description="A survey's id or public key."),
    OpenApiParameter("channel", str, enum=Channel.values),
    OpenApiParameter("category", str, enum=list(CATEGORY_SCORES)),
    OpenApiParameter("score", int, description="0 to 10."),
    OpenApiParameter("language", str, description="The answer's language, e.g. fr."),
    OpenApiParameter(
        "trait",
        str,
        many=True,
        description="key:value on the respondent's traits, e.g. plan:pro; repeatable.",
    ),
    OpenApiParameter("q", str, description="Text in the comment."),
]
DAYS = "Days are the organization's local days (its time zone)."
NUMBERS_EXAMPLE = {
    "nps": 30.0,
    "response_count": 100,
    "promoter_count": 50,
    "promoter_percent": 50.0,
    "passive_count": 30,
    "passive_percent": 30.0,
    "detractor_count": 20,
    "detractor_percent": 20.0,
    "standard_error": 7.81,
    "margin_of_error": 15.31,
    "nps_low": 14.69,
    "nps_high": 45.31,
}
PERIOD_EXAMPLE = {"range": "custom", "from": "2026-03-01", "to": "2026-03-31", "time_zone": "UTC"}


class MetricsView(APIView):
    @extend_schema(
        summary="NPS and its split",
        description="The Net Promoter Score over the filtered answers: counts and "
        "percentages of promoters (9-10), passives (7-8) and detractors (0-6), the "
        "standard error and the 95 % margin of error. Numbers are unrounded. "
        "`group_by=survey`, `channel` or `trait:<key>` adds one entry per group "
        "(every survey or channel, or every value of the trait, most answers first); "
        "the filter on the grouped dimension, if any, keeps just that group. "
        f"Filters are those of the back office's filter bar. {DAYS} "
        "Unknown parameters are refused.",
        parameters=[
            *FILTER_PARAMETERS,
            OpenApiParameter(
                "group_by", str, description="survey, channel or trait:<key> (e.g. trait:plan)."
            ),
        ],
        responses={200: MetricsSerializer, **error_responses(401, 429, 422)},
        examples=[
            OpenApiExample(
                "March, by channel",
                value={
                    **NUMBERS_EXAMPLE,
                    "period": PERIOD_EXAMPLE,
                    "group_by": "channel",
                    "groups": [
                        {**NUMBERS_EXAMPLE, "value": "widget", "label": "Widget"},
                    ],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request) -> Response:
        filters = read_filters(request, own=frozenset({"group_by"}))
        group_by = request.query_params.get("group_by", "")
        groups = _groups(filters, group_by) if group_by else None
        body = {
            **numbers(metrics.summary(filters=filters)),
            "period": period(filters),
            "group_by": group_by or None,
            "groups": groups,
        }
        return Response(MetricsSerializer(body).data)


def _groups(filters: Filters, group_by: str) -> list[dict[str, Any]]:
    if group_by == "survey":
        return [
            {**numbers(row.summary), "value": str(row.survey.pk), "label": row.survey.name}
            for row in metrics.by_survey(filters=filters)
            if filters.survey is None or row.survey == filters.survey
        ]
    if group_by == "channel":
        return [
            {**numbers(row.summary), "value": row.channel, "label": row.label}
            for row in metrics.by_channel(filters=filters)
            if not filters.channel or row.channel == filters.channel
        ]
    kind, _, key = group_by.partition(":")
    if kind == "trait" and _trait_key_ok(key):
        return [
            {**numbers(row.summary), "value": row.value, "label": row.value}
            for row in metrics.by_trait(filters=filters, key=key)
        ]
    raise exceptions.ValidationError(
        {"group_by": [f"Use one of {', '.join(GROUPS)}; a trait key is letters, digits, _ or -."]}
    )


def _trait_key_ok(key: str) -> bool:
    # The trait filter's rule for keys, so a key that filters also groups.
    return 0 < len(key) <= 64 and key.replace("_", "").replace("-", "").isalnum()


class MetricsTrendView(APIView):
    @extend_schema(
        summary="NPS over time",
        description="One point per day, week or month of the period (weeks start on "
        "Monday; the first and last buckets may be partial), each with the NPS, counts, "
        "percentages and margin of error of its answers; an empty bucket has `nps` null. "
        "Without `granularity`, about 10 to 60 points are chosen from the period's length. "
        "`rolling=7|30|90` makes each point cover that many days ending on its last day. "
        f"Filters are those of `GET /api/v1/metrics`. {DAYS}",
        parameters=[
            *FILTER_PARAMETERS,
            OpenApiParameter("granularity", str, enum=[value for value, _ in GRANULARITY_CHOICES]),
            OpenApiParameter("rolling", str, enum=[value for value, _ in ROLLING_CHOICES if value]),
        ],
        responses={200: TrendSerializer, **error_responses(401, 429, 422)},
        examples=[
            OpenApiExample(
                "March by week",
                value={
                    "period": PERIOD_EXAMPLE,
                    "granularity": "week",
                    "rolling": None,
                    "points": [{**NUMBERS_EXAMPLE, "first": "2026-03-01", "last": "2026-03-01"}],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request) -> Response:
        filters = read_filters(request, own=frozenset({"granularity", "rolling"}))
        form = TrendForm(request.query_params)
        if not form.is_valid():
            raise exceptions.ValidationError(
                _details({name: [str(m) for m in msgs] for name, msgs in form.errors.items()})
            )
        granularity = form.cleaned_data["granularity"] or metrics.default_granularity(
            filters=filters
        )
        rolling = form.rolling_days()
        points = metrics.trend(filters=filters, granularity=granularity, rolling_days=rolling)
        body = {
            "period": period(filters),
            "granularity": granularity,
            "rolling": rolling,
            "points": [
                {**numbers(point.summary), "first": point.first, "last": point.last}
                for point in points
            ],
        }
        return Response(TrendSerializer(body).data)
