"""Pagination.

PageNumberPagination is every list's default. Big lists (the catalog) use
LargeListPagination: counts that stay cheap at a million rows, page numbers up to a fixed
depth, and cursors for going deeper (infinite scroll).
"""

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.core import signing
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Q, QuerySet
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from core.cache import cached_value
from core.exceptions import BusinessValidationError


def _positive_int_param(request, name: str) -> int | None:
    """The query parameter `name` as a whole number of at least 1; None when it is absent
    or empty. Anything else is a 400 on `name`, not a silent fallback to the default."""
    raw = request.query_params.get(name, "").strip()
    if not raw:
        return None
    digits = raw.lstrip("0")
    if not (raw.isascii() and raw.isdigit()) or not digits:
        raise ValidationError({name: ["Use a whole number of at least 1."]})
    # Past 18 digits the number only means "very large": no page or size is that big.
    return int(digits) if len(digits) <= 18 else 10**18


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=` (from 1; past the last page is a 404 "Invalid page.") and `?page_size=`
    (1 or more; above max_page_size it is capped)."""

    page_size_query_param = "page_size"
    max_page_size = 100
    # `?page=last` would need a second schema type for one convenience nobody uses.
    last_page_strings = ()

    def get_page_number(self, request, paginator):
        return _positive_int_param(request, self.page_query_param) or 1

    def get_page_size(self, request):
        size = _positive_int_param(request, self.page_size_query_param)
        if size is None:
            return self.page_size
        return min(size, self.max_page_size)

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "Page number, from 1. A page past the last one is a 404.",
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": (
                    f"Results per page (default {self.page_size}); larger values than "
                    f"{self.max_page_size} are capped to {self.max_page_size}."
                ),
                "schema": {"type": "integer", "minimum": 1},
            },
        ]


# --- counting ---------------------------------------------------------------------------


def planner_estimate(queryset: QuerySet) -> int | None:
    """PostgreSQL's own estimate of how many rows the queryset returns (EXPLAIN, no
    execution: a millisecond whatever the size); None on other databases."""
    if connection.vendor != "postgresql":
        return None
    explained = queryset.order_by().values("pk").explain(format="json")
    if not explained:
        # Django plans nothing for a filter it knows matches no row (an empty `IN`, .none()).
        return 0
    plan = json.loads(explained)
    return int(plan[0]["Plan"]["Plan Rows"])


def count_upto(queryset: QuerySet, limit: int) -> int:
    """COUNT(*) of at most `limit` rows: the scan stops there."""
    return queryset.order_by().values("pk")[:limit].count()


def cached_estimated_count(queryset: QuerySet, *, scopes: Sequence[str]) -> tuple[int, bool]:
    """estimated_count(), kept in the cache (core.cache.cached_value) under the versions
    of `scopes`: every write that could change the count bumps one of them, so a kept
    count is as exact as a fresh one. Keyed by the count's own SQL and parameters, so two
    callers share a count only when they would run the same query."""
    limit = settings.EXACT_COUNT_LIMIT
    if not scopes:
        return estimated_count(queryset, limit=limit)
    try:
        sql, params = queryset.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:
        # A filter Django knows matches nothing (an empty IN): nothing to run, or to keep.
        return estimated_count(queryset, limit=limit)
    count, is_estimate = cached_value(
        scopes,
        ("count", connection.vendor, sql, params, limit),
        lambda: estimated_count(queryset, limit=limit),
        timeout=settings.CATALOG_COUNT_CACHE_SECONDS,
    )
    return count, is_estimate


def estimated_count(queryset: QuerySet, *, limit: int | None = None) -> tuple[int, bool]:
    """(count, is_estimate). Exact up to `limit` (EXACT_COUNT_LIMIT): counted, but never
    more than limit + 1 rows. Above it, PostgreSQL's planner estimate (a bigger set is not
    counted at all when the planner already expects more than `limit` rows). Other
    databases count exactly."""
    limit = settings.EXACT_COUNT_LIMIT if limit is None else limit
    estimate = planner_estimate(queryset)
    if estimate is None:
        return queryset.order_by().count(), False
    if estimate > limit:
        return estimate, True
    exact = count_upto(queryset, limit + 1)
    if exact <= limit:
        return exact, False
    return max(estimate, exact), True


# --- what is paginated ------------------------------------------------------------------


@dataclass(frozen=True)
class SortKey:
    """One column of a total order: the model field, the row key holding its value, and
    whether it descends."""

    field: str
    descending: bool
    row_key: str | None = None

    @property
    def key(self) -> str:
        return self.row_key or self.field


class Listing(Protocol):
    """An ordered set of rows to paginate. `queryset` is everything that matches;
    `count()` counts it (see estimated_count); `rows(offset, limit)` reads a slice in
    order. A listing ordered by columns (`supports_cursor`) can also be read from a
    position, which is what cursors do: `rows_from(values of its sort_keys, ...)`."""

    queryset: QuerySet
    supports_cursor: bool
    sort_keys: Sequence[SortKey]
    # Recorded in cursors, so a cursor is refused with another ordering.
    ordering_name: str

    def count(self) -> tuple[int, bool]: ...

    def rows(self, offset: int, limit: int) -> list[dict]: ...

    def rows_from(self, values: list, *, backwards: bool, limit: int) -> list[dict]: ...


class CountedListing:
    """count() computed once per listing; kept in the cache under the versions of
    `count_scopes` when it has some (cached_estimated_count)."""

    queryset: QuerySet
    count_scopes: Sequence[str] = ()
    _count: tuple[int, bool] | None = None

    def count(self) -> tuple[int, bool]:
        if self._count is None:
            self._count = cached_estimated_count(self.queryset, scopes=self.count_scopes)
        return self._count


class OrderedListing(CountedListing):
    """A queryset in the order of its sort keys; `project` turns it into row dicts."""

    def __init__(
        self,
        queryset: QuerySet,
        *,
        sort_keys: Sequence[SortKey],
        ordering_name: str,
        project: Callable[[QuerySet], QuerySet],
        supports_cursor: bool = True,
        count_scopes: Sequence[str] = (),
    ):
        self.queryset = queryset
        self.count_scopes = tuple(count_scopes)
        self.sort_keys = tuple(sort_keys)
        self.ordering_name = ordering_name
        self.project = project
        self.supports_cursor = supports_cursor

    def _ordered(self, queryset: QuerySet, *, backwards: bool = False) -> QuerySet:
        terms = []
        for key in self.sort_keys:
            descending = key.descending != backwards
            terms.append(f"-{key.field}" if descending else key.field)
        return self.project(queryset.order_by(*terms))

    def rows(self, offset: int, limit: int) -> list[dict]:
        return list(self._ordered(self.queryset)[offset : offset + limit])

    def rows_from(self, values: list, *, backwards: bool, limit: int) -> list[dict]:
        # Keyset pagination: the rows strictly after (or before) the position, as one
        # range per prefix of the sort keys, deepest first: (k1 = v1, k2 = v2, k3 > v3),
        # then (k1 = v1, k2 > v2), then (k1 > v1) (">" meaning "comes after" in each
        # key's direction). Each range is an index range when an index follows the sort
        # keys, so a page costs the same at any depth; they rarely take more than two.
        found: list[dict] = []
        for depth in range(len(self.sort_keys), 0, -1):
            leading = zip(self.sort_keys[: depth - 1], values[: depth - 1], strict=True)
            equal = {key.field: value for key, value in leading}
            key, value = self.sort_keys[depth - 1], values[depth - 1]
            after = "lt" if key.descending != backwards else "gt"
            condition = Q(**equal) & Q(**{f"{key.field}__{after}": value})
            branch = self._ordered(self.queryset.filter(condition), backwards=backwards)
            found += list(branch[: limit - len(found)])
            if len(found) >= limit:
                break
        return found


# --- the paginator ----------------------------------------------------------------------

_CURSOR_SALT = "core.pagination.cursor"


def _bad_cursor(message: str = "Invalid cursor.") -> BusinessValidationError:
    return BusinessValidationError({"cursor": [message]})


class LargeListPagination(PageNumberPagination):
    """`count` exact up to EXACT_COUNT_LIMIT and estimated above it (`count_is_estimate`);
    `?page=` up to MAX_PAGE_DEPTH rows deep; `?cursor=` (empty for the first page) at any
    depth, for listings ordered by columns. `next` and `previous` are links, as DRF's.

    Views call `paginate_listing(listing, request)` and then `get_paginated_response`."""

    cursor_query_param = "cursor"

    def paginate_listing(self, listing: Listing, request) -> list[dict]:
        self.request = request
        self.listing = listing
        self.page_size = self.get_page_size(request)
        cursor = request.query_params.get(self.cursor_query_param)
        if cursor is not None:
            if self.page_query_param in request.query_params:
                raise BusinessValidationError(
                    {self.cursor_query_param: ["Use either page or cursor, not both."]}
                )
            rows = self._cursor_page(listing, cursor)
        else:
            rows = self._number_page(listing, request)
        self.count, self.count_is_estimate = self._count(listing, rows)
        return rows

    # -- page numbers --

    def _number_page(self, listing: Listing, request) -> list[dict]:
        number = self.get_page_number(request, None)
        offset = (number - 1) * self.page_size
        if offset + self.page_size > settings.MAX_PAGE_DEPTH:
            raise BusinessValidationError(
                {
                    self.page_query_param: [
                        f"Pages go {settings.MAX_PAGE_DEPTH:,} products deep; to read "
                        f"further, follow `next` from a `{self.cursor_query_param}=` page "
                        f"(start with an empty `{self.cursor_query_param}=`)."
                    ]
                }
            )
        # One row more than the page tells whether there is a next page without counting.
        rows = listing.rows(offset, self.page_size + 1)
        if not rows and number > 1:
            raise NotFound("Invalid page.")
        self.number, self.offset = number, offset
        self.mode = "page"
        self.has_next = len(rows) > self.page_size
        return rows[: self.page_size]

    # -- cursors --

    def _cursor_page(self, listing: Listing, token: str) -> list[dict]:
        if not listing.supports_cursor:
            raise _bad_cursor(
                "Cursor pages follow an ordering by column (the default newest first, "
                "created_at, price or -price); these results are served by page."
            )
        self.mode = "cursor"
        if token == "":
            rows = listing.rows(0, self.page_size + 1)
            self.has_next, self.has_previous = len(rows) > self.page_size, False
            self.offset = 0
            return rows[: self.page_size]
        values, backwards = self._decode(listing, token)
        rows = listing.rows_from(values, backwards=backwards, limit=self.page_size + 1)
        more = len(rows) > self.page_size
        rows = rows[: self.page_size]
        if backwards:
            rows.reverse()
            self.has_next, self.has_previous = True, more
        else:
            self.has_next, self.has_previous = more, True
        self.offset = None
        return rows

    def _encode(self, row: dict, *, backwards: bool) -> str:
        values = [_to_json(row[key.key]) for key in self.listing.sort_keys]
        payload = {"o": self.listing.ordering_name, "v": values, "b": backwards}
        return signing.dumps(payload, salt=_CURSOR_SALT, compress=True)

    def _decode(self, listing: Listing, token: str) -> tuple[list, bool]:
        try:
            payload = signing.loads(token, salt=_CURSOR_SALT)
            ordering, raw_values, backwards = payload["o"], payload["v"], payload["b"]
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            raise _bad_cursor() from None
        if ordering != listing.ordering_name or len(raw_values) != len(listing.sort_keys):
            raise _bad_cursor("This cursor belongs to another ordering; start again.")
        model = listing.queryset.model
        try:
            values = [
                model._meta.get_field(key.field).to_python(value)
                for key, value in zip(listing.sort_keys, raw_values, strict=True)
            ]
        except Exception:
            raise _bad_cursor() from None
        return values, bool(backwards)

    # -- answer --

    def _count(self, listing: Listing, rows: list[dict]) -> tuple[int, bool]:
        if self.offset is not None and not self.has_next:
            # The last page: everything before it plus what it holds, exactly.
            return self.offset + len(rows), False
        count, is_estimate = listing.count()
        if self.offset is not None:
            # An estimate never claims fewer rows than were just read.
            count = max(count, self.offset + len(rows) + (1 if self.has_next else 0))
        return count, is_estimate

    def get_next_link(self):
        if not self.has_next or self._last is None:
            return None
        url = self.request.build_absolute_uri()
        if self.mode == "page":
            return replace_query_param(url, self.page_query_param, self.number + 1)
        return replace_query_param(
            url, self.cursor_query_param, self._encode(self._last, backwards=False)
        )

    def get_previous_link(self):
        url = self.request.build_absolute_uri()
        if self.mode == "page":
            if self.number == 1:
                return None
            if self.number == 2:
                return remove_query_param(url, self.page_query_param)
            return replace_query_param(url, self.page_query_param, self.number - 1)
        if not self.has_previous or self._first is None:
            return None
        return replace_query_param(
            url, self.cursor_query_param, self._encode(self._first, backwards=True)
        )

    def get_paginated_response(self, data, rows: list[dict] | None = None):
        return Response(self.paginated_body(data, rows))

    def paginated_body(self, data, rows: list[dict]) -> dict:
        self._first = rows[0] if rows else None
        self._last = rows[-1] if rows else None
        return {
            "count": self.count,
            "count_is_estimate": self.count_is_estimate,
            "next": self.get_next_link(),
            "previous": self.get_previous_link(),
            "results": data,
        }

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["count", "count_is_estimate", "results"],
            "properties": {
                "count": {
                    "type": "integer",
                    "example": 123,
                    "description": "Exact up to EXACT_COUNT_LIMIT, an estimate above it.",
                },
                "count_is_estimate": {
                    "type": "boolean",
                    "description": "True when `count` is the database's estimate.",
                },
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "The next page: a `page=` or a `cursor=` link, as requested.",
                },
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["description"] = (
                    f"Page number; pages go {settings.MAX_PAGE_DEPTH:,} rows deep "
                    "(deeper is a 400: use cursor)."
                )
        parameters.append(
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": (
                    "Cursor pagination for the default, created_at and price orderings: "
                    "send it empty for the first page, then follow `next`. Opaque; a "
                    "tampered cursor is a 400."
                ),
                "schema": {"type": "string"},
            }
        )
        return parameters


def _to_json(value: Any):
    if value is None or isinstance(value, bool | int | str):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
