"""Every code an error answer can carry is a member of ErrorCode, the enum the schema
shows for `Error.code`: a code outside it would be an answer the schema does not allow."""

import importlib
import json
import pkgutil
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.http import HttpResponse
from django.test import RequestFactory
from rest_framework import exceptions
from rest_framework_simplejwt import exceptions as jwt_exceptions

from core import views as core_views
from core.exceptions import (
    _CODE_BY_CLASS,
    _CODE_BY_STATUS,
    DomainError,
    ErrorCode,
    exception_handler,
    request_error_response_data,
)
from core.middleware import ApiErrorPagesMiddleware

CODES = set(ErrorCode.values)


def _project_modules():
    """Every module of the project's apps but their tests and migrations, imported, so
    that every DomainError subclass is defined."""
    root = Path(settings.BASE_DIR)
    for config in apps.get_app_configs():
        if Path(config.path).parent != root:  # Django's and third parties' apps
            continue
        package = importlib.import_module(config.name)
        for info in pkgutil.walk_packages(package.__path__, f"{config.name}."):
            if ".tests" in info.name or ".migrations" in info.name:
                continue
            importlib.import_module(info.name)


def _subclasses(cls):
    for subclass in cls.__subclasses__():
        yield subclass
        yield from _subclasses(subclass)


def _domain_errors():
    _project_modules()
    return [cls for cls in _subclasses(DomainError) if not cls.__module__.endswith("tests")]


def test_every_domain_error_of_the_project_names_a_member_of_the_enum():
    errors = _domain_errors()

    assert len(errors) > 20  # the apps' modules were really imported
    wrong = {cls.__qualname__: cls.code for cls in errors if not isinstance(cls.code, ErrorCode)}
    assert wrong == {}


def test_the_codes_the_handler_gives_by_status_and_class_are_members():
    assert all(isinstance(code, ErrorCode) for code in _CODE_BY_STATUS.values())
    assert all(isinstance(code, ErrorCode) for code in _CODE_BY_CLASS.values())


def _api_exceptions():
    """DRF's exceptions and simplejwt's, each instantiated as the framework raises it."""
    _project_modules()
    assert issubclass(jwt_exceptions.InvalidToken, exceptions.APIException)
    classes = {exceptions.APIException, *_subclasses(exceptions.APIException)}
    for cls in sorted(classes, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}"):
        if cls is exceptions.MethodNotAllowed:
            yield cls("PUT")
        elif cls is exceptions.UnsupportedMediaType:
            yield cls("text/plain")
        elif cls is exceptions.Throttled:
            yield cls(wait=3)
        else:
            yield cls()


@pytest.mark.parametrize("exc", list(_api_exceptions()), ids=lambda exc: type(exc).__name__)
def test_every_drf_exception_is_answered_with_a_member(exc):
    response = exception_handler(exc, {"view": None, "request": None})

    assert response.data["code"] in CODES


def test_a_domain_error_and_an_unexpected_one_are_answered_with_members():
    for exc in (*(cls() for cls in _domain_errors() if _plain_init(cls)), KeyError("x")):
        response = exception_handler(exc, {"view": None, "request": None})
        assert response.data["code"] in CODES, exc


def _plain_init(cls) -> bool:
    try:
        cls()
    except TypeError:  # needs keyword arguments (a reason, field errors)
        return False
    return True


@pytest.mark.parametrize(
    "exc", [RequestDataTooBig(), TooManyFieldsSent(), SuspiciousOperation()], ids=repr
)
def test_what_django_refuses_while_reading_a_request_is_answered_with_members(exc):
    _status, body = request_error_response_data(exc)

    assert body["code"] in CODES


@pytest.mark.parametrize("status", range(400, 600))
def test_every_error_page_django_makes_becomes_a_member(status, settings):
    settings.DEBUG = False  # DEBUG keeps the traceback page of a 500
    # Django's own pages (an unknown host, a 405 of a plain view...) get the JSON shape.
    request = RequestFactory().get("/api/v1/anything/")
    middleware = ApiErrorPagesMiddleware(lambda request: HttpResponse("<h1>x</h1>", status=status))

    response = middleware(request)

    assert json.loads(response.content)["code"] in CODES


def test_the_url_conf_error_handlers_answer_members(rf):
    request = rf.get("/")
    for response in (
        core_views.bad_request(request),
        core_views.permission_denied(request),
        core_views.page_not_found(request),
        core_views.server_error(request),
    ):
        assert json.loads(response.content)["code"] in CODES


@pytest.mark.django_db
def test_the_schema_shows_the_code_as_the_enum(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    error = schema["components"]["schemas"]["Error"]["properties"]["code"]
    enum = schema["components"]["schemas"]["ErrorCodeEnum"]

    assert error["allOf"][0]["$ref"] == "#/components/schemas/ErrorCodeEnum"
    assert set(enum["enum"]) == CODES
