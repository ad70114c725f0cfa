"""Generated photos whose measures are known in advance."""

import io

from PIL import Image, ImageDraw

NEUTRAL_SKIN = (224, 172, 140)  # a light skin tone: a* about 15
RED_SKIN = (210, 130, 115)  # flushed: a* about 29, still inside the skin rule
DARK_PATCH = (160, 105, 80)
HIGHLIGHT = (250, 250, 248)


def patch(colour=NEUTRAL_SKIN, size=(200, 200)) -> Image.Image:
    return Image.new("RGB", size, colour)


def shiny(size=(200, 200)) -> Image.Image:
    image = patch(size=size)
    draw = ImageDraw.Draw(image)
    for x in range(10, size[0], 30):
        for y in range(10, size[1], 30):
            draw.ellipse([x, y, x + 7, y + 7], fill=HIGHLIGHT)
    return image


def blotchy(size=(200, 200)) -> Image.Image:
    image = patch(size=size)
    draw = ImageDraw.Draw(image)
    for x in range(0, size[0], 40):
        for y in range(0, size[1], 40):
            draw.rectangle([x, y, x + 19, y + 19], fill=DARK_PATCH)
    return image


def encoded(image: Image.Image, image_format="JPEG", **save) -> bytes:
    out = io.BytesIO()
    image.save(out, format=image_format, **save)
    return out.getvalue()
