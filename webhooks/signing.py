"""The signature of a webhook request: `X-Webhook-Signature: t=<unix time>,v1=<hex>`, where
the hex is HMAC-SHA256, keyed with the endpoint's secret exactly as shown to staff, of
`"<t>.<body>"` (the body's bytes as sent). A receiver recomputes it, compares in constant
time, and refuses an old `t` (a replayed request)."""

import hashlib
import hmac


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(*, secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret=secret, timestamp=timestamp, body=body)}"
