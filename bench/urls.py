"""The site's URLs plus the two ceiling views, for the benchmark server only."""

from django.urls import path

from nps_site.urls import handler500
from nps_site.urls import urlpatterns as site_urlpatterns

from . import ceilings

urlpatterns = [
    path("bench/json", ceilings.constant_json, name="bench_json"),
    path("bench/insert/<str:public_key>", ceilings.orm_insert, name="bench_insert"),
    *site_urlpatterns,
]

__all__ = ["handler500", "urlpatterns"]
