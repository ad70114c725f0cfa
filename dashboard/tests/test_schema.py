import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(api_client):
    return api_client.get("/api/schema/", {"format": "json"}).json()


def test_metrics_are_documented_with_their_parameters_answer_and_errors(schema):
    operation = schema["paths"]["/api/v1/dashboard/metrics/"]["get"]

    assert {p["name"] for p in operation["parameters"]} == {"from", "to", "top", "low_stock"}
    assert {"200", "400", "401", "403"} <= set(operation["responses"])
    body = operation["responses"]["200"]["content"]["application/json"]["schema"]
    metrics = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    assert {
        "revenue",
        "orders_by_status",
        "order_completion_rate",
        "payment_success_rate",
        "cart_to_order_conversion",
        "average_order_value",
        "top_products",
        "low_stock",
        "window",
    } <= set(metrics["properties"])
    assert "conversion" in operation["description"].lower()


def test_the_export_is_documented_as_csv(schema):
    operation = schema["paths"]["/api/v1/dashboard/metrics/export/"]["get"]

    assert set(operation["responses"]["200"]["content"]) == {"text/csv"}
    assert {p["name"] for p in operation["parameters"]} == {"from", "to", "top", "low_stock"}
