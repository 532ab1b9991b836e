"""PostgreSQL's fast path for one batch: COPY into a temporary table, then a few
set-based statements; no model instance per row.

The same outcome as the ORM path in services.py (which other databases use):
rows already present are dropped, respondents are found or created by email
(the oldest of one address wins; a missing name is filled and first sight
moved earlier), answers are inserted with ON CONFLICT DO NOTHING, and the notes
of the answers actually inserted follow them. Columns this module does not
name get their model default, so a field added later needs no change here.
"""

import csv
import io
import json
from typing import Any

from django.db import connection
from django.db.models import Model

from responses.models import Channel, FollowUpStatus, Note, Respondent, Response
from surveys.models import Survey

from .delighted import Row

STAGE = "importer_rows"


def supported() -> bool:
    if connection.vendor != "postgresql":
        return False
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    return not is_psycopg3  # COPY is spelled copy_expert in psycopg2


def write_batch(survey: Survey, rows: list[Row]) -> int:
    """Inserts the rows not yet present (inside the caller's transaction); the number inserted."""
    organization_id = survey.organization_id
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGE} (client_id text PRIMARY KEY,"
            " score smallint, comment text, email varchar(254), name text, created_at timestamptz,"
            " properties jsonb, tags jsonb, notes jsonb)"
        )
        cursor.execute(f"TRUNCATE {STAGE}")
        cursor.cursor.copy_expert(
            f"COPY {STAGE} FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL (comment, email, name))",
            _csv(rows),
        )
        # `client_id <> ''` lets the partial unique index answer the lookup.
        cursor.execute(
            f"DELETE FROM {STAGE} r USING {_table(Response)} x"  # noqa: S608 (identifiers only)
            " WHERE x.organization_id = %s AND x.client_id <> '' AND x.client_id = r.client_id",
            [organization_id],
        )
        people_params = [organization_id, organization_id, *_defaults(Respondent, _PEOPLE)]
        cursor.execute(_people_sql(), [*people_params, organization_id])
        _keep_statistics(cursor, Respondent, added=cursor.rowcount)
        cursor.execute(*_answers_sql(organization_id, survey.pk))
        (inserted,) = cursor.fetchone()
        _keep_statistics(cursor, Response, added=inserted)
    return int(inserted)


def _keep_statistics(cursor: Any, model: type[Model], *, added: int) -> None:
    """Re-analyzes a table that this import is growing by a quarter or more.

    Lookups by (organization, email) or (organization, client id) are only fast
    on the composite indexes; with statistics from when the table (or the
    organization) was nearly empty, the planner may pick the organization index
    instead and scan every row of the organization for each row of the batch.
    Growth by a quarter at a time keeps estimates close, for a few ANALYZEs in all.
    """
    if added <= 0:
        return
    cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [_table(model)])
    (estimate,) = cursor.fetchone()
    if added * 4 > estimate:
        cursor.execute(f"ANALYZE {_table(model)}")


def _csv(rows: list[Row]) -> io.StringIO:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    seen: set[str] = set()
    for row in rows:
        client_id = row.client_id
        if client_id in seen:
            continue
        seen.add(client_id)
        writer.writerow(
            (
                client_id,
                row.score,
                row.comment,
                row.email,
                row.name,
                row.created_at.isoformat(),
                json.dumps(row.properties) if row.properties else "{}",
                json.dumps(row.tags) if row.tags else "[]",
                json.dumps(row.notes) if row.notes else "[]",
            )
        )
    buffer.seek(0)
    return buffer


_PEOPLE = {"organization_id", "email", "name", "first_seen_at"}


def _people_sql() -> str:
    table = _table(Respondent)
    columns, defaults = _columns(Respondent, _PEOPLE)
    # Only quoted identifiers and placeholders are formatted in; values are parameters.
    return f"""
        WITH people AS (
            SELECT email, max(name) AS name, min(created_at) AS first
            FROM {STAGE} WHERE email <> '' GROUP BY email
        ), oldest AS (
            SELECT min(p.id) AS id, p.email FROM {table} p JOIN people USING (email)
            WHERE p.organization_id = %s GROUP BY p.email
        ), touched AS (
            UPDATE {table} p
            SET name = CASE WHEN p.name = '' THEN people.name ELSE p.name END,
                first_seen_at = LEAST(p.first_seen_at, people.first)
            FROM oldest JOIN people USING (email)
            WHERE p.id = oldest.id
              AND ((p.name = '' AND people.name <> '') OR people.first < p.first_seen_at)
        )
        INSERT INTO {table} (organization_id, email, name, first_seen_at{columns})
        SELECT %s, email, name, first{defaults} FROM people
        WHERE NOT EXISTS (
            SELECT 1 FROM {table} p WHERE p.organization_id = %s AND p.email = people.email
        )
    """  # noqa: S608


_ANSWERS = {
    "organization_id",
    "survey_id",
    "respondent_id",
    "score",
    "comment",
    "channel",
    "client_id",
    "properties",
    "tags",
    "created_at",
    "updated_at",
    "follow_up_status",
}
_NOTES = {"organization_id", "response_id", "author_id", "body"}


def _answers_sql(organization_id: int, survey_id: int) -> tuple[str, list[Any]]:
    answers, people, notes = _table(Response), _table(Respondent), _table(Note)
    answer_columns, answer_defaults = _columns(Response, _ANSWERS)
    note_columns, note_defaults = _columns(Note, _NOTES)
    sql = f"""
        WITH inserted AS (
            INSERT INTO {answers} (organization_id, survey_id, respondent_id, score, comment,
                channel, client_id, properties, tags, created_at, updated_at,
                follow_up_status{answer_columns})
            SELECT %s, %s,
                (SELECT min(p.id) FROM {people} p
                 WHERE r.email <> '' AND p.organization_id = %s AND p.email = r.email),
                r.score, r.comment, %s, r.client_id, r.properties, r.tags, r.created_at, now(),
                %s{answer_defaults}
            FROM {STAGE} r
            ON CONFLICT DO NOTHING
            RETURNING id, client_id
        ), noted AS (
            INSERT INTO {notes} (organization_id, response_id, author_id, body{note_columns})
            SELECT %s, inserted.id, NULL, n.body{note_defaults}
            FROM inserted JOIN {STAGE} r USING (client_id),
                jsonb_array_elements_text(r.notes) WITH ORDINALITY AS n(body, position)
            ORDER BY inserted.id, n.position
            RETURNING 1
        )
        SELECT count(*) FROM inserted
    """  # noqa: S608
    params = [
        organization_id,
        survey_id,
        organization_id,
        Channel.IMPORT.value,
        FollowUpStatus.NEW.value,
        *_defaults(Response, _ANSWERS),
        organization_id,
        *_defaults(Note, _NOTES),
    ]
    return sql, params


def _other_fields(model: type[Model], named: set[str]) -> list[Any]:
    return [
        field
        for field in model._meta.concrete_fields
        if not field.primary_key and field.column not in named
    ]


def _columns(model: type[Model], named: set[str]) -> tuple[str, str]:
    """The remaining columns and their placeholders, each prefixed with ", "."""
    fields = _other_fields(model, named)
    return (
        "".join(f", {connection.ops.quote_name(field.column)}" for field in fields),
        ", %s" * len(fields),
    )


def _defaults(model: type[Model], named: set[str]) -> list[Any]:
    return [
        field.get_db_prep_save(field.get_default(), connection)
        for field in _other_fields(model, named)
    ]


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)
