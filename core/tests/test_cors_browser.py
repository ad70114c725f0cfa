"""A page on another origin calls the API from a real browser: the preflight passes, the
guest cart's X-Cart-Token is readable from JavaScript and sent back."""

import http.server
import threading
from decimal import Decimal

import pytest

from catalog.tests.factories import ProductFactory
from core.tests.browser import page  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGE = """<!doctype html><title>shop</title><script>
async function run(api, productId) {
  const added = await fetch(api + "/cart/", {
    method: "POST",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify({product_id: productId, quantity: 2}),
  });
  const token = added.headers.get("X-Cart-Token");
  const cart = await fetch(api + "/cart/", {headers: {"X-Cart-Token": token}});
  const body = await cart.json();
  return {status: added.status, token: token, items: body.item_count, total: body.total,
          requestId: cart.headers.get("X-Request-ID")};
}
</script>"""


@pytest.fixture
def other_origin():
    """A static page served from another origin (another port)."""

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(PAGE.encode())

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_a_page_on_an_allowed_origin_uses_a_guest_cart(
    live_server,
    page,  # noqa: F811
    other_origin,
    settings,
):
    settings.CORS_ALLOWED_ORIGINS = [other_origin]
    product = ProductFactory(price=Decimal("9.50"), stock_quantity=5)
    page.goto(other_origin)

    result = page.evaluate(
        "([api, id]) => run(api, id)", [f"{live_server.url}/api/v1", str(product.pk)]
    )

    assert result["status"] == 200
    assert result["token"]
    assert (result["items"], result["total"]) == (2, "19.00")
    assert result["requestId"]


def test_a_page_on_another_origin_is_refused_by_the_browser(
    live_server,
    page,  # noqa: F811
    other_origin,
    settings,
):
    settings.CORS_ALLOWED_ORIGINS = ["https://shop.example.com"]
    product = ProductFactory()
    page.goto(other_origin)

    error = page.evaluate(
        "([api, id]) => run(api, id).then(() => null, (e) => String(e))",
        [f"{live_server.url}/api/v1", str(product.pk)],
    )

    assert error and "Failed to fetch" in error
