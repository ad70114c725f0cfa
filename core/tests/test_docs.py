"""The API docs work offline: the schema is served and the UIs load local assets only."""

import re

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db

ASSET_URL = re.compile(r"""(?:src|href)=["']([^"']+)["']""")


def test_schema_is_served_as_openapi_3(api_client):
    response = api_client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Marketplace API"


def test_schema_documents_the_health_check(api_client):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()

    health = schema["paths"]["/health/"]["get"]
    assert {"200", "503"} <= set(health["responses"])


@pytest.mark.parametrize(
    ("url", "bundle"),
    [
        ("/api/docs/", "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"),
        ("/api/redoc/", "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"),
    ],
)
def test_docs_pages_load_their_scripts_from_local_static_files(api_client, url, bundle):
    response = api_client.get(url)

    assert response.status_code == 200
    html = response.content.decode()
    scripts = re.findall(r"""<script[^>]*\ssrc=["']([^"']+)["']""", html)
    assert f"/static/{bundle}" in scripts
    assert all(src.startswith("/static/") for src in scripts), scripts
    assert "cdn" not in html.lower()
    # The file behind the URL really ships with the project.
    assert finders.find(bundle) is not None


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_reference_no_remote_asset(api_client, url):
    html = api_client.get(url).content.decode()

    remote = [url for url in ASSET_URL.findall(html) if "//" in url]
    assert remote == []
