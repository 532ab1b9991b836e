from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from dashboards.api import MetricsDriversView, MetricsTrendView, MetricsVariantsView, MetricsView
from integrations.api import DeliveryList, DeliveryRetry, WebhookDetail, WebhookList, WebhookTest
from outreach.api import (
    BounceList,
    SurveyRequestCancel,
    SurveyRequestDetail,
    SurveyRequestList,
    UnsubscribeDetail,
    UnsubscribeList,
)
from outreach.urls import public_urlpatterns as outreach_public_urlpatterns
from responses import api as responses_api
from surveys.api import (
    SurveyDetail,
    SurveyList,
    SurveyPause,
    SurveyResume,
    VariantDetail,
    VariantList,
)
from tenants.api import OrganizationView
from tenants.api_errors import api_not_found
from tenants.urls import account_urlpatterns, org_urlpatterns
from tenants.views import ThrottledLoginView
from testimonials import api as testimonials_api
from testimonials.urls import public_urlpatterns as testimonials_public_urlpatterns
from themes.api import ThemeMerge, ThemeRename, ThemesView, ThemeTag, ThemeUnmerge

from .health import healthz
from .security import csp

# Swagger UI and Redoc write their styles into the page as they run: these two
# pages alone allow inline styles. Their scripts still come from this site only
# (the split Swagger view serves its start-up script as a file, not inline).
docs_policy = csp(
    style_src=["'self'", "'unsafe-inline'"],
    worker_src=["'self'", "blob:"],
    font_src=["'self'", "data:"],
)

api_v1 = [
    path("organization", OrganizationView.as_view(), name="api_organization"),
    path("survey_requests", SurveyRequestList.as_view(), name="api_survey_requests"),
    path("surveys", SurveyList.as_view(), name="api_surveys"),
    path("surveys/<str:survey>", SurveyDetail.as_view(), name="api_survey"),
    path("surveys/<str:survey>/pause", SurveyPause.as_view(), name="api_survey_pause"),
    path("surveys/<str:survey>/resume", SurveyResume.as_view(), name="api_survey_resume"),
    path("surveys/<str:survey>/variants", VariantList.as_view(), name="api_survey_variants"),
    path(
        "surveys/<str:survey>/variants/<int:variant_id>",
        VariantDetail.as_view(),
        name="api_survey_variant",
    ),
    path("metrics", MetricsView.as_view(), name="api_metrics"),
    path("metrics/trend", MetricsTrendView.as_view(), name="api_metrics_trend"),
    path("metrics/drivers", MetricsDriversView.as_view(), name="api_metrics_drivers"),
    path("metrics/variants", MetricsVariantsView.as_view(), name="api_metrics_variants"),
    path("themes", ThemesView.as_view(), name="api_themes"),
    # A theme's key is its phrase's stems, spaces included ("facil utilis").
    path("themes/<str:theme>/rename", ThemeRename.as_view(), name="api_theme_rename"),
    path("themes/<str:theme>/merge", ThemeMerge.as_view(), name="api_theme_merge"),
    path("themes/<str:theme>/unmerge", ThemeUnmerge.as_view(), name="api_theme_unmerge"),
    path("themes/<str:theme>/tag", ThemeTag.as_view(), name="api_theme_tag"),
    path("unsubscribes", UnsubscribeList.as_view(), name="api_unsubscribes"),
    # `path`: an address may have a slash before its @.
    path("unsubscribes/<path:email>", UnsubscribeDetail.as_view(), name="api_unsubscribe"),
    path("bounces", BounceList.as_view(), name="api_bounces"),
    path("survey_requests/<int:pk>", SurveyRequestDetail.as_view(), name="api_survey_request"),
    path(
        "survey_requests/<int:pk>/cancel",
        SurveyRequestCancel.as_view(),
        name="api_survey_request_cancel",
    ),
    path("respondents", responses_api.RespondentList.as_view(), name="api_respondents"),
    path("respondents/<int:pk>", responses_api.RespondentDetail.as_view(), name="api_respondent"),
    path(
        "respondents/<int:pk>/responses",
        responses_api.RespondentResponses.as_view(),
        name="api_respondent_responses",
    ),
    path("responses", responses_api.ResponseList.as_view(), name="api_responses"),
    path("responses/<int:pk>", responses_api.ResponseDetail.as_view(), name="api_response"),
    path("responses/<int:pk>/notes", responses_api.NoteList.as_view(), name="api_notes"),
    path(
        "responses/<int:pk>/notes/<int:note_id>",
        responses_api.NoteDetail.as_view(),
        name="api_note",
    ),
    path("testimonials", testimonials_api.TestimonialList.as_view(), name="api_testimonials"),
    path(
        "testimonials/<int:pk>",
        testimonials_api.TestimonialDetail.as_view(),
        name="api_testimonial",
    ),
    path(
        "testimonials/<int:pk>/approve",
        testimonials_api.TestimonialApprove.as_view(),
        name="api_testimonial_approve",
    ),
    path(
        "testimonials/<int:pk>/reject",
        testimonials_api.TestimonialReject.as_view(),
        name="api_testimonial_reject",
    ),
    path("webhooks", WebhookList.as_view(), name="api_webhooks"),
    path("webhooks/<int:pk>", WebhookDetail.as_view(), name="api_webhook"),
    path("webhooks/<int:pk>/deliveries", DeliveryList.as_view(), name="api_webhook_deliveries"),
    path("webhooks/<int:pk>/test", WebhookTest.as_view(), name="api_webhook_test"),
    path(
        "webhooks/<int:pk>/deliveries/<int:delivery_id>/retry",
        DeliveryRetry.as_view(),
        name="api_webhook_delivery_retry",
    ),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # First: the widget's requests are most of the traffic, and each pattern
    # tried before the match costs every one of them.
    path("", include("responses.urls")),
    path(
        "accounts/login/",
        ThrottledLoginView.as_view(),
        name="login",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include(account_urlpatterns)),
    path("o/<slug:org_slug>/", include("dashboards.urls")),
    path("o/<slug:org_slug>/", include("followups.urls")),
    path("o/<slug:org_slug>/surveys/", include("surveys.urls")),
    path("o/<slug:org_slug>/", include(org_urlpatterns)),
    path("o/<slug:org_slug>/", include("outreach.urls")),
    path("o/<slug:org_slug>/", include("integrations.urls")),
    path("o/<slug:org_slug>/", include("alerts.urls")),
    path("o/<slug:org_slug>/", include("importer.urls")),
    path("o/<slug:org_slug>/", include("themes.urls")),
    path("o/<slug:org_slug>/", include("testimonials.urls")),
    path("", include(outreach_public_urlpatterns)),
    path("", include(testimonials_public_urlpatterns)),
    path("api/v1/", include(api_v1)),
    re_path(r"^api/v1/", api_not_found),  # after every endpoint: a JSON 404
    path("delighted/v1/", include("delighted_api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path(
        "api/docs/",
        docs_policy(SpectacularSwaggerSplitView.as_view(url_name="api_schema")),
        name="api_docs",
    ),
    path(
        "api/redoc/",
        docs_policy(
            SpectacularRedocView.as_view(url_name="api_schema", template_name="api/redoc.html")
        ),
        name="api_redoc",
    ),
    path("admin/", admin.site.urls),
]

handler500 = "nps_site.outage.server_error_or_unavailable"
