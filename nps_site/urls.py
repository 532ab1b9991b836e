from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from outreach.api import SurveyRequestList
from outreach.urls import public_urlpatterns as outreach_public_urlpatterns
from tenants.api import OrganizationView
from tenants.forms import EmailAuthenticationForm
from tenants.urls import account_urlpatterns, org_urlpatterns

from .health import healthz

api_v1 = [
    path("organization", OrganizationView.as_view(), name="api_organization"),
    path("survey_requests", SurveyRequestList.as_view(), name="api_survey_requests"),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=EmailAuthenticationForm),
        name="login",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include(account_urlpatterns)),
    path("o/<slug:org_slug>/", include("dashboards.urls")),
    path("o/<slug:org_slug>/", include("followups.urls")),
    path("o/<slug:org_slug>/surveys/", include("surveys.urls")),
    path("o/<slug:org_slug>/", include(org_urlpatterns)),
    path("o/<slug:org_slug>/", include("outreach.urls")),
    path("o/<slug:org_slug>/", include("importer.urls")),
    path("", include("responses.urls")),
    path("", include(outreach_public_urlpatterns)),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api_schema"), name="api_docs"),
    path("admin/", admin.site.urls),
]
