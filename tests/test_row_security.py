"""Postgres row-level security, the second wall: even raw SQL sees only the
organization in context, and nothing at all without one."""

import os
from collections.abc import Iterator
from typing import Any

import psycopg2
import pytest
from django.conf import settings
from django.db import connection, transaction
from django.db.utils import ProgrammingError
from django.test import override_settings

from surveys.models import Survey
from surveys.selectors import survey_by_public_key
from tenants.context import all_tenants, no_tenant, tenant_context
from tenants.models import Organization
from tenants.row_security import POLICY, protect, tenant_models
from tenants.selectors import api_key_authenticate
from tenants.services import api_key_create

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("bound_by_policies")]
APP_ROLE = "nps_app_test"


@pytest.fixture
def bound_by_policies(django_db_blocker: Any) -> None:
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
        (above,) = cursor.fetchone()
    if not above:
        return
    reason = (
        "connected as a superuser or BYPASSRLS role, which row-level security never "
        "binds: point DATABASE_URL at a plain role, as .ci/run does"
    )
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


class Boom(Exception):
    pass


def make_survey(org: Organization, name: str) -> Survey:
    with tenant_context(org):
        return Survey.objects.create(organization=org, name=name, question="Recommend us?")


def raw_survey_orgs() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT organization_id FROM surveys_survey ORDER BY organization_id")
        return [row[0] for row in cursor.fetchall()]


@pytest.fixture
def two_surveys(org: Organization, other_org: Organization) -> tuple[Survey, Survey]:
    return make_survey(org, "Mine"), make_survey(other_org, "Theirs")


def test_it_puts_a_forced_policy_on_every_tenant_table(db: None) -> None:
    tables = sorted(model._meta.db_table for model in tenant_models())
    assert "responses_response" in tables and "surveys_survey" in tables
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relname = ANY(%s)"
            " AND relrowsecurity AND relforcerowsecurity ORDER BY relname",
            [tables],
        )
        forced = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT tablename FROM pg_policies WHERE policyname = %s ORDER BY tablename", [POLICY]
        )
        with_policy = [row[0] for row in cursor.fetchall()]
    assert forced == tables
    assert with_policy == tables


def test_it_shows_raw_sql_no_rows_without_a_tenant(two_surveys: Any) -> None:
    assert len(raw_survey_orgs()) == 2  # the test's own setup sees everything
    with no_tenant():
        assert raw_survey_orgs() == []


def test_it_shows_raw_sql_only_the_current_organizations_rows(
    two_surveys: Any, org: Organization, other_org: Organization
) -> None:
    with no_tenant(), tenant_context(org):
        assert raw_survey_orgs() == [org.pk]
    with no_tenant(), tenant_context(other_org):
        assert raw_survey_orgs() == [other_org.pk]


def test_it_lets_a_sweep_across_organizations_see_them_all(two_surveys: Any) -> None:
    with no_tenant(), all_tenants():
        assert len(raw_survey_orgs()) == 2


def test_it_refuses_raw_writes_to_another_organizations_rows(
    two_surveys: tuple[Survey, Survey], org: Organization, other_org: Organization
) -> None:
    theirs = two_surveys[1]
    with no_tenant(), tenant_context(org), connection.cursor() as cursor:
        cursor.execute("UPDATE surveys_survey SET name = 'taken' WHERE id = %s", [theirs.pk])
        assert cursor.rowcount == 0
        cursor.execute("DELETE FROM surveys_survey WHERE id = %s", [theirs.pk])
        assert cursor.rowcount == 0
        with pytest.raises(ProgrammingError, match="row-level security"), transaction.atomic():
            cursor.execute(
                "UPDATE surveys_survey SET organization_id = %s WHERE organization_id = %s",
                [other_org.pk, org.pk],
            )
    theirs.refresh_from_db()
    assert theirs.name == "Theirs"


def test_it_sends_the_tenant_again_after_a_rolled_back_transaction(
    transactional_db: None, org: Organization, other_org: Organization
) -> None:
    # A setting made inside a transaction is undone by its rollback; the
    # connection must not believe it is still in place.
    make_survey(org, "Mine"), make_survey(other_org, "Theirs")
    with no_tenant(), tenant_context(org):
        with pytest.raises(Boom), transaction.atomic():
            assert raw_survey_orgs() == [org.pk]
            raise Boom
        assert raw_survey_orgs() == [org.pk]


def test_it_finds_a_survey_by_its_public_key_before_any_tenant_is_known(
    two_surveys: tuple[Survey, Survey], other_org: Organization
) -> None:
    theirs = two_surveys[1]
    with no_tenant():
        found = survey_by_public_key(public_key=theirs.public_key)
        assert found is not None and found.pk == theirs.pk
        assert found.organization == other_org
        assert survey_by_public_key(public_key="no-such-key") is None
        # The lookup lifted the policy for its own query only.
        assert raw_survey_orgs() == []


def test_it_authenticates_an_api_key_before_any_tenant_is_known(org: Organization) -> None:
    with tenant_context(org):
        _, raw_key = api_key_create(organization=org, name="CRM", read_only=True)
    with no_tenant():
        api_key = api_key_authenticate(raw_key=raw_key)
        assert api_key is not None and api_key.organization == org
        assert api_key_authenticate(raw_key=raw_key[:-2] + "xx") is None


# --- A role that does not own the tables, as the app connects in production ---


def _role_exists_or_made() -> bool:
    db = settings.DATABASES["default"]
    statement = (
        f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}')"  # noqa: S608
        f" THEN CREATE ROLE {APP_ROLE} LOGIN NOBYPASSRLS; END IF; END $$"
    )
    for user in (db["USER"], "postgres"):
        try:
            admin = psycopg2.connect(
                host=db["HOST"], port=db["PORT"] or 5432, user=user, dbname=db["NAME"]
            )
        except psycopg2.Error:
            continue
        try:
            admin.autocommit = True
            with admin.cursor() as cursor:
                cursor.execute(statement)
            return True
        except psycopg2.Error:
            continue
        finally:
            admin.close()
    return False


@pytest.fixture
def app_role_cursor(transactional_db: None) -> Iterator[Any]:
    if not _role_exists_or_made():
        pytest.skip(f"cannot create the role {APP_ROLE} (needs CREATEROLE or a superuser)")
    with override_settings(DATABASE_APP_ROLE=APP_ROLE):
        protect()
    db = settings.DATABASES["default"]
    app = psycopg2.connect(
        host=db["HOST"],
        port=db["PORT"] or 5432,
        user=APP_ROLE,
        dbname=connection.settings_dict["NAME"],
    )
    app.autocommit = True
    try:
        with app.cursor() as cursor:
            yield cursor
    finally:
        app.close()


def test_it_keeps_a_role_that_does_not_own_the_tables_inside_its_tenant(
    app_role_cursor: Any, org: Organization, other_org: Organization
) -> None:
    mine, theirs = make_survey(org, "Mine"), make_survey(other_org, "Theirs")
    cursor = app_role_cursor
    cursor.execute("SELECT rolbypassrls, rolsuper FROM pg_roles WHERE rolname = current_user")
    assert cursor.fetchone() == (False, False)
    cursor.execute("SELECT count(*) FROM surveys_survey")
    assert cursor.fetchone() == (0,)
    cursor.execute("SELECT set_config('app.tenant_id', %s, false)", [str(org.pk)])
    cursor.execute("SELECT id FROM surveys_survey")
    assert cursor.fetchall() == [(mine.pk,)]
    cursor.execute("UPDATE surveys_survey SET name = 'taken' WHERE id = %s", [theirs.pk])
    assert cursor.rowcount == 0
    with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="row-level security"):
        cursor.execute(
            "INSERT INTO responses_respondent (organization_id, external_id, anonymous_id,"
            " email, phone_number, name, profile_url, traits, first_seen_at)"
            " VALUES (%s, 'x', '', '', '', '', '', '{}', now())",
            [other_org.pk],
        )
    cursor.execute("SELECT id FROM nps_survey_by_public_key(%s)", [theirs.public_key])
    assert cursor.fetchall() == [(theirs.pk,)]


def test_it_lets_staff_see_every_organization_in_the_django_admin(
    two_surveys: tuple[Survey, Survey], client: Any
) -> None:
    from .conftest import make_user

    staff = make_user("operator@example.com")
    staff.is_staff = staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    page = client.get("/admin/surveys/survey/").content.decode()
    assert "Mine" in page and "Theirs" in page
