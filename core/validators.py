from collections.abc import Iterable

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError
from rest_framework import serializers

ALLOWED_IMAGE_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}


def validate_image_upload(file, *, formats: Iterable[str] = ALLOWED_IMAGE_FORMATS):
    """Accept only real images of `formats` (Pillow's names; by default JPEG, PNG, WebP
    and GIF) under the configured size caps (bytes,
    and pixels: MAX_IMAGE_PIXELS refuses decompression bombs, tiny files that expand to
    hundreds of megabytes once decoded).

    The content is decoded with Pillow: the file name and the client's content type
    are never trusted. Raises a DRF ValidationError (a 400 in the SPEC shape)."""
    limit = settings.MAX_IMAGE_UPLOAD_BYTES
    if file.size > limit:
        raise serializers.ValidationError(
            _("Image is too large (%(size)d bytes); the limit is %(limit)d bytes.")
            % {"size": file.size, "limit": limit}
        )
    try:
        file.seek(0)
        with Image.open(file) as image:
            image_format = image.format
            width, height = image.size
            # Read from the header, before any pixel is decoded.
            max_pixels = settings.MAX_IMAGE_PIXELS
            if width * height > max_pixels:
                raise serializers.ValidationError(
                    _("Image is %(width)dx%(height)d pixels; the limit is %(limit)d pixels.")
                    % {"width": width, "height": height, "limit": max_pixels}
                )
            image.verify()
    except serializers.ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        image_format = None
    finally:
        file.seek(0)
    if image_format not in formats:
        raise serializers.ValidationError(
            _("Upload a valid image (%(formats)s).") % {"formats": _format_names(formats)}
        )
    return file


def _format_names(formats: Iterable[str]) -> str:
    names = [{"WEBP": "WebP"}.get(name, name) for name in _FORMAT_ORDER if name in formats]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


_FORMAT_ORDER = ("JPEG", "PNG", "WEBP", "GIF")
