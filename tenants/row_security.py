"""Postgres row-level security: the database's own wall between organizations.

Every table of a `TenantModel` gets a policy that shows (and accepts) only the
rows of the organization in `app.tenant_id`, which `tenants.postgres` keeps in
step with the tenant context. With no organization in context a query sees no
rows at all, even as raw SQL. `FORCE` applies it to the tables' owner too, so
only a superuser or a BYPASSRLS role is outside it; the app should connect as
a role that is neither (docs/SECURITY.md).

The few reads that must find a row before its organization is known (a
survey's public key, an API key's prefix, an invitation's token) go through
narrow SECURITY DEFINER functions that return the rows matching one value.
Sweeps across organizations say so with `tenants.context.all_tenants()`.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.apps import apps
from django.conf import settings
from django.db import connections, models

from .context import scope_free
from .models import Organization, TenantModel

POLICY = "tenant_isolation"
IN_SCOPE = (
    "organization_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint"
    " OR current_setting('app.all_tenants', true) = 'on'"
)
# (model label, unique field) -> the function that finds its row in any
# organization. Apps add theirs with `register_lookup` in their ready().
LOOKUPS = {
    ("tenants.apikey", "prefix"): "nps_api_key_by_prefix",
    ("tenants.invitation", "token_hash"): "nps_invitation_by_token_hash",
}


def register_lookup(*, label: str, field: str, function: str) -> None:
    """Allow `find_in_any_organization(model, field=...)` for one unique public value."""
    LOOKUPS[(label, field)] = function


M = TypeVar("M", bound=models.Model)


def tenant_models() -> list[type[models.Model]]:
    return [
        model
        for model in apps.get_models()
        if issubclass(model, TenantModel) and model._meta.managed and not model._meta.proxy
    ]


def protect(*, using: str = "default") -> None:
    """Policies, lookup functions and the app role's grants; safe to run again."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for model in tenant_models():
            if model._meta.db_table in existing:
                _protect_table(cursor, model._meta.db_table)
        for (label, field), name in LOOKUPS.items():
            _create_lookup(cursor, apps.get_model(label), field, name)
        if settings.DATABASE_APP_ROLE:
            _grant(cursor, settings.DATABASE_APP_ROLE)


def _protect_table(cursor: Any, table: str) -> None:
    quoted = f'"{table}"'
    cursor.execute(f"ALTER TABLE {quoted} ENABLE ROW LEVEL SECURITY")
    cursor.execute(f"ALTER TABLE {quoted} FORCE ROW LEVEL SECURITY")
    cursor.execute(
        "SELECT 1 FROM pg_policies WHERE schemaname = current_schema()"
        " AND tablename = %s AND policyname = %s",
        [table, POLICY],
    )
    if cursor.fetchone() is None:
        cursor.execute(
            f"CREATE POLICY {POLICY} ON {quoted} USING ({IN_SCOPE}) WITH CHECK ({IN_SCOPE})"
        )


def _create_lookup(cursor: Any, model: type[models.Model], field: str, name: str) -> None:
    table = model._meta.db_table
    column = model._meta.get_field(field).column  # type: ignore[union-attr]
    # SECURITY DEFINER with a fixed search_path, the usual hygiene. The policy is
    # lifted for this one query and put back as it was before returning.
    cursor.execute(
        f'CREATE OR REPLACE FUNCTION {name}(value text) RETURNS SETOF "{table}"'  # noqa: S608
        " LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public"
        " AS $$ DECLARE previous text := current_setting('app.all_tenants', true); BEGIN"
        " PERFORM set_config('app.all_tenants', 'on', true);"
        f' RETURN QUERY SELECT * FROM "{table}" WHERE "{column}" = value;'
        " PERFORM set_config('app.all_tenants', coalesce(previous, ''), true);"
        " END $$"
    )


def _grant(cursor: Any, role: str) -> None:
    quoted = connections["default"].ops.quote_name(role)
    cursor.execute(
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}"
    )
    cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}")


def find_in_any_organization(model: type[M], *, field: str, value: str) -> M | None:
    """The row whose unique `field` is `value`, before its organization is known,
    with its organization loaded in the same query."""
    connection = connections["default"]
    manager: Any = model._default_manager
    if connection.vendor != "postgresql":
        return manager.unscoped().select_related("organization").filter(**{field: value}).first()
    token = scope_free.set(True)
    try:
        row = next(iter(manager.unscoped().raw(_lookup_sql(model, field), [value])), None)
    finally:
        scope_free.reset(token)
    if row is not None:
        names = [f.attname for f in Organization._meta.concrete_fields]
        values = [row.__dict__.pop(f"organization__{name}") for name in names]
        row.organization = Organization.from_db("default", names, values)
    return row


def _lookup_sql(model: type[models.Model], field: str) -> str:
    columns = ", ".join(
        f'o."{f.column}" AS "organization__{f.attname}"' for f in Organization._meta.concrete_fields
    )
    name = LOOKUPS[(model._meta.label_lower, field)]
    table = Organization._meta.db_table
    return (
        f"SELECT row.*, {columns} FROM {name}(%s) AS row"  # noqa: S608
        f' JOIN "{table}" AS o ON o.id = row.organization_id'
    )
