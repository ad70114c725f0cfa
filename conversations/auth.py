"""JWT authentication of sockets: the access token comes as `?token=<access>` or as a
WebSocket subprotocol pair (`Sec-WebSocket-Protocol: bearer, <access>`, answered with
`bearer`). Only a valid, unexpired access token of an active user (not revoked by a
password change) authenticates, exactly as on the REST API."""

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

SUBPROTOCOL = "bearer"
MAX_TOKEN_LENGTH = 2048


def _token_from(scope) -> tuple[str | None, str | None]:
    """(token, subprotocol to accept)."""
    protocols = [p.strip() for p in scope.get("subprotocols") or []]
    if SUBPROTOCOL in protocols:
        position = protocols.index(SUBPROTOCOL)
        if position + 1 < len(protocols):
            return protocols[position + 1], SUBPROTOCOL
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    tokens = query.get("token") or []
    return (tokens[0] if tokens else None), None


@database_sync_to_async
def _user_for(token: str):
    authentication = JWTAuthentication()
    try:
        validated = authentication.get_validated_token(token.encode())
        return authentication.get_user(validated)
    except (InvalidToken, TokenError, AuthenticationFailed):
        return AnonymousUser()


class JWTAuthMiddleware:
    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        token, subprotocol = _token_from(scope)
        user = AnonymousUser()
        if token and len(token) <= MAX_TOKEN_LENGTH:
            user = await _user_for(token)
        scope = {**scope, "user": user, "accepted_subprotocol": subprotocol}
        return await self.inner(scope, receive, send)
