"""The router every app registers its ViewSets on (in its own urls.py)."""

from rest_framework.routers import DefaultRouter

from core.routing import UUID_REGEX


class ApiRouter(DefaultRouter):
    """DefaultRouter's routes and format suffixes, without its root view: the API has no
    index page (the schema and its docs are at /api/schema/ and /api/docs/).

    Object ids are UUIDs unless a ViewSet names its own `lookup_value_regex` (a slug): a
    malformed id does not match the route, so it is a 404 and never reaches the database."""

    include_root_view = False

    def get_lookup_regex(self, viewset, lookup_prefix=""):
        if getattr(viewset, "lookup_value_regex", None) is None:
            lookup_field = getattr(viewset, "lookup_field", "pk")
            lookup_url_kwarg = getattr(viewset, "lookup_url_kwarg", None) or lookup_field
            return f"(?P<{lookup_prefix}{lookup_url_kwarg}>{UUID_REGEX})"
        return super().get_lookup_regex(viewset, lookup_prefix)
