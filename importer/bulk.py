"""PostgreSQL's fast path for one batch: COPY into a temporary table, then a few
set-based statements; no model instance per row.

The same outcome as the ORM path in services.py (which other databases use):
rows already present are dropped, respondents are found or created by email
(the oldest of one address wins; a missing name is filled and first sight
moved earlier), answers are inserted with ON CONFLICT DO NOTHING, and the notes
of the answers actually inserted follow them. Columns this module does not
name get their model default, so a field added later needs no change here.

Every lookup of an existing row (an answer by client id, a respondent by
email) is written as a subquery PostgreSQL runs once per row on the matching
index. As a join, the planner could pick another order from statistics taken
while the organization was small, and read every row of the organization for
each batch.
"""

import io
from typing import Any

from django.db import connection
from django.db.models import Model

from responses.models import Channel, FollowUpStatus, Note, Respondent, Response
from surveys.models import Survey

from .staging import COLUMNS

STAGE = "importer_rows"


def supported() -> bool:
    if connection.vendor != "postgresql":
        return False
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    return not is_psycopg3  # COPY is spelled copy_expert in psycopg2


def write_batch(survey: Survey, data: bytes) -> int:
    """Inserts the batch's staged records (see staging.py) not yet present,
    inside the caller's transaction; the number inserted."""
    organization_id = survey.organization_id
    with connection.cursor() as cursor:
        # The notes' row estimate (a hundred per answer) would have PostgreSQL
        # compile the statement to machine code, seconds of work per batch.
        cursor.execute("SET LOCAL jit = off")
        # The columns are staging.COLUMNS, in order; client ids are distinct.
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGE} (client_id text,"
            " score smallint, comment text, email varchar(254), name text, created_at timestamptz,"
            " properties jsonb, tags jsonb, notes jsonb)"
        )
        cursor.execute(f"TRUNCATE {STAGE}")
        cursor.cursor.copy_expert(
            f"COPY {STAGE} ({', '.join(COLUMNS)}) FROM STDIN"
            " WITH (FORMAT csv, FORCE_NOT_NULL (comment, email, name))",
            io.BytesIO(data),
        )
        # OFFSET 0 keeps the subquery apart: one probe of the unique index per row.
        # `client_id <> ''` lets the partial unique index answer it.
        cursor.execute(
            f"DELETE FROM {STAGE} r WHERE EXISTS (SELECT 1 FROM {_table(Response)} x"  # noqa: S608 (identifiers only)
            " WHERE x.organization_id = %s AND x.client_id <> '' AND x.client_id = r.client_id"
            " OFFSET 0)",
            [organization_id],
        )
        cursor.execute(*_batch_sql(organization_id, survey.pk))
        inserted, added = cursor.fetchone()
        _keep_statistics(cursor, Respondent, added=added)
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


_PEOPLE = {"organization_id", "email", "name", "first_seen_at"}


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


def _batch_sql(organization_id: int, survey_id: int) -> tuple[str, list[Any]]:
    """One statement: the batch's respondents found, updated and created, then
    its answers and their notes inserted; the numbers of answers and respondents added."""
    answers, people, notes = _table(Response), _table(Respondent), _table(Note)
    people_columns, people_defaults = _columns(Respondent, _PEOPLE)
    answer_columns, answer_defaults = _columns(Response, _ANSWERS)
    note_columns, note_defaults = _columns(Note, _NOTES)
    # Only quoted identifiers and placeholders are formatted in; values are parameters.
    sql = f"""
        WITH found AS MATERIALIZED (
            SELECT email, max(name) AS name, min(created_at) AS first,
                (SELECT min(p.id) FROM {people} p
                 WHERE p.organization_id = %s AND p.email = r.email) AS id
            FROM {STAGE} r WHERE email <> '' GROUP BY email
        ), touched AS (
            UPDATE {people} p
            SET name = CASE WHEN p.name = '' THEN found.name ELSE p.name END,
                first_seen_at = LEAST(p.first_seen_at, found.first)
            FROM found
            WHERE p.id = found.id
              AND ((p.name = '' AND found.name <> '') OR found.first < p.first_seen_at)
        ), added AS (
            INSERT INTO {people} (organization_id, email, name, first_seen_at{people_columns})
            SELECT %s, email, name, first{people_defaults} FROM found WHERE id IS NULL
            RETURNING id, email
        ), known AS (
            SELECT email, id FROM found WHERE id IS NOT NULL
            UNION ALL SELECT email, id FROM added
        ), inserted AS (
            INSERT INTO {answers} (organization_id, survey_id, respondent_id, score, comment,
                channel, client_id, properties, tags, created_at, updated_at,
                follow_up_status{answer_columns})
            SELECT %s, %s, known.id, r.score, r.comment, %s, r.client_id, r.properties, r.tags,
                r.created_at, now(), %s{answer_defaults}
            FROM {STAGE} r LEFT JOIN known ON known.email = r.email
            ON CONFLICT (organization_id, client_id) WHERE client_id <> '' DO NOTHING
            RETURNING id, client_id
        ), noted AS (
            INSERT INTO {notes} (organization_id, response_id, author_id, body{note_columns})
            SELECT %s, inserted.id, NULL, n.body{note_defaults}
            FROM inserted JOIN {STAGE} r USING (client_id),
                jsonb_array_elements_text(r.notes) WITH ORDINALITY AS n(body, position)
            WHERE r.notes <> '[]'
            ORDER BY inserted.id, n.position
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM inserted), (SELECT count(*) FROM added)
    """  # noqa: S608
    params = [
        organization_id,
        organization_id,
        *_defaults(Respondent, _PEOPLE),
        organization_id,
        survey_id,
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
