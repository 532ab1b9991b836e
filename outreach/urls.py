from django.urls import path

from . import landing, views

app_name = "outreach"

# Mounted under /o/<org_slug>/: the back office.
urlpatterns = [
    path("surveys/<int:survey_id>/requests/", views.requests_page, name="requests"),
    path("surveys/<int:survey_id>/requests/upload/", views.requests_upload, name="upload"),
    path("surveys/<int:survey_id>/requests/send/", views.request_send_one, name="send"),
    path("surveys/<int:survey_id>/requests/recur/", views.recur_set, name="recur"),
]

# Mounted at the root: what the links in survey emails open.
public_urlpatterns = [
    path("e/<str:token>", landing.landing, name="survey_email_landing"),
    path("e/<str:token>/comment", landing.landing_comment, name="survey_email_comment"),
    path("u/<str:token>", landing.unsubscribe, name="survey_unsubscribe"),
]
