"""Where skin photos live: outside MEDIA_ROOT (which a web server may serve as it is),
under PRIVATE_MEDIA_ROOT, with no public URL. Only skin.views hands a photo out, to the
callers skin.selectors allows."""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateMediaStorage(FileSystemStorage):
    # Read from the settings on every use (not once at import): tests and deployments
    # point PRIVATE_MEDIA_ROOT elsewhere after the models are loaded.
    @property
    def base_location(self):
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise NotImplementedError("Private files have no URL; serve them through a view.")


private_storage = PrivateMediaStorage()


def get_private_storage() -> PrivateMediaStorage:
    """The storage of the skin photos (a callable, so the migration does not record a path)."""
    return private_storage
