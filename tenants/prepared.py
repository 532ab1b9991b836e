"""Statements planned once per database connection instead of on every call.

The widget's busiest statements (a person with their prompt history, a first
answer with its event) take the PostgreSQL planner several times longer to plan
than to run: row-level security adds its condition to every subquery, and each
table has several indexes to weigh. As server-side prepared statements they are
planned once per connection. Other databases run the SQL as it is.
"""

import re
from collections.abc import Mapping
from typing import Any

from django.db import connection

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def execute_prepared(cursor: Any, *, name: str, sql: str, params: Mapping[str, Any]) -> None:
    """Runs `sql` (with %(name)s placeholders) under the statement name `name`.

    One name per SQL text: the text is read only the first time the connection
    meets the name. Row-level security still applies: its settings are read
    when the statement runs, not when it is planned.
    """
    prepared = getattr(connection, "prepared_statements", None)
    if prepared is None:
        cursor.execute(sql, params)
        return
    order = list(dict.fromkeys(_PLACEHOLDER.findall(sql)))
    if name not in prepared:
        position = {key: index for index, key in enumerate(order, start=1)}
        numbered = _PLACEHOLDER.sub(lambda found: f"${position[found.group(1)]}", sql)
        cursor.execute(f"PREPARE {name} AS {numbered}")
        prepared.add(name)
    arguments = ", ".join(["%s"] * len(order))
    cursor.execute(f"EXECUTE {name}({arguments})", [params[key] for key in order])
