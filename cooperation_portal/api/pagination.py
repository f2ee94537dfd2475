"""Page-number pagination whose count stops early: an exact COUNT(*) over a million filtered rows costs more than
the page itself (ARCHITECTURE.md, "What a big table punishes")."""

import math
from functools import partial
from typing import Any, cast

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import IntegerField, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.functional import cached_property
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

# Rows counted exactly before `count` becomes a lower bound: 20 pages of 50 (a list shows "1,000+").
COUNT_LIMIT = 1_000
# The column that carries the count on a page's rows (LimitedCountPaginator.page).
COUNT_COLUMN = "_counted_rows"


def _page_number(number: Any, messages: dict[str, Any]) -> int:
    """A page number as Paginator.validate_number takes it (a whole number, 1 or more), before anything is counted."""
    try:
        if isinstance(number, float) and not number.is_integer():
            raise ValueError
        number = int(number)
    except (TypeError, ValueError):
        raise PageNotAnInteger(messages["invalid_page"]) from None
    if number < 1:
        raise EmptyPage(messages["min_page"])
    return number


class LimitedCountPaginator(Paginator):
    """Counts at most `limit` + 1 rows. Past that, `count` is a lower bound and `count_exact` is False.

    `limit` is at least the rows up to the end of the page asked for, so that page and the existence of the next
    one are always known exactly; only the total past them is left uncounted.
    """

    def __init__(
        self,
        object_list: Any,
        per_page: int,
        *,
        limit: int | None = COUNT_LIMIT,
        counted: QuerySet[Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """`counted`: the queryset whose rows `object_list` reads as values (values_list of it), counted in its
        place. Django keeps the joins that the selected columns of a values queryset need in the count's subquery,
        and PostgreSQL then reads every counted row from the table (a plain count reads them from an index)."""
        super().__init__(object_list, per_page, **kwargs)
        self.limit = limit
        self.counted = object_list if counted is None else counted
        # Rows as tuples of `counted`, and a count that stops: the count can ride on the page's own query.
        self.counts_with_page = (
            counted is not None and limit is not None and isinstance(object_list, QuerySet) and not self.orphans
        )

    def page(self, number: Any) -> Page:
        """The page, and with it the count in the same statement where it can (`counts_with_page`): an uncorrelated
        scalar subquery that the database computes once, so a list costs one round trip fewer. The count then comes
        last in each row. An empty page (no rows at all, or past the end) is left to Django: count, then check."""
        if not self.counts_with_page or "count" in self.__dict__:
            return super().page(number)
        number = _page_number(number, self.error_messages)
        bottom = (number - 1) * self.per_page
        values = cast(QuerySet[Any], self.object_list).annotate(**{COUNT_COLUMN: self._count_expression()})
        rows = list(values[bottom : bottom + self.per_page])
        if not rows:
            return super().page(number)
        self.__dict__["count"] = rows[0][-1]
        return Page([row[:-1] for row in rows], number, self)

    def _count_expression(self) -> RawSQL:
        assert self.limit is not None  # counts_with_page
        sql, params = self.counted.order_by().values("pk")[: self.limit + 1].query.sql_with_params()
        # ORM-compiled SQL; every value stays a parameter.
        counted = f"SELECT COUNT(*) FROM ({sql}) AS counted_rows"  # noqa: S608
        return RawSQL(counted, params, output_field=IntegerField())  # noqa: S611

    @cached_property
    def count(self) -> int:
        if not isinstance(self.counted, QuerySet):
            return super().count
        if self.limit is None:
            return self.counted.count()
        # A sliced queryset counts in a subquery that stops at LIMIT; no ORDER BY, so no sort of the matches.
        return self.counted.order_by()[: self.limit + 1].count()

    @property
    def count_exact(self) -> bool:
        return self.limit is None or not isinstance(self.counted, QuerySet) or self.count <= self.limit

    @cached_property
    def num_pages(self) -> int:
        if self.count == 0 and not self.allow_empty_first_page:
            return 0
        return max(1, math.ceil(self.count / self.per_page))


class PortalPagination(PageNumberPagination):
    """`count` is exact up to COUNT_LIMIT rows (or the end of the page asked for, if further); past it, `count` is
    the number of rows counted so far and `count_exact` is false. `page=last` always counts exactly."""

    page_size_query_param = "page_size"
    max_page_size = 200
    django_paginator_class: Any = LimitedCountPaginator

    def paginate_queryset(
        self, queryset: Any, request: Request, view: Any = None, *, counted: QuerySet[Any] | None = None
    ) -> list[Any] | None:
        """`counted`: see LimitedCountPaginator."""
        # One pagination instance serves one request, so the limit can ride on its paginator class.
        self.django_paginator_class = partial(LimitedCountPaginator, limit=self._count_limit(request), counted=counted)
        return super().paginate_queryset(queryset, request, view)

    def _count_limit(self, request: Request) -> int | None:
        page_size = self.get_page_size(request) or 1
        raw_page = request.query_params.get(self.page_query_param, "1")
        if raw_page in self.last_page_strings:
            return None
        try:
            page = max(1, int(raw_page))
        except ValueError:
            page = 1
        return max(COUNT_LIMIT, page * page_size)

    def get_paginated_response(self, data: Any) -> Response:
        assert self.page is not None  # set by paginate_queryset, which DRF calls first
        paginator = self.page.paginator
        assert isinstance(paginator, LimitedCountPaginator)
        return Response(
            {
                "count": paginator.count,
                "count_exact": paginator.count_exact,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count"]["description"] = (
            f"Matching rows: exact when `count_exact` is true; otherwise a lower bound (at least {COUNT_LIMIT:,} "
            "rows, or the rows up to the end of this page, match)."
        )
        response["properties"]["count_exact"] = {"type": "boolean", "example": True}
        response["required"] = [*response.get("required", []), "count_exact"]
        return response
