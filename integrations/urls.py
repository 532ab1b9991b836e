from django.urls import path

from . import views

app_name = "integrations"

# Mounted under /o/<org_slug>/: the back office.
urlpatterns = [
    path("webhooks/", views.webhooks_page, name="list"),
    path("webhooks/<int:webhook_id>/", views.webhook_page, name="detail"),
    path("webhooks/<int:webhook_id>/test/", views.webhook_test, name="test"),
    path("webhooks/<int:webhook_id>/active/", views.webhook_active, name="active"),
    path("webhooks/<int:webhook_id>/delete/", views.webhook_delete, name="delete"),
    path(
        "webhooks/<int:webhook_id>/deliveries/<int:delivery_id>/retry/",
        views.delivery_retry,
        name="retry",
    ),
]
