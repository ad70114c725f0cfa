"""The router every app registers its ViewSets on (in its own urls.py)."""

from rest_framework.routers import DefaultRouter


class ApiRouter(DefaultRouter):
    """DefaultRouter's routes and format suffixes, without its root view: the API has no
    index page (the schema and its docs are at /api/schema/ and /api/docs/)."""

    include_root_view = False
