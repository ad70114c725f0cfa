"""What a receiver would do with a request: check its signature (computed here on its
own, not with the code that signs) and read its body."""

import hashlib
import hmac
import json


def signature_parts(header: str) -> tuple[int, str]:
    parts = dict(item.split("=", 1) for item in header.split(","))
    return int(parts["t"]), parts["v1"]


def signature_is_valid(*, secret: str, request) -> bool:
    timestamp, received = signature_parts(request.headers["X-Webhook-Signature"])
    expected = hmac.new(
        secret.encode("utf-8"),
        f"{timestamp}.".encode() + request.body,
        hashlib.sha256,
    ).hexdigest()
    return hmac.compare_digest(expected, received)


def body_of(request) -> dict:
    return json.loads(request.body)


def types_received(receiver) -> list[str]:
    return [request.headers["X-Webhook-Event"] for request in receiver.requests]
