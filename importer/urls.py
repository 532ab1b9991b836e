from django.urls import path

from . import views

app_name = "importer"

# Mounted under /o/<org_slug>/: the back office.
urlpatterns = [
    path("surveys/<int:survey_id>/import/", views.import_page, name="import"),
    path("surveys/<int:survey_id>/import/<int:import_id>/", views.import_job, name="job"),
]
