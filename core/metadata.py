"""What `OPTIONS` answers on every endpoint (the default metadata class in settings)."""

from rest_framework.metadata import BaseMetadata


class Metadata(BaseMetadata):
    """The endpoint's name, description, and the media types it renders and parses; the
    methods are in the `Allow` header. DRF's default also describes the writable fields
    per method by loading the object (`get_object()`) and building the view's serializer,
    which fails on views that have no queryset (the cart's items) and describes the
    output serializer where the input differs. The OpenAPI schema (/api/schema/) is the
    description of every input, so OPTIONS does not repeat it."""

    def determine_metadata(self, request, view):
        return {
            "name": view.get_view_name(),
            "description": view.get_view_description(),
            "renders": [renderer.media_type for renderer in view.renderer_classes],
            "parses": [parser.media_type for parser in view.parser_classes],
        }
