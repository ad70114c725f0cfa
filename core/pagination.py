from rest_framework import pagination
from rest_framework.exceptions import ValidationError


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
