"""PostgreSQL, with the tenant context handed to the server for row-level security.

Before a statement runs, the connection's `app.tenant_id` and `app.all_tenants`
settings are brought in line with `tenants.context`, so the policies of
`tenants.row_security` see the same organization as the ORM does. The settings
are session-wide and sent only when they change: usually once when a request or
task enters its organization, once when it leaves.

A rollback (of a transaction or a savepoint) undoes a `set_config` made inside
it, so after one the connection's settings count as unknown and are sent again.

The health check a reused connection gets at the start of each request
(`CONN_HEALTH_CHECKS`) asks the server only when the connection has something
to say: one that the server closed, restarted or terminated has its goodbye or
its end of stream waiting on the socket; one with nothing waiting and no
transaction open is as usable as `SELECT 1` would find it, without the round
trip every widget request paid for.
"""

from __future__ import annotations

import select
from collections.abc import Callable
from typing import Any

import psycopg2.extensions
from django.db.backends.postgresql import base

from ..context import row_security_scope, scope_free

SET_SCOPE = (
    "SELECT set_config('app.tenant_id', %s, false), set_config('app.all_tenants', %s, false)"
)


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.row_security_sent: tuple[str, str] | None = None
        # Names of the statements prepared on this connection (tenants.prepared).
        self.prepared_statements: set[str] = set()
        self.execute_wrappers.append(self._with_row_security_scope)

    def _with_row_security_scope(
        self, execute: Callable[..., Any], sql: Any, params: Any, many: bool, context: dict
    ) -> Any:
        scope = row_security_scope()
        # In a broken transaction the statement itself fails, as Django says.
        if scope != self.row_security_sent and not self.needs_rollback and not scope_free.get():
            # A cursor of its own: the statement's may be a server-side cursor,
            # which runs exactly one statement.
            with self.connection.cursor() as cursor:
                cursor.execute(SET_SCOPE, scope)
            self.row_security_sent = scope
        return execute(sql, params, many, context)

    def close_if_health_check_failed(self) -> None:
        if self._health_check_due() and self._quiet():
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def _health_check_due(self) -> bool:
        return (
            self.connection is not None
            and self.health_check_enabled  # type: ignore[attr-defined]  # not in the stubs
            and not self.health_check_done
            and not self.pool
        )

    def _quiet(self) -> bool:
        """Open, idle, and nothing from the server since its last answer."""
        connection = self.connection
        if connection.closed:
            return False
        if connection.get_transaction_status() != psycopg2.extensions.TRANSACTION_STATUS_IDLE:
            return False
        poller = select.poll()
        poller.register(connection.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
        return not poller.poll(0)

    def get_new_connection(self, conn_params: dict) -> Any:
        self.row_security_sent = None
        self.prepared_statements = set()
        return super().get_new_connection(conn_params)

    def _rollback(self) -> None:
        self.row_security_sent = None
        super()._rollback()  # type: ignore[misc]  # not in the stubs

    def _savepoint_rollback(self, sid: str) -> None:
        # Straight to the driver: the transaction may be aborted, and no setting
        # can be sent until this rollback has run.
        with self.connection.cursor() as cursor:
            cursor.execute(self.ops.savepoint_rollback_sql(sid))
        self.row_security_sent = None
