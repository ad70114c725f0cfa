import csv
import io

import pytest

from catalog.tests.factories import ProductFactory
from dashboard.exports import metrics_csv
from dashboard.tests.helpers import MARCH, metrics, place
from orders.models import OrderStatus
from payments.models import PaymentStatus

pytestmark = pytest.mark.django_db

URL = "/api/v1/dashboard/metrics/export/"


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_export_is_a_csv_attachment_of_the_same_figures(staff_client):
    product = ProductFactory(name="Night Cream")
    place(lines=[(product, 2, "10.00")], payment=PaymentStatus.PARTIALLY_REFUNDED, refunded="4.00")
    place(lines=[(product, 1, "10.00")], status=OrderStatus.PENDING)

    response = staff_client.get(URL, MARCH)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="metrics-all-2026-03-01-2026-03-31.csv"'
    )
    rows = rows_of(response)
    assert rows[0] == ["section", "key", "value"]
    assert ["revenue", "USD.gross", "20.00"] in rows
    assert ["revenue", "USD.refunds", "4.00"] in rows
    assert ["revenue", "USD.net", "16.00"] in rows
    assert ["orders_by_status", "pending", "1"] in rows
    assert ["orders_by_status", "cancelled", "0"] in rows
    assert ["order_completion_rate", "", "1.0000"] in rows
    assert ["window", "from", "2026-03-01T00:00:00Z"] in rows
    assert ["top_products", "by_units.1.name", "Night Cream"] in rows
    assert ["top_products", "by_units.1.units", "2"] in rows
    assert ["scope", "", "all"] in rows


def test_export_carries_every_figure_of_the_json_answer(staff_client):
    place(lines=[(ProductFactory(), 1, "10.00")])

    rows = rows_of(staff_client.get(URL, MARCH))
    data = metrics(staff_client, **MARCH)

    assert {row[0] for row in rows[1:]} == set(data)


@pytest.mark.parametrize("accept", ["text/csv", "application/json", "text/html", "*/*"])
def test_export_answers_csv_whatever_the_client_accepts(staff_client, accept):
    response = staff_client.get(URL, MARCH, HTTP_ACCEPT=accept)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")


def test_export_errors_are_json_even_when_csv_is_asked_for(staff_client):
    response = staff_client.get(URL, {"from": "nonsense"}, HTTP_ACCEPT="text/csv")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "validation_error"


def test_a_seller_exports_only_their_own_figures(seller, seller_client):
    place(lines=[(ProductFactory(created_by=seller, name="Mine"), 1, "10.00")])
    place(lines=[(ProductFactory(name="Theirs"), 1, "99.00")])

    response = seller_client.get(URL, MARCH)

    assert response.status_code == 200
    assert "metrics-seller-" in response["Content-Disposition"]
    rows = rows_of(response)
    assert ["revenue", "USD.gross", "10.00"] in rows
    assert not any("Theirs" in row[2] for row in rows)


def test_formula_like_product_names_are_defused_in_the_csv(staff_client):
    place(lines=[(ProductFactory(name='=HYPERLINK("http://evil.example")'), 1, "10.00")])

    rows = rows_of(staff_client.get(URL, MARCH))

    names = [row[2] for row in rows if row[0] == "top_products" and row[1].endswith(".name")]
    assert names == ['\'=HYPERLINK("http://evil.example")'] * 2


def test_negative_numbers_are_not_mangled_by_the_formula_guard():
    text = metrics_csv({"figures": {"delta": "-1.50", "name": "-cream"}})

    assert text.splitlines()[1:] == ["figures,delta,-1.50", "figures,name,'-cream"]
