"""The one exception handler, called directly with each kind of exception."""

import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions

from core.exceptions import (
    BusinessValidationError,
    Conflict,
    DomainError,
    Forbidden,
    InsufficientStock,
    InvalidTransition,
    NotFound,
    exception_handler,
)


def handle(exc):
    return exception_handler(exc, {"view": None, "request": None})


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (DomainError(), 409, "conflict"),
        (Conflict("Already there."), 409, "conflict"),
        (InsufficientStock(), 409, "insufficient_stock"),
        (InvalidTransition(), 409, "invalid_transition"),
        (NotFound("No such item in your cart."), 404, "not_found"),
        (Forbidden(), 403, "permission_denied"),
    ],
)
def test_domain_errors_carry_their_code_and_status(exc, status, code):
    response = handle(exc)

    assert response.status_code == status
    assert response.data == {"code": code, "detail": exc.detail}


def test_domain_error_detail_defaults_and_extra_fields_are_kept():
    exc = InsufficientStock(extra={"errors": {"lines": ["Only 2 left."]}})

    response = handle(exc)

    assert response.data == {
        "code": "insufficient_stock",
        "detail": "Not enough stock.",
        "errors": {"lines": ["Only 2 left."]},
    }


def test_a_new_domain_error_subclass_needs_only_a_code_and_status():
    class Gone(DomainError):
        code = "gone"
        status = 410
        default_detail = "It is gone."

    response = handle(Gone())

    assert response.status_code == 410
    assert response.data == {"code": "gone", "detail": "It is gone."}


def test_business_validation_error_with_field_errors_is_a_400():
    response = handle(BusinessValidationError({"quantity": ["Only 3 in stock."]}))

    assert response.status_code == 400
    assert response.data == {
        "code": "validation_error",
        "detail": "Invalid input.",
        "errors": {"quantity": ["Only 3 in stock."]},
    }


def test_business_validation_error_with_a_message_only_puts_it_under_non_field_errors():
    response = handle(BusinessValidationError("The cart is empty."))

    assert response.status_code == 400
    assert response.data == {
        "code": "validation_error",
        "detail": "The cart is empty.",
        "errors": {"non_field_errors": ["The cart is empty."]},
    }


def test_django_validation_error_with_fields_becomes_field_errors():
    exc = DjangoValidationError({"price": ["Must be positive."], "name": ["Required."]})

    response = handle(exc)

    assert response.status_code == 400
    assert response.data["code"] == "validation_error"
    assert response.data["detail"] == "Invalid input."
    assert response.data["errors"] == {"price": ["Must be positive."], "name": ["Required."]}


def test_django_validation_error_without_fields_becomes_non_field_errors():
    response = handle(DjangoValidationError("Nope."))

    assert response.status_code == 400
    assert response.data["errors"] == {"non_field_errors": ["Nope."]}


def test_drf_validation_error_with_a_list_becomes_non_field_errors():
    response = handle(exceptions.ValidationError(["Bad pair."]))

    assert response.status_code == 400
    assert response.data["errors"] == {"non_field_errors": ["Bad pair."]}


def test_http404_is_not_found():
    response = handle(Http404("No Product matches the given query."))

    assert response.status_code == 404
    assert response.data == {"code": "not_found", "detail": "Not found."}


def test_django_permission_denied_is_403():
    response = handle(DjangoPermissionDenied())

    assert response.status_code == 403
    assert response.data["code"] == "permission_denied"


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (exceptions.NotAuthenticated(), 401, "not_authenticated"),
        (exceptions.AuthenticationFailed(), 401, "authentication_failed"),
        (exceptions.PermissionDenied(), 403, "permission_denied"),
        (exceptions.NotFound(), 404, "not_found"),
        (exceptions.MethodNotAllowed("PUT"), 405, "method_not_allowed"),
        (exceptions.UnsupportedMediaType("text/plain"), 415, "unsupported_media_type"),
    ],
)
def test_drf_exceptions_map_to_spec_codes(exc, status, code):
    response = handle(exc)

    assert response.status_code == status
    assert response.data["code"] == code
    assert isinstance(response.data["detail"], str)
    assert "errors" not in response.data


def test_parse_error_is_a_validation_error_with_its_message_under_non_field_errors():
    response = handle(exceptions.ParseError("JSON parse error."))

    assert response.status_code == 400
    assert response.data == {
        "code": "validation_error",
        "detail": "JSON parse error.",
        "errors": {"non_field_errors": ["JSON parse error."]},
    }


def test_throttled_is_429_with_retry_after():
    response = handle(exceptions.Throttled(wait=42))

    assert response.status_code == 429
    assert response.data["code"] == "throttled"
    assert response["Retry-After"] == "42"


def test_unexpected_exception_is_a_500_in_the_same_shape(caplog):
    response = handle(KeyError("secret internals"))

    assert response.status_code == 500
    assert response.data == {"code": "server_error", "detail": "A server error occurred."}
    assert "secret" not in str(response.data)
    assert "Unhandled error" in caplog.text


def test_an_error_detail_given_as_a_dict_is_flattened_to_its_first_message():
    response = handle(exceptions.PermissionDenied({"reason": ["Sellers only."]}))

    assert response.status_code == 403
    assert response.data == {"code": "permission_denied", "detail": "Sellers only."}


def test_nested_serializer_errors_are_flattened_to_dotted_field_paths():
    exc = exceptions.ValidationError(
        {
            "shipping_address": {"city": ["Required."], "non_field_errors": ["Bad pair."]},
            "items": [{}, {"quantity": ["Too many."]}],
            "concerns": {0: ["Not a choice."]},
            "name": ["Too long."],
        }
    )

    response = handle(exc)

    assert response.data["errors"] == {
        "shipping_address.city": ["Required."],
        "shipping_address": ["Bad pair."],
        "items.1.quantity": ["Too many."],
        "concerns.0": ["Not a choice."],
        "name": ["Too long."],
    }


def test_a_domain_validation_error_with_nested_field_errors_is_flattened_too():
    response = handle(BusinessValidationError({"profile": {"phone": ["Not a number."]}}))

    assert response.data["errors"] == {"profile.phone": ["Not a number."]}
