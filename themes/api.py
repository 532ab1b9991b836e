"""`/api/v1/themes`: what comments talk about, as the Themes page shows it.

The query string is the back office's period and survey (read by the same
code as `/api/v1/metrics`); the themes are the same cached computation, with
the admins' renames and merges applied. The first request of a period starts
the computation and answers `status: computing` with no themes: ask again.

`POST /api/v1/themes/<key>/rename`, `merge`, `unmerge` and `tag` are the
Themes page's admin forms: the same services, on a theme of the computed
themes the query string's period and survey name (404 otherwise).
"""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dashboards.api import FILTER_PARAMETERS, PeriodSerializer, period, read_filters
from dashboards.filters import Filters
from responses.api import StrictSerializer
from tenants.api_docs import error_responses
from tenants.context import current_organization

from . import selectors, services
from .models import ThemeSnapshot
from .selectors import Scope, ThemeBoard, ThemeView

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


EXAMPLE_THEME: dict[str, Any] = {
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
    "themes": [EXAMPLE_THEME],
}


SCOPE_PARAMETERS = [p for p in FILTER_PARAMETERS if p.name not in NOT_FOR_THEMES]


def _scope_filters(request: Request) -> Filters:
    """The period and survey of the query string; the other filters refused (422)."""
    filters = read_filters(request)
    given = [name for name in NOT_FOR_THEMES if name in request.query_params]
    if given:
        message = "Themes are computed per survey and period; this filter does not apply."
        raise exceptions.ValidationError({name: [message] for name in given})
    return filters


class ThemesView(APIView):
    @extend_schema(
        summary="Themes in comments",
        description="Comments of the period (and survey) grouped into themes by their key "
        "phrases, in English, French and German: each theme's count, its split by "
        "category, and how much more often detractors mention it than promoters (`lift`). "
        "Computed in the background and cached per survey and period: the first request "
        "answers `status: computing` and no themes; ask again a few seconds later. "
        "Only `range`, `from`, `to` and `survey` apply.",
        parameters=SCOPE_PARAMETERS,
        responses={200: ThemesSerializer, **error_responses(401, 429, 422)},
        examples=[OpenApiExample("Last 30 days", value=EXAMPLE, response_only=True)],
    )
    def get(self, request: Request) -> Response:
        filters = _scope_filters(request)
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


# --- Admins' changes ----------------------------------------------------------------
#
# The Themes page's forms, from code: the same services, on a theme of the
# computed themes the query string's period and survey name. Any key but a
# read-only one may (keys are made by owners and admins, the roles these forms
# are for); a read-only key gets 403 before anything is read.

THEME_KEY = OpenApiParameter(
    "theme",
    str,
    OpenApiParameter.PATH,
    description="A theme's `key` (`support`, `facil utilis`: URL-encode the space), "
    "or one of its `merged_keys`.",
)
NOT_COMPUTED = (
    "404 when the period and survey have no computed themes yet (`GET /api/v1/themes` "
    "starts the computation) or none with this key."
)


def _target(request: Request, key: str) -> tuple[Filters, ThemeSnapshot, ThemeBoard, ThemeView]:
    """As the back office's forms: the period's computed themes and the one named, or 404."""
    filters = _scope_filters(request)
    snapshot = selectors.snapshot_find(scope=Scope.of(filters))
    if snapshot is None or not snapshot.has_result:
        raise exceptions.NotFound("No themes were computed for this survey and period yet.")
    board = selectors.themes_of(snapshot=snapshot)
    theme = selectors.theme_find(board=board, key=key)
    if theme is None:
        raise exceptions.NotFound("No such theme in this survey and period.")
    return filters, snapshot, board, theme


def _shown(request: Request, filters: Filters, snapshot: ThemeSnapshot, key: str) -> Response:
    """The theme holding `key` as it reads after the change."""
    theme = selectors.theme_find(board=selectors.themes_of(snapshot=snapshot), key=key)
    if theme is None:  # every computed key is in some theme; kept for the type checker
        raise exceptions.NotFound
    return Response(ThemeSerializer(_theme(request, filters, theme)).data)


def _invalid(field: str, error: DjangoValidationError) -> exceptions.ValidationError:
    return exceptions.ValidationError({field: error.messages})


def _body(serializer_class: type[StrictSerializer], request: Request) -> dict[str, Any]:
    incoming = serializer_class(data=request.data)
    incoming.is_valid(raise_exception=True)
    return dict(incoming.validated_data)


class RenameSerializer(StrictSerializer):
    label = serializers.CharField(  # type: ignore[assignment]
        allow_blank=True,
        trim_whitespace=False,
        help_text="At most 80 characters (spaces collapsed); empty gives the computed label back.",
    )


class MergeSerializer(StrictSerializer):
    into = serializers.CharField(
        help_text="The key of another theme of the same period and survey: the two show as one."
    )


class TagSerializer(StrictSerializer):
    tag = serializers.CharField(help_text="One tag (lower-cased, at most 40 characters, no comma).")


class TaggedSerializer(serializers.Serializer[Any]):
    tagged = serializers.IntegerField(help_text="Responses that got the tag.")
    skipped = serializers.IntegerField(
        help_text="Responses left out: they already have the most tags allowed (20)."
    )


THEME_EXAMPLE = OpenApiExample("The theme", value=EXAMPLE_THEME, response_only=True)


class ThemeRename(APIView):
    @extend_schema(
        summary="Rename a theme",
        description="Names the theme for every survey and period, across recomputes, as the "
        "Themes page's Rename does; an empty `label` gives the computed one back. Answers "
        "the theme as it now reads. " + NOT_COMPUTED,
        parameters=[THEME_KEY, *SCOPE_PARAMETERS],
        request=RenameSerializer,
        responses={200: ThemeSerializer, **error_responses(401, 403, 404, 422, 429)},
        examples=[
            OpenApiExample("Rename", value={"label": "Customer support"}, request_only=True),
            THEME_EXAMPLE,
        ],
    )
    def post(self, request: Request, theme: str) -> Response:
        filters, snapshot, _board, found = _target(request, theme)
        label = _body(RenameSerializer, request)["label"]
        try:
            services.theme_rename(theme=found, label=label, user=None)
        except DjangoValidationError as error:
            raise _invalid("label", error) from error
        return _shown(request, filters, snapshot, found.key)


class ThemeMerge(APIView):
    @extend_schema(
        summary="Merge a theme into another",
        description="Shows the theme (with any it absorbed) as part of `into`, for every "
        "survey and period and after every recompute, counted without counting a comment "
        "twice, as the Themes page's Merge does. Answers the merged theme. `into` not "
        "among the period's themes, or the theme itself, answers 422. " + NOT_COMPUTED,
        parameters=[THEME_KEY, *SCOPE_PARAMETERS],
        request=MergeSerializer,
        responses={200: ThemeSerializer, **error_responses(401, 403, 404, 422, 429)},
        examples=[
            OpenApiExample("Merge", value={"into": "support"}, request_only=True),
            THEME_EXAMPLE,
        ],
    )
    def post(self, request: Request, theme: str) -> Response:
        filters, snapshot, board, found = _target(request, theme)
        key = _body(MergeSerializer, request)["into"]
        into = selectors.theme_find(board=board, key=key)
        if into is None:
            message = "No such theme in this survey and period."
            raise exceptions.ValidationError({"into": [message]})
        try:
            services.theme_merge(theme=found, into=into, user=None)
        except DjangoValidationError as error:
            raise _invalid("into", error) from error
        return _shown(request, filters, snapshot, into.key)


class ThemeUnmerge(APIView):
    @extend_schema(
        summary="Split a merged theme off",
        description="Undoes a merge, as the Themes page's split does: the theme named (one "
        "of another theme's `merged_keys`) stands on its own again. Answers it. 404 when "
        "it is not merged into another theme. " + NOT_COMPUTED,
        parameters=[THEME_KEY, *SCOPE_PARAMETERS],
        request=None,
        responses={200: ThemeSerializer, **error_responses(401, 403, 404, 422, 429)},
        examples=[THEME_EXAMPLE],
    )
    def post(self, request: Request, theme: str) -> Response:
        filters, snapshot, _board, owner = _target(request, theme)
        if theme == owner.key:
            raise exceptions.NotFound("This theme is not merged into another.")
        services.theme_unmerge(key=theme, user=None)
        return _shown(request, filters, snapshot, theme)


class ThemeTag(APIView):
    @extend_schema(
        summary="Tag a theme's responses",
        description="Adds one tag to every response of the theme (merged ones included), as "
        "the Themes page's Tag does: those that have it are left alone, those that already "
        "hold 20 tags are skipped and counted. Each response is saved as if tagged by hand, "
        "so webhooks hear of each change. " + NOT_COMPUTED,
        parameters=[THEME_KEY, *SCOPE_PARAMETERS],
        request=TagSerializer,
        responses={200: TaggedSerializer, **error_responses(401, 403, 404, 422, 429)},
        examples=[
            OpenApiExample("Tag", value={"tag": "support"}, request_only=True),
            OpenApiExample("Tagged", value={"tagged": 68, "skipped": 2}, response_only=True),
        ],
    )
    def post(self, request: Request, theme: str) -> Response:
        _filters, snapshot, _board, found = _target(request, theme)
        tag = _body(TagSerializer, request)["tag"]
        try:
            tagged, skipped = services.theme_tag(snapshot=snapshot, theme=found, tag=tag)
        except DjangoValidationError as error:
            raise _invalid("tag", error) from error
        return Response(TaggedSerializer({"tagged": tagged, "skipped": skipped}).data)
