"""URLs of the service plus one endpoint that breaks its own schema, to show the
contract run catches such a thing (tests/test_api_contract.py)."""

from django.urls import path
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from nps_site.urls import urlpatterns as service_urlpatterns
from tenants.api import OrganizationSerializer


class BrokenView(APIView):
    @extend_schema(
        summary="Promises an organization, answers something else",
        responses=OrganizationSerializer,
        examples=[OpenApiExample("Promised", value={"id": 1, "name": "Example Inc"})],
    )
    def get(self, request: Request) -> Response:
        return Response({"id": "not a number"})


urlpatterns = [path("api/v1/broken", BrokenView.as_view()), *service_urlpatterns]
