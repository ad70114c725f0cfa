import json

from django.conf import settings
from django.http import HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers

from core.exceptions import _CODE_BY_STATUS, error_body

_REASON = {
    400: "Bad request.",
    403: "Forbidden.",
    404: "Not found.",
    405: "Method not allowed.",
    413: "Request body too large.",
    500: "A server error occurred.",
}


class ApiErrorPagesMiddleware:
    """Turn Django's own HTML error pages (unknown URL, oversize body, bad host...) into
    the JSON error shape, so clients see one format whatever layer refused them.
    The admin keeps its HTML pages; DEBUG keeps the traceback page of a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        status = response.status_code
        if (
            status < 400
            or response.get("Content-Type", "").startswith("application/json")
            or request.path.startswith("/admin/")
            or (settings.DEBUG and status >= 500)
        ):
            return response
        body = error_body(_CODE_BY_STATUS.get(status, "error"), _REASON.get(status, "Error."))
        json_response = HttpResponse(
            json.dumps(body), status=status, content_type="application/json"
        )
        # Keep what inner layers decided about methods, retries and caching.
        for header in ("Allow", "Retry-After", "Cache-Control", "Vary"):
            if header in response:
                json_response[header] = response[header]
        return json_response


class PrivateResponseCacheMiddleware:
    """Answers to a caller that identifies itself (a bearer token or a cart token) or that
    writes are private: no shared or browser cache may keep them."""

    PRIVATE_HEADERS = ("HTTP_AUTHORIZATION", "HTTP_X_CART_TOKEN")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith("/api/"):
            return response
        identified = any(request.META.get(h) for h in self.PRIVATE_HEADERS)
        if identified or request.method not in ("GET", "HEAD", "OPTIONS"):
            patch_cache_control(response, no_store=True, private=True)
        patch_vary_headers(response, ("Authorization", "X-Cart-Token"))
        return response
