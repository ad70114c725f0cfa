"""The plumbing of views whose writes go through services: validate the input with an
input serializer, call the service (the one line that is the view's own), answer with an
output serializer. For GenericAPIView and GenericViewSet subclasses."""

from typing import TYPE_CHECKING, Any

from rest_framework import serializers, status
from rest_framework.response import Response

if TYPE_CHECKING:  # what the mixins are mixed into, for the type checker only
    from rest_framework.generics import GenericAPIView
    from rest_framework.viewsets import GenericViewSet

    _View = GenericAPIView
    _ViewSet = GenericViewSet
else:
    _View = _ViewSet = object

# The mixins have no class docstring: the schema would show it as the description of
# every view that has none of its own.


# validated_input() and answer(); both build their serializer with the view's context (the
# request, for absolute URLs and what the caller may see).
class ServiceViewMixin(_View):
    # What the writes accept and what the answers show; a call may name another.
    input_serializer_class: type[serializers.BaseSerializer] | None = None
    output_serializer_class: type[serializers.BaseSerializer] | None = None

    def validated_input(
        self,
        serializer_class: type[serializers.BaseSerializer] | None = None,
        *,
        instance: Any = None,
        partial: bool = False,
    ) -> Any:
        """The request body validated by `serializer_class` (or the input serializer, or the
        view's serializer); raises ValidationError, which the handler answers with a 400."""
        serializer_class = (
            serializer_class or self.input_serializer_class or self.get_serializer_class()
        )
        serializer = serializer_class(
            instance,
            data=self.request.data,
            partial=partial,
            context=self.get_serializer_context(),
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def answer(
        self,
        instance: Any,
        status_code: int = status.HTTP_200_OK,
        *,
        serializer_class: type[serializers.BaseSerializer] | None = None,
    ) -> Response:
        """`instance` serialized by `serializer_class` (or the output serializer, or the
        view's serializer)."""
        serializer_class = (
            serializer_class or self.output_serializer_class or self.get_serializer_class()
        )
        serializer = serializer_class(instance, context=self.get_serializer_context())
        return Response(serializer.data, status=status_code)


# create, update and destroy of a ViewSet through its services: the ViewSet defines
# perform_create_service(data) and perform_update_service(instance, data), which return the
# saved object, and perform_destroy_service(instance). The writes accept
# input_serializer_class (also what the schema shows for them); every answer is
# output_serializer_class.
class ServiceWriteMixin(ServiceViewMixin, _ViewSet):
    write_actions = frozenset({"create", "update", "partial_update"})

    def get_serializer_class(self):
        if self.action in self.write_actions:
            return self.input_serializer_class
        return self.output_serializer_class

    def perform_create_service(self, data: dict) -> Any:
        raise NotImplementedError

    def perform_update_service(self, instance: Any, data: dict) -> Any:
        raise NotImplementedError

    def perform_destroy_service(self, instance: Any) -> None:
        raise NotImplementedError

    def create(self, request, *args, **kwargs):
        instance = self.perform_create_service(self.validated_input())
        return self.answer(instance, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        instance = self.get_object()
        data = self.validated_input(instance=instance, partial=kwargs.pop("partial", False))
        return self.answer(self.perform_update_service(instance, data))

    def destroy(self, request, *args, **kwargs):
        self.perform_destroy_service(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
