from django.urls import path

from . import views

app_name = "alerts"

# Mounted under /o/<org_slug>/: the tenant middleware grants or 404s.
urlpatterns = [
    path("alerts/", views.destination_list, name="list"),
    path("alerts/<int:destination_id>/", views.destination_edit, name="edit"),
    path("alerts/<int:destination_id>/delete/", views.destination_delete, name="delete"),
    path("alerts/<int:destination_id>/test/", views.destination_test, name="test"),
]
