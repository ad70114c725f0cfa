import json
import logging
from io import RawIOBase
from time import perf_counter

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse
from django.utils.cache import patch_cache_control, patch_vary_headers

from core.exceptions import ErrorCode, code_for_status, error_body
from core.logs import REQUEST_ID_HEADER, bind_request_id, request_id_for, unbind_request_id
from core.response_times import response_time_record
from core.routes import route_group, route_of

_REASON = {
    400: "Bad request.",
    403: "Forbidden.",
    404: "Not found.",
    405: "Method not allowed.",
    413: "Request body too large.",
    500: "A server error occurred.",
}


class _CappedStream(RawIOBase):
    """A request body of unknown length (chunked), readable up to `limit` bytes; reading
    past that raises RequestDataTooBig, which the error handlers answer with a 413."""

    def __init__(self, stream, limit: int):
        self._stream, self._left = stream, limit

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        # One byte more than is left tells "exactly the limit" from "over it".
        want = self._left + 1 if size is None or size < 0 else min(size, self._left + 1)
        data = self._stream.read(want)
        if len(data) > self._left:
            raise RequestDataTooBig("The request body is too large.")
        self._left -= len(data)
        return data

    def readline(self, size: int = -1) -> bytes:
        want = self._left + 1 if size is None or size < 0 else min(size, self._left + 1)
        data = self._stream.readline(want)
        if len(data) > self._left:
            raise RequestDataTooBig("The request body is too large.")
        self._left -= len(data)
        return data


class RequestBodyLimitMiddleware:
    """First of all middleware: a body over the limit is refused (413) from its
    Content-Length, before anything reads a byte of it. Multipart bodies (uploads) may
    reach MAX_MULTIPART_BODY_BYTES, every other body MAX_REQUEST_BODY_BYTES. A body whose
    length is not announced (chunked; the server then ends the stream itself, which it
    says with `wsgi.input_terminated`) is read through a stream that stops at the limit."""

    def __init__(self, get_response):
        self.get_response = get_response

    @staticmethod
    def limit_for(request) -> int:
        content_type = request.META.get("CONTENT_TYPE", "").lower()
        if content_type.startswith("multipart/"):
            return settings.MAX_MULTIPART_BODY_BYTES
        return settings.MAX_REQUEST_BODY_BYTES

    def __call__(self, request):
        limit = self.limit_for(request)
        declared = request.META.get("CONTENT_LENGTH", "")
        if declared:
            try:
                length = int(declared)
            except ValueError:
                length = -1
            if length < 0:
                return JsonResponse(
                    error_body(
                        ErrorCode.VALIDATION_ERROR, "The Content-Length header is not a length."
                    ),
                    status=400,
                )
            if length > limit:
                detail = f"The request body is too large: at most {limit} bytes are accepted."
                return JsonResponse(error_body(ErrorCode.REQUEST_TOO_LARGE, detail), status=413)
        elif getattr(request, "environ", {}).get("wsgi.input_terminated"):
            # Django reads nothing of a body without Content-Length; code that reads the
            # raw stream (request.body) gets at most the limit, then a 413.
            request._stream = _CappedStream(request.environ["wsgi.input"], limit)
        return self.get_response(request)


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
        body = error_body(code_for_status(status), _REASON.get(status, "Error."))
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


# --- Request ids, the access log and the response-time KPI -----------------------------

access_logger = logging.getLogger("access")


class RequestLogMiddleware:
    """The outermost layer: gives the request its id (`X-Request-ID` on every answer, in
    every log line), writes the one access-log line of the request and counts its
    duration for the API response-time KPI (core.response_times)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_for(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = request_id
        token = bind_request_id(request_id)
        start = perf_counter()
        try:
            response = self.get_response(request)
            duration_ms = (perf_counter() - start) * 1000
            response[REQUEST_ID_HEADER] = request_id
            self._log(request, response.status_code, duration_ms)
            if settings.API_RESPONSE_TIMES:
                group = route_group(request)
                if group is not None:
                    response_time_record(group=group, duration_ms=duration_ms)
        finally:
            unbind_request_id(token)
        return response

    @staticmethod
    def _log(request, status: int, duration_ms: float) -> None:
        level = (
            logging.ERROR if status >= 500 else logging.WARNING if status >= 400 else logging.INFO
        )
        if not access_logger.isEnabledFor(level):
            return
        route = route_of(request)
        user = getattr(request, "user", None)
        user_id = str(user.pk) if user is not None and user.is_authenticated else None
        access_logger.log(
            level,
            "%s %s %s %.1fms",
            request.method,
            route or "<unmatched>",
            status,
            duration_ms,
            extra={
                "method": request.method,
                "route": route,
                "status": status,
                "duration_ms": round(duration_ms, 1),
                "user_id": user_id,
            },
        )
