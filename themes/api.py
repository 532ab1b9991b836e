"""`GET /api/v1/themes`: what comments talk about, as the Themes page shows it.

The query string is the back office's period and survey (read by the same
code as `/api/v1/metrics`); the themes are the same cached computation, with
the admins' renames and merges applied. The first request of a period starts
the computation and answers `status: computing` with no themes: ask again.
"""

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dashboards.api import FILTER_PARAMETERS, PeriodSerializer, period, read_filters
from dashboards.filters import Filters
from tenants.api_docs import error_responses
from tenants.context import current_organization

from . import selectors, services
from .selectors import Scope, ThemeView

# The metrics' filters that narrow answers, not the period or the survey.
NOT_FOR_THEMES = ("channel", "category", "score", "language", "trait", "q")


class ThemeSerializer(serializers.Serializer[Any]):
    key = serializers.CharField(help_text="Stable stem key, e.g. `facil utilis`.")
    label = serializers.CharField(  # type: ignore[assignment]
        help_text="As people write it, or as an admin renamed it."
    )
    computed_label = serializers.CharField()
    count = serializers.IntegerField(help_text="Comments in the theme.")
    share = serializers.FloatField(help_text="count / comment_count, 0 to 1.")
    detractors = serializers.IntegerField()
    passives = serializers.IntegerField()
    promoters = serializers.IntegerField()
    detractor_rate = serializers.FloatField(help_text="Share of detractors' comments in it.")
    promoter_rate = serializers.FloatField(help_text="Share of promoters' comments in it.")
    lift = serializers.FloatField(
        allow_null=True,
        help_text="detractor_rate / promoter_rate: 4 means detractors mention it four times "
        "as often; null when no promoter does.",
    )
    nps = serializers.FloatField(allow_null=True, help_text="NPS of the theme's answers.")
    related = serializers.ListField(child=serializers.CharField())
    merged_keys = serializers.ListField(
        child=serializers.CharField(), help_text="Keys of the computed themes shown as this one."
    )
    responses_url = serializers.URLField(help_text="The back office's responses of the theme.")


class ThemesSerializer(serializers.Serializer[Any]):
    period = PeriodSerializer()
    survey = serializers.IntegerField(allow_null=True)
    status = serializers.ChoiceField(
        choices=["computing", "updating", "ready"],
        help_text="computing: no result yet, ask again; updating: the last result, a new one "
        "is being computed; ready: up to date, or refreshed within minutes.",
    )
    computed_at = serializers.DateTimeField(allow_null=True)
    comment_count = serializers.IntegerField()
    detractor_comments = serializers.IntegerField()
    passive_comments = serializers.IntegerField()
    promoter_comments = serializers.IntegerField()
    unthemed_count = serializers.IntegerField()
    themes = ThemeSerializer(many=True)


EXAMPLE = {
    "period": {"range": "30", "from": "2026-03-01", "to": "2026-03-30", "time_zone": "UTC"},
    "survey": None,
    "status": "ready",
    "computed_at": "2026-03-30T09:00:00Z",
    "comment_count": 400,
    "detractor_comments": 120,
    "passive_comments": 100,
    "promoter_comments": 180,
    "unthemed_count": 60,
    "themes": [
        {
            "key": "support",
            "label": "support",
            "computed_label": "support",
            "count": 70,
            "share": 0.175,
            "detractors": 48,
            "passives": 10,
            "promoters": 12,
            "detractor_rate": 0.4,
            "promoter_rate": 0.0667,
            "lift": 6.0,
            "nps": -51.4,
            "related": ["ticket", "answer"],
            "merged_keys": ["support"],
            "responses_url": "https://nps.example.com/o/acme/responses/?range=30&theme=support",
        }
    ],
}


class ThemesView(APIView):
    @extend_schema(
        summary="Themes in comments",
        description="Comments of the period (and survey) grouped into themes by their key "
        "phrases, in English, French and German: each theme's count, its split by "
        "category, and how much more often detractors mention it than promoters (`lift`). "
        "Computed in the background and cached per survey and period: the first request "
        "answers `status: computing` and no themes; ask again a few seconds later. "
        "Only `range`, `from`, `to` and `survey` apply.",
        parameters=[p for p in FILTER_PARAMETERS if p.name not in NOT_FOR_THEMES],
        responses={200: ThemesSerializer, **error_responses(401, 429, 422)},
        examples=[OpenApiExample("Last 30 days", value=EXAMPLE, response_only=True)],
    )
    def get(self, request: Request) -> Response:
        filters = read_filters(request)
        given = [name for name in NOT_FOR_THEMES if name in request.query_params]
        if given:
            message = "Themes are computed per survey and period; this filter does not apply."
            raise exceptions.ValidationError({name: [message] for name in given})
        snapshot = services.snapshot_for(scope=Scope.of(filters))
        services.themes_refresh(snapshot=snapshot)
        board = selectors.themes_of(snapshot=snapshot) if snapshot.has_result else None
        status = "computing" if board is None else "updating" if snapshot.computing else "ready"
        themes = [_theme(request, filters, theme) for theme in board.themes] if board else []
        body = {
            "period": period(filters),
            "survey": filters.survey.pk if filters.survey else None,
            "status": status,
            "computed_at": snapshot.computed_at,
            "comment_count": snapshot.comment_count,
            "detractor_comments": snapshot.detractor_comments,
            "passive_comments": snapshot.passive_comments,
            "promoter_comments": snapshot.promoter_comments,
            "unthemed_count": snapshot.unthemed,
            "themes": themes,
        }
        return Response(ThemesSerializer(body).data)


def _theme(request: Request, filters: Filters, theme: ThemeView) -> dict[str, Any]:
    page = reverse("followups:responses", kwargs={"org_slug": current_organization().slug})
    path = page + filters.querystring(theme=theme.key)
    return {
        "key": theme.key,
        "label": theme.label,
        "computed_label": theme.computed_label,
        "count": theme.count,
        "share": theme.share,
        "detractors": theme.detractors,
        "passives": theme.passives,
        "promoters": theme.promoters,
        "detractor_rate": theme.detractor_rate,
        "promoter_rate": theme.promoter_rate,
        "lift": theme.lift,
        "nps": theme.nps,
        "related": theme.related,
        "merged_keys": theme.keys,
        "responses_url": request.build_absolute_uri(path),
    }
