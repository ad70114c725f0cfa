"""OpenAPI generation: every operation documents the error answers it can give, and the
schema states the constraints the server enforces."""

import copy
from decimal import Decimal

from drf_spectacular import openapi
from drf_spectacular.contrib import django_filters
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import permissions, serializers
from rest_framework.settings import api_settings

from core.serializers import ErrorSerializer, ValidationErrorSerializer

_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
_PUBLIC_READ_PERMISSIONS = (permissions.IsAuthenticatedOrReadOnly,)


def decimal_pattern(
    *,
    max_digits: int | None,
    decimal_places: int,
    min_value: Decimal | None = None,
    max_value: Decimal | None = None,
) -> str:
    """A regular expression for a decimal string the server accepts: at most the whole
    digits that max_digits (and max_value) leave, at most decimal_places decimals, a sign
    only when negative values are allowed, no zero when the minimum is above zero. ASCII
    digits only: a generator reading `\\d` would send other scripts' digits."""
    whole = None if max_digits is None else max_digits - decimal_places
    if max_value is not None and max_value > 0:
        limit = len(str(int(max_value)))
        whole = limit if whole is None else min(whole, limit)
    places = f"(?:\\.[0-9]{{1,{decimal_places}}})?" if decimal_places else ""
    if min_value is not None and min_value > 0:
        more = "*" if whole is None else f"{{0,{whole - 1}}}"
        # A fraction that is not all zeros: 0.5, 0.05, ... (k zeros, a non-zero digit).
        fractions = "|".join(
            "0" * zeros + "[1-9]" + (f"[0-9]{{0,{rest}}}" if rest else "")
            for zeros in range(decimal_places)
            for rest in [decimal_places - zeros - 1]
        )
        body = f"[1-9][0-9]{more}{places}"
        if fractions:
            body = f"(?:{body}|0?\\.(?:{fractions}))"
    else:
        digits = "+" if whole is None else f"{{1,{max(whole, 1)}}}"
        body = f"[0-9]{digits}{places}"
    sign = "-?" if min_value is None or min_value < 0 else ""
    return f"^{sign}{body}$"


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

    def _accepts_credentials(self) -> bool:
        # A bad or expired token is a 401 even where credentials are optional.
        return bool(self.view.get_authenticators())

    def _is_paginated(self) -> bool:
        return self.method == "GET" and self._is_list_view() and self._get_paginator() is not None

    def _takes_validated_query(self) -> bool:
        """A GET whose query parameters are validated (filters, a query serializer, pages):
        a bad value is a 400."""
        if self.method != "GET":
            return False
        if self._is_paginated() or self._get_filter_parameters():
            return True
        return any(
            not isinstance(parameter, OpenApiParameter)
            or parameter.location == OpenApiParameter.QUERY
            for parameter in self.get_override_parameters()
        )

    def _default_errors(self) -> dict:
        errors = {}
        if self.method in {"POST", "PUT", "PATCH"} or self._takes_validated_query():
            errors["400"] = _error("Invalid input.", ValidationErrorSerializer)
        if self._requires_auth():
            errors["401"] = _error("Missing, invalid or expired credentials.")
            if self._requires_role():
                errors["403"] = _error("The caller's role may not do this.")
        elif self._accepts_credentials():
            errors["401"] = _error("Credentials were sent and are invalid or expired.")
        if "{" in self.path:
            errors["404"] = _error("No such object, or not visible to the caller.")
        elif getattr(self.view, "needs_own_store", False):
            errors["404"] = _error("The caller has no store of the kind this needs.")
        elif self._is_paginated():
            errors["404"] = _error("`Invalid page.`: the page is past the last one.")
        if self.method in {"POST", "PUT", "PATCH"}:
            errors["413"] = _error("The request body is too large (`request_too_large`).")
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

    def _map_basic_serializer(self, serializer, direction):
        # Output fields some callers do not get (`Meta.optional_fields`, e.g. a staff-only
        # flag) are not required, although they are read-only.
        schema = super()._map_basic_serializer(serializer, direction)
        optional = set(getattr(getattr(serializer, "Meta", None), "optional_fields", ()))
        if optional and "required" in schema:
            schema["required"] = [name for name in schema["required"] if name not in optional]
            if not schema["required"]:
                del schema["required"]
        return schema

    def _insert_field_validators(self, field, schema):
        # A validator function states its constraint for the schema in `openapi_schema`
        # (drf-spectacular only understands Django's validator classes).
        super()._insert_field_validators(field, schema)
        for validator in getattr(field, "validators", ()):
            schema.update(getattr(validator, "openapi_schema", {}))

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        coerced = getattr(field, "coerce_to_string", None)
        if coerced is None:
            coerced = api_settings.COERCE_DECIMAL_TO_STRING
        if isinstance(field, serializers.DecimalField) and coerced and "pattern" in schema:
            schema["pattern"] = decimal_pattern(
                max_digits=field.max_digits,
                decimal_places=field.decimal_places,
                min_value=field.min_value,
                max_value=field.max_value,
            )
        return schema

    def _get_request_for_media_type(self, serializer, direction="request"):
        # A view whose PATCH takes the whole input (`partial_patch = False`) documents the
        # same required fields as its PUT, not drf-spectacular's all-optional variant.
        if self.method == "PATCH" and not getattr(self.view, "partial_patch", True):
            self.method = "PUT"
            try:
                return super()._get_request_for_media_type(serializer, direction)
            finally:
                self.method = "PATCH"
        return super()._get_request_for_media_type(serializer, direction)


class DjangoFilterExtension(django_filters.DjangoFilterExtension):
    """drf-spectacular's django-filter support, keeping a filter's help_text as the
    parameter's description also when its filter class declares its own schema (a pattern,
    a choice of formats), which the original drops."""

    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        parameters = super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )
        help_text = filter_field.extra.get("help_text")
        for parameter in parameters:
            if help_text and not parameter.get("description"):
                parameter["description"] = str(help_text)
        return parameters


def split_upload_bodies(result, generator, request, public):
    """drf-spectacular postprocessing hook. An operation that takes JSON or an image
    upload describes each with a component of its own (`<Name>MultipartRequest` for the
    upload), so that a generated client gets one type per content type, and its body is
    not marked required: a client sends either one (and a request without a body answers
    400 like any invalid one)."""
    schemas = result.get("components", {}).get("schemas", {})
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            body = operation.get("requestBody") if isinstance(operation, dict) else None
            content = (body or {}).get("content", {})
            if not {"application/json", "multipart/form-data"} <= set(content):
                continue
            body.pop("required", None)
            ref = content["multipart/form-data"]["schema"].get("$ref", "")
            if not ref or ref != content["application/json"]["schema"].get("$ref"):
                continue
            name = ref.rsplit("/", 1)[1]
            upload = f"{name.removesuffix('Request')}MultipartRequest"
            schemas.setdefault(upload, copy.deepcopy(schemas[name]))
            content["multipart/form-data"]["schema"] = {"$ref": f"#/components/schemas/{upload}"}
    return result
