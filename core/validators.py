from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError
from rest_framework import serializers

ALLOWED_IMAGE_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}


def validate_image_upload(file):
    """Accept only real JPEG/PNG/WebP/GIF images under the configured size caps (bytes,
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
        raise serializers.ValidationError(
            _("Upload a valid image (JPEG, PNG, WebP or GIF).")
        ) from None
    finally:
        file.seek(0)
    if image_format not in ALLOWED_IMAGE_FORMATS:
        raise serializers.ValidationError(_("Upload a valid image (JPEG, PNG, WebP or GIF)."))
    return file
