"""The URL pattern a request matched, as a low-cardinality label for logs and metrics:
`/api/v1/products/{pk}/` rather than the raw path with its ids."""

import re
from functools import lru_cache

API_PREFIX = "/api/v1/"
_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")
_NAMED_GROUP = "(?P<"


def _regex_groups_to_names(route: str) -> str:
    """Replace each `(?P<name>...)` (with any nesting inside) by `{name}`."""
    parts = []
    position = 0
    while (start := route.find(_NAMED_GROUP, position)) != -1:
        parts.append(route[position:start])
        name_end = route.index(">", start)
        depth, cursor = 1, name_end + 1
        while depth and cursor < len(route):
            char = route[cursor]
            if char == "\\":
                cursor += 1
            elif char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
            cursor += 1
        parts.append("{" + route[start + len(_NAMED_GROUP) : name_end] + "}")
        position = cursor
    parts.append(route[position:])
    return "".join(parts)


@lru_cache(maxsize=1024)
def route_template(route: str) -> str:
    """`api/v1/products/(?P<pk>[0-9a-f-]+)/$` or `api/v1/wishlist/shared/<str:token>/`
    -> `/api/v1/products/{pk}/`, `/api/v1/wishlist/shared/{token}/`."""
    template = _CONVERTER.sub(r"{\1}", _regex_groups_to_names(route))
    template = template.replace("^", "").replace("$", "").replace("\\", "")
    return "/" + template.lstrip("/")


def route_of(request) -> str | None:
    """The matched URL pattern of a request, or None when no pattern matched (404)."""
    match = getattr(request, "resolver_match", None)
    if match is None or match.route is None:
        return None
    return route_template(match.route)


@lru_cache(maxsize=1024)
def _group_of(route: str, module: str, declared: str | None) -> str | None:
    if not route_template(route).startswith(API_PREFIX):
        return None
    return declared or module.split(".", 1)[0] or None


def route_group(request) -> str | None:
    """The domain an API route belongs to: the app whose view serves it (`catalog` for
    products, categories and brands, `accounts` for auth and users, `cart`...), or the
    `route_group` its view class declares (the checkout app's order views are `orders`);
    None outside `/api/v1/` and for unmatched URLs."""
    match = getattr(request, "resolver_match", None)
    if match is None or match.route is None:
        return None
    declared = getattr(getattr(match.func, "cls", None), "route_group", None)
    return _group_of(match.route, getattr(match.func, "__module__", "") or "", declared)
