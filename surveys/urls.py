from django.urls import path

from . import views

app_name = "surveys"

urlpatterns = [
    path("", views.survey_list, name="list"),
    path("new/", views.survey_create, name="create"),
    path("<int:survey_id>/", views.survey_edit, name="edit"),
    path("<int:survey_id>/pause/", views.survey_pause, name="pause"),
    path("<int:survey_id>/resume/", views.survey_resume, name="resume"),
    path("<int:survey_id>/install/", views.survey_install, name="install"),
    path("<int:survey_id>/variants/new/", views.variant_create, name="variant_create"),
    path("<int:survey_id>/variants/<int:variant_id>/", views.variant_edit, name="variant_edit"),
    path(
        "<int:survey_id>/variants/<int:variant_id>/stop/", views.variant_stop, name="variant_stop"
    ),
    path(
        "<int:survey_id>/variants/<int:variant_id>/start/",
        views.variant_start,
        name="variant_start",
    ),
]
