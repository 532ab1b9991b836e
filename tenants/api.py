from typing import Any, ClassVar

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import services
from .context import current_organization


class TenantViewSetMixin:
    """Base for API viewsets over tenant-owned rows.

    Subclasses write `safely_get_queryset`; it runs with the key's organization
    in context, so the tenant manager scopes it. Overriding `get_queryset`
    would bypass that contract and is refused at class creation.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__:
            raise TypeError(f"{cls.__name__}: implement safely_get_queryset, not get_queryset.")

    def get_queryset(self) -> QuerySet[Any]:
        current_organization()  # fail closed even if a subclass uses unscoped()
        return self.safely_get_queryset()

    def safely_get_queryset(self) -> QuerySet[Any]:
        raise NotImplementedError


class TenantModelViewSet(TenantViewSetMixin, viewsets.ModelViewSet):
    pass


class OrganizationSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=120)
    slug = serializers.SlugField(read_only=True)
    time_zone = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


ORGANIZATION_EXAMPLE = OpenApiExample(
    "Example Inc",
    value={
        "id": 7,
        "name": "Example Inc",
        "slug": "example",
        "time_zone": "Europe/Paris",
        "created_at": "2025-01-31T09:00:00Z",
    },
    response_only=True,
)


class OrganizationView(APIView):
    """The organization the API key belongs to."""

    http_method_names: ClassVar[list[str]] = ["get", "patch", "options"]  # type: ignore[misc]

    @extend_schema(
        summary="Your organization",
        description="The organization the API key belongs to: every other endpoint "
        "works inside it.",
        responses=OrganizationSerializer,
        examples=[ORGANIZATION_EXAMPLE],
    )
    def get(self, request: Request) -> Response:
        return Response(OrganizationSerializer(current_organization()).data)

    @extend_schema(
        summary="Rename your organization",
        description="Changes the organization's display name; the slug stays. "
        "Fields left out are left as they are.",
        request=OrganizationSerializer,
        responses=OrganizationSerializer,
        examples=[
            OpenApiExample("Rename", value={"name": "Example Group"}, request_only=True),
            ORGANIZATION_EXAMPLE,
        ],
    )
    def patch(self, request: Request) -> Response:
        serializer = OrganizationSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        organization = current_organization()
        if "name" in serializer.validated_data:
            organization = services.organization_update(
                organization=organization, name=serializer.validated_data["name"]
            )
        return Response(OrganizationSerializer(organization).data)
