"""OpenAPI generation: every operation documents the error answers it can give."""

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework import permissions

from core.serializers import ErrorSerializer, ValidationErrorSerializer

_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
_PUBLIC_READ_PERMISSIONS = (permissions.IsAuthenticatedOrReadOnly,)


def _error(description: str, serializer=ErrorSerializer) -> OpenApiResponse:
    return OpenApiResponse(response=serializer, description=description)


class AutoSchema(openapi.AutoSchema):
    def get_auth(self):
        auths = super().get_auth()
        if {} not in auths and auths and not self._requires_auth():
            auths.append({})  # credentials optional: they only widen what the caller sees
        return auths

    def _requires_auth(self) -> bool:
        for permission in self.view.get_permissions():
            if isinstance(permission, permissions.AllowAny):
                continue
            public_read = isinstance(permission, _PUBLIC_READ_PERMISSIONS) or getattr(
                permission, "allows_anonymous_read", False
            )
            if public_read and self.method not in _UNSAFE:
                continue
            return True
        return False

    def _requires_role(self) -> bool:
        return any(
            not isinstance(p, (permissions.AllowAny, permissions.IsAuthenticated))
            for p in self.view.get_permissions()
        )

    def _default_errors(self) -> dict:
        errors = {}
        has_filters = self.method == "GET" and self._is_list_view() and self.get_filter_backends()
        if self.method in {"POST", "PUT", "PATCH"} or has_filters:
            errors["400"] = _error("Invalid input.", ValidationErrorSerializer)
        if self._requires_auth():
            errors["401"] = _error("Missing, invalid or expired credentials.")
            if self._requires_role():
                errors["403"] = _error("The caller's role may not do this.")
        if "{" in self.path:
            errors["404"] = _error("No such object, or not visible to the caller.")
        if self.method in {"POST", "PUT", "PATCH"}:
            errors["415"] = _error("Unsupported content type.")
        if self.view.get_throttles():
            errors["429"] = _error("Too many requests; see the Retry-After header.")
        return errors

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, response in self._default_errors().items():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses
