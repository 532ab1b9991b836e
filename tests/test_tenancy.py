import pytest
from django.test import Client

from responses.models import Response
from surveys.models import Survey
from tenants.context import NoTenantContext, current_organization_or_none, tenant_context
from tenants.models import ApiKey, Organization


def make_survey(org: Organization, name: str = "Product NPS") -> Survey:
    with tenant_context(org):
        return Survey.objects.create(organization=org, name=name, question="Recommend us?")


def test_it_raises_when_a_tenant_model_is_queried_without_context(org: Organization) -> None:
    make_survey(org)
    with pytest.raises(NoTenantContext):
        list(Survey.objects.all())
    with pytest.raises(NoTenantContext):
        Response.objects.count()
    with pytest.raises(NoTenantContext):
        ApiKey.objects.filter(name="x").exists()


def test_it_scopes_queries_to_the_current_organization(
    org: Organization, other_org: Organization
) -> None:
    mine, theirs = make_survey(org, "Mine"), make_survey(other_org, "Theirs")
    with tenant_context(org):
        assert list(Survey.objects.all()) == [mine]
        assert not Survey.objects.filter(pk=theirs.pk).exists()
    with tenant_context(other_org):
        assert list(Survey.objects.all()) == [theirs]


def test_it_spells_cross_tenant_access_as_unscoped(
    org: Organization, other_org: Organization
) -> None:
    make_survey(org)
    make_survey(other_org)
    assert Survey.objects.unscoped().count() == 2


def test_it_refuses_to_save_a_row_of_another_org_inside_a_context(
    org: Organization, other_org: Organization
) -> None:
    with tenant_context(org), pytest.raises(ValueError, match="Refusing"):
        Survey.objects.create(organization=other_org, name="Sneaky", question="?")
    assert Survey.objects.unscoped().count() == 0


def test_it_restores_the_outer_context_when_contexts_nest(
    org: Organization, other_org: Organization
) -> None:
    with tenant_context(org):
        with tenant_context(other_org):
            assert current_organization_or_none() == other_org
        assert current_organization_or_none() == org
    assert current_organization_or_none() is None


def test_it_clears_the_context_after_each_request(owner_client: Client, org: Organization) -> None:
    assert owner_client.get(f"/o/{org.slug}/").status_code == 200
    assert current_organization_or_none() is None


def test_it_answers_404_for_an_unknown_org_slug(owner_client: Client) -> None:
    assert owner_client.get("/o/does-not-exist/").status_code == 404


def test_it_sends_anonymous_visitors_of_an_org_page_to_login(org: Organization) -> None:
    response = Client().get(f"/o/{org.slug}/members/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/o/example/members/")
