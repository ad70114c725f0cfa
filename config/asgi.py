"""The ASGI application: the REST API and admin over HTTP, and the conversations socket at
/ws/v1/conversations/ on the same port. Production runs it with gunicorn's own ASGI worker
(config/gunicorn.py); `make run` serves it with daphne's runserver."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Django first: the handler and the routing below import models.
django.setup(set_prefix=False)

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from conversations.auth import JWTAuthMiddleware  # noqa: E402
from conversations.routing import websocket_urlpatterns  # noqa: E402
from core.asgi import BoundedASGIHandler  # noqa: E402

# Django's handler with a cap on concurrent views (and so on database connections) and on
# the body it reads (core/asgi.py).
django_application = BoundedASGIHandler()

application = ProtocolTypeRouter(
    {
        "http": django_application,
        # No Origin check: sockets authenticate with a token the page must hold (never a
        # cookie), so another site cannot ride on a user's session; apps and scripts that
        # send no Origin work too.
        "websocket": JWTAuthMiddleware(URLRouter(websocket_urlpatterns)),
    }
)
