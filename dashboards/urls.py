from django.urls import path

from . import views

app_name = "dashboards"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("trend/", views.trend, name="trend"),
    path("drivers/", views.drivers, name="drivers"),
    path("variants/", views.variants, name="variants"),
]
