"""Delighted's paths, each with and without `.json`."""

from django.urls import re_path

from . import api

app_name = "delighted_api"

JSON = r"(?:\.json)?$"

urlpatterns = [
    re_path(r"^people" + JSON, api.People.as_view(), name="people"),
    re_path(
        r"^people/(?P<email>[^/]+)/survey_requests/pending" + JSON,
        api.PendingSurveyRequests.as_view(),
        name="pending_survey_requests",
    ),
    re_path(r"^people/(?P<reference>[^/]+?)" + JSON, api.Person.as_view(), name="person"),
    re_path(r"^survey_responses" + JSON, api.SurveyResponses.as_view(), name="survey_responses"),
    re_path(
        r"^survey_responses/(?P<response_id>[^/]+?)" + JSON,
        api.SurveyResponse.as_view(),
        name="survey_response",
    ),
    re_path(r"^metrics" + JSON, api.Metrics.as_view(), name="metrics"),
    re_path(r"^unsubscribes" + JSON, api.Unsubscribes.as_view(), name="unsubscribes"),
    re_path(r"^bounces" + JSON, api.Bounces.as_view(), name="bounces"),
    re_path(r"", api.NotFound.as_view(), name="not_found"),
]
