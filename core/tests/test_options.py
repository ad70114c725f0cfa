"""OPTIONS on every route of the API answers without a server error, for every role."""

import re
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve

pytestmark = pytest.mark.django_db

SAMPLE_ID = str(uuid.UUID(int=1))
_CONVERTER = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")
_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<body>[^()]*(?:\([^()]*\)[^()]*)*)\)")


def _sample_route(route: str) -> str:
    return _CONVERTER.sub(
        lambda m: {"uuid": SAMPLE_ID, "int": "1"}.get(m["conv"] or "str", "sample"), route
    )


def _sample_regex(regex: str) -> str:
    def sample(match):
        return SAMPLE_ID if "[0-9a-fA-F]{8}" in match["body"] else "sample"

    text = _GROUP.sub(sample, regex)
    return text.replace("^", "").replace("$", "").replace("\\", "")


def _api_paths(patterns, prefix=""):
    for entry in patterns:
        pattern = entry.pattern
        piece = (
            _sample_route(pattern._route)
            if hasattr(pattern, "_route")
            else _sample_regex(pattern._regex)
        )
        if isinstance(entry, URLResolver):
            yield from _api_paths(entry.url_patterns, prefix + piece)
        elif isinstance(entry, URLPattern) and "format" not in pattern.regex.groupindex:
            yield "/" + prefix + piece


API_PATHS = sorted(
    {path for path in _api_paths(get_resolver().url_patterns) if path.startswith("/api/v1/")}
)


def test_the_walk_finds_every_api_route_and_each_sample_path_resolves():
    assert len(API_PATHS) > 20
    for path in API_PATHS:
        resolve(path)  # raises Resolver404 if the sample does not match its own route
    assert f"/api/v1/cart/{SAMPLE_ID}/" in API_PATHS


@pytest.mark.parametrize("role", ["anonymous", "customer", "staff"])
def test_options_on_every_route_is_never_a_server_error(role, api_client, user, staff, client_for):
    client = {"anonymous": api_client, "customer": client_for(user), "staff": client_for(staff)}[
        role
    ]
    failures = []
    for path in API_PATHS:
        response = client.options(path)
        if response.status_code >= 500:
            failures.append((path, response.status_code))
            continue
        body = response.json()
        if response.status_code >= 400:
            assert {"code", "detail"} <= set(body), (path, body)
        else:
            assert "OPTIONS" in response["Allow"], path
            assert body["name"], path
    assert failures == []


def test_options_on_a_cart_item_answers_its_methods(api_client):
    response = api_client.options(f"/api/v1/cart/{SAMPLE_ID}/")

    assert response.status_code == 200
    assert {"PUT", "PATCH", "DELETE"} <= {m.strip() for m in response["Allow"].split(",")}
    assert response.json()["parses"][0] == "application/json"
