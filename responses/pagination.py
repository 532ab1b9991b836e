"""Keyset cursors for API lists: each page starts strictly after the last row seen.

DRF's own CursorPagination keeps only the first ordering field in its cursor
and skips ties by an offset, so rows sharing a `created_at` (an import stamps
thousands alike) can be skipped or repeated when rows change between pages.
Here the cursor holds the whole key (`created_at` and `id`): a new answer
arriving meanwhile sorts before the cursor and never shifts a page, a deleted
one never makes another skip, and every page costs one indexed range scan.
"""

import binascii
import json
from base64 import urlsafe_b64decode, urlsafe_b64encode
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, Q, QuerySet
from rest_framework import exceptions
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.utils.urls import remove_query_param, replace_query_param

BAD_CURSOR = "The cursor is not valid: use the next or previous link of a page."


class KeysetPagination(CursorPagination):
    """Newest first on (-created_at, -id); `per_page` up to 200."""

    ordering: tuple[str, ...] = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "per_page"
    max_page_size = 200
    cursor_query_description = "The `next` or `previous` link's cursor; omit for the first page."
    page_size_query_description = "Rows per page (default 50, at most 200)."

    def paginate_queryset(  # type: ignore[override]
        self, queryset: QuerySet[Any], request: Request, view: Any = None
    ) -> list[Any]:
        self.request = request
        self.page_size = self.get_page_size(request) or self.page_size
        self.base_url = self.url = request.build_absolute_uri()
        key, backwards = self._read_cursor(queryset, request)
        self.started = key is not None
        order = self._order(reverse=backwards)
        if key is not None:
            queryset = queryset.filter(self._beyond(key, reverse=backwards))
        rows = list(queryset.order_by(*order)[: self.page_size + 1])
        more = len(rows) > self.page_size
        rows = rows[: self.page_size]
        if backwards:
            rows.reverse()
            self.has_previous, self.has_next = more, True
        else:
            self.has_next, self.has_previous = more, self.started
        self.page = rows
        return rows

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        if not self.page:  # backwards past the newest row: the list starts over
            return remove_query_param(self.url, self.cursor_query_param)
        return self._link(self.page[-1], backwards=False)

    def get_previous_link(self) -> str | None:
        if not self.has_previous or not self.page:
            return None
        return self._link(self.page[0], backwards=True)

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        described: dict[str, Any] = super().get_paginated_response_schema(schema)
        for link in ("next", "previous"):
            described["properties"][link]["example"] = (
                f"https://nps.example.com/api/v1/responses?cursor=eyJrIjpbIjIwMjYt{link[0]}"
            )
        return described

    # Cursor encoding ------------------------------------------------------------

    def _names(self) -> list[str]:
        return [name.lstrip("-") for name in self.ordering]

    def _link(self, row: Model, *, backwards: bool) -> str:
        values = [str(getattr(row, name)) for name in self._names()]
        payload = json.dumps({"k": values, "b": int(backwards)}, separators=(",", ":"))
        token = urlsafe_b64encode(payload.encode()).decode().rstrip("=")
        return replace_query_param(self.url, self.cursor_query_param, token)

    def _read_cursor(self, queryset: QuerySet[Any], request: Request) -> tuple[Any, bool]:
        token = request.query_params.get(self.cursor_query_param)
        if token is None:
            return None, False
        try:
            padded = token + "=" * (-len(token) % 4)
            payload = json.loads(urlsafe_b64decode(padded.encode("ascii")))
            raw, backwards = payload["k"], bool(payload.get("b", 0))
            names = self._names()
            if not isinstance(raw, list) or len(raw) != len(names):
                raise ValueError
            fields = [queryset.model._meta.get_field(name) for name in names]
            key = [field.to_python(value) for field, value in zip(fields, raw, strict=True)]
            if any(value is None for value in key):
                raise ValueError
        except (ValueError, TypeError, KeyError, UnicodeError, binascii.Error):
            raise exceptions.ValidationError({"cursor": [BAD_CURSOR]}) from None
        except DjangoValidationError:
            raise exceptions.ValidationError({"cursor": [BAD_CURSOR]}) from None
        return key, backwards

    # Keyset conditions ----------------------------------------------------------

    def _order(self, *, reverse: bool) -> list[str]:
        if not reverse:
            return list(self.ordering)
        return [name[1:] if name.startswith("-") else f"-{name}" for name in self.ordering]

    def _beyond(self, key: list[Any], *, reverse: bool) -> Q:
        """Rows after `key` in the page order (before it when going backwards)."""
        condition = Q()
        equal: dict[str, Any] = {}
        for ordered, value in zip(self.ordering, key, strict=True):
            name = ordered.lstrip("-")
            descending = ordered.startswith("-") != reverse
            condition |= Q(**equal, **{f"{name}__{'lt' if descending else 'gt'}": value})
            equal[name] = value
        return condition


class NewestIdFirst(KeysetPagination):
    """For rows whose id alone orders them by creation (respondents)."""

    ordering = ("-id",)
