"""Statements planned once per connection (tenants.prepared), still held to
row-level security by the tenant of each run."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from responses.models import Respondent
from tenants.context import no_tenant, tenant_context
from tenants.models import Organization
from tenants.prepared import execute_prepared

from .test_row_security import bound_by_policies

__all__ = ["bound_by_policies"]  # a fixture, used by name


pytestmark = pytest.mark.django_db

SQL = "SELECT external_id FROM responses_respondent WHERE external_id = %(who)s ORDER BY id"


def _names(org: Organization, who: str) -> list[str]:
    # Strict, as a request is: the test's own setup sees every organization.
    with no_tenant(), tenant_context(org), connection.cursor() as cursor:
        execute_prepared(cursor, name="nps_test_people", sql=SQL, params={"who": who})
        return [row[0] for row in cursor.fetchall()]


@pytest.fixture
def people(org: Organization, other_org: Organization) -> None:
    for organization in (org, other_org):
        with tenant_context(organization):
            Respondent.objects.create(organization=organization, external_id="u-1")


def _statements(org: Organization) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert _names(org, "u-1") == ["u-1"]
    return [query["sql"].split(" ")[0] for query in queries.captured_queries]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # it reconnects
def test_it_prepares_a_statement_once_per_connection(people: None, org: Organization) -> None:
    connection.close()
    assert "PREPARE" in _statements(org)
    assert "PREPARE" not in _statements(org)
    # A new connection knows nothing of the old one's statements.
    connection.close()
    assert "PREPARE" in _statements(org)


@pytest.mark.postgres
@pytest.mark.usefixtures("bound_by_policies")
def test_a_prepared_statement_sees_only_the_current_organization(
    people: None, org: Organization, other_org: Organization
) -> None:
    assert _names(org, "u-1") == ["u-1"]
    assert _names(other_org, "u-1") == ["u-1"]
    with no_tenant(), tenant_context(org), connection.cursor() as cursor:
        execute_prepared(
            cursor,
            name="nps_test_count",
            sql="SELECT count(*) FROM responses_respondent WHERE external_id = %(who)s",
            params={"who": "u-1"},
        )
        assert cursor.fetchone() == (1,)


def test_it_runs_the_statement_as_it_is_elsewhere(people: None, org: Organization) -> None:
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL prepares it: see above")
    with CaptureQueriesContext(connection) as queries:
        # No row-level security here: the ORM's scoping is what keeps tenants apart.
        assert set(_names(org, "u-1")) == {"u-1"}
    assert len(queries.captured_queries) == 1
