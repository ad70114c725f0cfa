"""The ASGI application: the REST API and admin over HTTP, and the conversations socket at
/ws/v1/conversations/ on the same port. Production runs it with gunicorn and the uvicorn
worker (or daphne); `make run` serves it with daphne's runserver."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Django first: the routing below imports models.
django_application = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from conversations.auth import JWTAuthMiddleware  # noqa: E402
from conversations.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_application,
        # No Origin check: sockets authenticate with a token the page must hold (never a
        # cookie), so another site cannot ride on a user's session; apps and scripts that
        # send no Origin work too.
        "websocket": JWTAuthMiddleware(URLRouter(websocket_urlpatterns)),
    }
)
