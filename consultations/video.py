"""Video rooms through a provider interface. The built-in `jitsi` provider needs no
account: a room is an unguessable name on VIDEO_BASE_URL (a Jitsi Meet server; the
public meet.jit.si by default, a self-hosted one in production)."""

import secrets
from typing import Protocol

from django.conf import settings


class VideoProvider(Protocol):
    name: str

    def create_room(self) -> str:
        """A new room's identifier, kept on the consultation."""

    def join_url(self, room: str) -> str:
        """Where a participant joins `room`."""


class JitsiProvider:
    name = "jitsi"

    def create_room(self) -> str:
        # 32 random bytes: a room nobody can guess or enumerate.
        return f"consultation-{secrets.token_urlsafe(32)}"

    def join_url(self, room: str) -> str:
        return f"{settings.VIDEO_BASE_URL.rstrip('/')}/{room}"


PROVIDERS: dict[str, type[VideoProvider]] = {"jitsi": JitsiProvider}


def provider(name: str | None = None) -> VideoProvider:
    """The provider `name` (VIDEO_PROVIDER by default); raises KeyError for an unknown one,
    which the settings check prevents."""
    return PROVIDERS[name or settings.VIDEO_PROVIDER]()
