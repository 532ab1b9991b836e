"""`/api/v1/metrics`, `/metrics/trend`, `/metrics/drivers` and `/metrics/variants`:
the back office's numbers.

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


# Segment drivers ------------------------------------------------------------------


class SegmentSerializer(NumbersSerializer):
    value = serializers.CharField(
        allow_null=True, help_text="The value; null for the answers without one, and for other."
    )
    kind = serializers.ChoiceField(
        choices=[metrics.VALUE, metrics.MISSING, metrics.OTHER],
        help_text="value; missing: answers without the trait (or language); other: the "
        f"values past the {metrics.MAX_SEGMENTS} most frequent, together.",
    )
    share = serializers.FloatField(help_text="Of the filtered answers, 0 to 1.")
    gap = serializers.FloatField(help_text="NPS points against the overall NPS.")
    impact = serializers.FloatField(help_text="share * gap: the points it adds to the overall.")
    z = serializers.FloatField(allow_null=True, help_text="Against every other answer.")
    significant = serializers.BooleanField(help_text="|z| ≥ 1.96.")
    filter = serializers.DictField(
        child=serializers.CharField(),
        allow_null=True,
        help_text="The query parameter that narrows metrics (and the back office) to this "
        'segment, e.g. {"trait": "plan:free"}; null for missing and other.',
    )


class DriverSerializer(serializers.Serializer[Any]):
    dimension = serializers.CharField(help_text="channel, language or trait:<key>.")
    segments = SegmentSerializer(many=True)


class DriversSerializer(NumbersSerializer):
    period = PeriodSerializer()
    drivers = DriverSerializer(many=True)


def _dimensions(request: Request) -> list[str] | None:
    names = [name for name in request.query_params.getlist("dimension") if name]
    bad = [
        name
        for name in names
        if name not in ("channel", "language")
        and not (name.startswith("trait:") and _trait_key_ok(name.removeprefix("trait:")))
    ]
    if bad:
        raise exceptions.ValidationError(
            {"dimension": ["Use channel, language or trait:<key> (letters, digits, _ or -)."]}
        )
    return list(dict.fromkeys(names)) or None


def _segment(driver: metrics.Driver, segment: metrics.Segment) -> dict[str, Any]:
    value = driver.filter_value(segment)
    return {
        **numbers(segment.summary),
        "value": segment.value if segment.kind == metrics.VALUE else None,
        "kind": segment.kind,
        "share": segment.share,
        "gap": segment.gap,
        "impact": segment.impact,
        "z": segment.z,
        "significant": segment.significant,
        "filter": None if value is None else {driver.param: value},
    }


DRIVER_EXAMPLE = {
    **NUMBERS_EXAMPLE,
    "period": PERIOD_EXAMPLE,
    "drivers": [
        {
            "dimension": "trait:plan",
            "segments": [
                {
                    **NUMBERS_EXAMPLE,
                    "nps": -10.0,
                    "value": "free",
                    "kind": "value",
                    "share": 0.25,
                    "gap": -40.0,
                    "impact": -10.0,
                    "z": -3.1,
                    "significant": True,
                    "filter": {"trait": "plan:free"},
                }
            ],
        }
    ],
}


class MetricsDriversView(APIView):
    @extend_schema(
        summary="Segment drivers",
        description="For each dimension (the answer's channel and language, and each "
        "respondent trait found among the period's answers), the NPS of each value with "
        "its margin of error, sorted by impact on the overall score (share * gap to the "
        "overall NPS); dimensions come strongest first. `z` compares a segment with every "
        f"other answer; |z| ≥ 1.96 is `significant`. At most {metrics.MAX_SEGMENTS} values "
        "per dimension, most answers first; the rest are summed as `other`. Dimensions "
        "already pinned by a filter are left out; `dimension` (repeatable) picks them. "
        f"Filters are those of `GET /api/v1/metrics`. {DAYS}",
        parameters=[
            *FILTER_PARAMETERS,
            OpenApiParameter(
                "dimension",
                str,
                many=True,
                description="channel, language or trait:<key>; repeatable. Default: all.",
            ),
        ],
        responses={200: DriversSerializer, **error_responses(401, 429, 422)},
        examples=[OpenApiExample("By plan", value=DRIVER_EXAMPLE, response_only=True)],
    )
    def get(self, request: Request) -> Response:
        filters = read_filters(request, own=frozenset({"dimension"}))
        dimensions = _dimensions(request)
        overall = metrics.summary(filters=filters)
        found = metrics.drivers(filters=filters, dimensions=dimensions)
        body = {
            **numbers(overall),
            "period": period(filters),
            "drivers": [
                {
                    "dimension": driver.dimension,
                    "segments": [_segment(driver, segment) for segment in driver.segments],
                }
                for driver in found
            ],
        }
        return Response(DriversSerializer(body).data)


# Survey variants ------------------------------------------------------------------


class VariantNumbersSerializer(NumbersSerializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    weight = serializers.IntegerField()
    is_active = serializers.BooleanField()
    baseline = serializers.BooleanField(help_text="The survey's first variant.")
    displays = serializers.IntegerField(help_text="Widget displays of this variant.")
    widget_answers = serializers.IntegerField(help_text="Widget answers to this variant.")
    response_rate = serializers.FloatField(
        allow_null=True, help_text="widget_answers / displays; null without displays."
    )
    response_rate_z = serializers.FloatField(
        allow_null=True, help_text="Two-proportion z against the baseline."
    )
    response_rate_significant = serializers.BooleanField()
    nps_z = serializers.FloatField(allow_null=True, help_text="NPS z against the baseline.")
    nps_significant = serializers.BooleanField()


class VariantTestSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    public_key = serializers.CharField()
    name = serializers.CharField()
    variants = VariantNumbersSerializer(many=True)


class VariantTestsSerializer(serializers.Serializer[Any]):
    period = PeriodSerializer()
    surveys = VariantTestSerializer(many=True)


def _variant(result: metrics.VariantResult) -> dict[str, Any]:
    variant = result.variant
    return {
        **numbers(result.summary),
        "id": variant.pk,
        "name": variant.name,
        "weight": variant.weight,
        "is_active": variant.is_active,
        "baseline": result.baseline is None,
        "displays": result.displays,
        "widget_answers": result.answers,
        "response_rate": result.rate,
        "response_rate_z": result.rate_z,
        "response_rate_significant": result.rate_significant,
        "nps_z": result.nps_z,
        "nps_significant": result.nps_significant,
    }


VARIANT_NUMBERS_EXAMPLE = {
    **NUMBERS_EXAMPLE,
    "id": 4,
    "name": "Short question",
    "weight": 50,
    "is_active": True,
    "baseline": False,
    "displays": 200,
    "widget_answers": 60,
    "response_rate": 0.3,
    "response_rate_z": 2.31,
    "response_rate_significant": True,
    "nps_z": 0.93,
    "nps_significant": False,
}


class MetricsVariantsView(APIView):
    @extend_schema(
        summary="Survey variants (A/B tests)",
        description="Each survey with wording variants (the one named by `survey`, or every "
        "one), its variants oldest first, each with its NPS and margin of error, its widget "
        "displays and answers and their response rate. Each variant is compared with the "
        "first, the baseline: a two-proportion z-test for the response rate, the NPS z-test "
        "for the score; |z| ≥ 1.96 is significant. Filters on the answer (category, score, "
        "language, q) narrow the NPS, not the response rate. "
        f"Filters are those of `GET /api/v1/metrics`. {DAYS}",
        parameters=FILTER_PARAMETERS,
        responses={200: VariantTestsSerializer, **error_responses(401, 429, 422)},
        examples=[
            OpenApiExample(
                "One test",
                value={
                    "period": PERIOD_EXAMPLE,
                    "surveys": [
                        {
                            "id": 12,
                            "public_key": "o5Qm3pX1VQq0Xn7rQ2aJ8w",
                            "name": "Product NPS",
                            "variants": [VARIANT_NUMBERS_EXAMPLE],
                        }
                    ],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request) -> Response:
        filters = read_filters(request)
        body = {
            "period": period(filters),
            "surveys": [
                {
                    "id": test.survey.pk,
                    "public_key": test.survey.public_key,
                    "name": test.survey.name,
                    "variants": [_variant(result) for result in test.results],
                }
                for test in metrics.variant_tests(filters=filters)
            ],
        }
        return Response(VariantTestsSerializer(body).data)
