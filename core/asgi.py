"""Django's ASGI handler with two bounds a production server needs.

Under ASGI a slow client costs nothing while it sends: the body is awaited on the event
loop, and only a complete request reaches a view. But every view then runs in a thread of
its own, each with its own database connection, and nothing limits how many run at once. So:

- at most ASGI_MAX_CONCURRENT_REQUESTS views run at once per process (the others wait on
  the loop, holding no thread and no connection), and each request's database connections
  are closed before its slot is given to the next: a process holds at most that many
  connections, an instance workers x that many;
- a body over the limit (RequestBodyLimitMiddleware's, from its Content-Length) is not read
  at all, and one of unknown length (chunked) is read only up to the limit: Django's ASGI
  handler would otherwise read all of it, to a temporary file, before any middleware can
  refuse it.
"""

import asyncio

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from django.db import connections


def body_limit_for(content_type: str) -> int:
    # The same rule as core.middleware.RequestBodyLimitMiddleware.limit_for.
    if content_type.lower().startswith("multipart/"):
        return settings.MAX_MULTIPART_BODY_BYTES
    return settings.MAX_REQUEST_BODY_BYTES


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


class _BodyLimit:
    """A `receive` that stops reading a body once it is known to be over the limit. The
    request then carries a Content-Length over the limit (its own, or the bytes received
    so far when it announced none), which the middleware answers with a 413 as usual."""

    def __init__(self, scope, receive, limit: int):
        self._scope, self._receive, self._limit = scope, receive, limit
        self._received = 0
        self._done = False
        declared = _header(scope, b"content-length")
        try:
            self._declared = int(declared) if declared is not None else None
        except ValueError:
            self._declared = None  # the middleware answers a malformed length with a 400

    async def __call__(self):
        if self._done:
            # After the body Django only listens for a disconnect; what is left of a body
            # it refused (the client may still be sending it) is dropped.
            while True:
                message = await self._receive()
                if message["type"] != "http.request":
                    return message
        if self._declared is not None and self._declared > self._limit:
            self._done = True
            return {"type": "http.request", "body": b"", "more_body": False}
        message = await self._receive()
        if message["type"] != "http.request":
            return message
        self._received += len(message.get("body", b""))
        if not message.get("more_body", False):
            self._done = True
        elif self._declared is None and self._received > self._limit:
            self._done = True
            self._scope["headers"] = [
                *self._scope.get("headers", []),
                (b"content-length", str(self._received).encode()),
            ]
            return {"type": "http.request", "body": b"", "more_body": False}
        return message


class BoundedASGIHandler(ASGIHandler):
    def __init__(self):
        # Django's ASGIHandler builds the middleware chain in async mode. Every middleware
        # and view here is synchronous, and an async chain of sync middleware hops between
        # the event loop and a thread at each one that can do both (a dozen hops, 2-3 ms a
        # request). Built in sync mode, the whole request runs in one hop.
        super(ASGIHandler, self).__init__()
        self.load_middleware(is_async=False)
        self._slots = asyncio.Semaphore(settings.ASGI_MAX_CONCURRENT_REQUESTS)

    async def handle(self, scope, receive, send):
        limit = body_limit_for(_header(scope, b"content-type") or "")
        await super().handle(scope, _BodyLimit(scope, receive, limit), send)

    async def run_get_response(self, request):
        async with self._slots:
            return await super().run_get_response(request)

    async def get_response_async(self, request):
        # The sync chain, in the request's own thread (thread-sensitive), which its
        # response's close() and the request_finished signal later run in too.
        return await sync_to_async(self._respond, thread_sensitive=True)(request)

    def _respond(self, request):
        try:
            return self.get_response(request)
        finally:
            # Before the slot goes to the next request: the connections the view opened
            # are closed (given back to the pool, with DB_POOL), so a process never holds
            # more than its slots' worth.
            connections.close_all()
