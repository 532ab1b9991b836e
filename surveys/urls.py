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
]
