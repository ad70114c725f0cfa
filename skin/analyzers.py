"""Skin analyzers: `analyze(image) -> Measures` on a decoded, upright RGB photo.

The built-in one measures three things with Pillow and plain Python (no numpy), on the
photo downscaled to ANALYSIS_MAX_SIDE pixels at most so the per-pixel loops stay fast:

- skin pixels: the YCbCr rule of Chai and Ngan (1999), 77 <= Cb <= 127 and
  133 <= Cr <= 173, with Y >= 40 to leave out shadows. Fewer than MIN_SKIN_SHARE of the
  pixels (or MIN_SKIN_PIXELS) is NotEnoughSkin: no numbers are made up from a photo that
  shows too little skin.
- redness: the mean CIELAB a* (D65, from sRGB) over the skin pixels.
- shine: specular highlights (L* >= HIGHLIGHT_MIN_L, chroma sqrt(a*^2 + b*^2) <=
  HIGHLIGHT_MAX_CHROMA) next to skin (within HIGHLIGHT_REACH pixels of a skin pixel: a
  highlight is too white to pass the skin rule itself), as a share of skin + highlights.
- evenness: 1 - sigma / EVENNESS_SCALE (at least 0), sigma the RMS colour distance
  (CIE76 delta E) of the skin pixels to their mean colour, sqrt(var L* + var a* + var b*).

Another analyzer (a model, a vendor) plugs in through the SKIN_ANALYZER setting: a dotted
path to a class with a `name` and `analyze(image) -> Measures`."""

from dataclasses import asdict, dataclass
from functools import lru_cache
from math import sqrt
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string
from PIL import Image, ImageFilter

ANALYSIS_MAX_SIDE = 256
MIN_SKIN_SHARE = 0.15
MIN_SKIN_PIXELS = 500
HIGHLIGHT_MIN_L = 80.0
HIGHLIGHT_MAX_CHROMA = 12.0
HIGHLIGHT_REACH = 4
EVENNESS_SCALE = 20.0


@dataclass(frozen=True)
class Measures:
    skin_pixel_share: float
    skin_pixels: int
    redness: float
    shine: float
    evenness: float
    mean_lightness: float

    def as_dict(self) -> dict:
        return asdict(self)


class NotEnoughSkin(Exception):
    """The photo shows too little skin to measure."""

    def __init__(self, share: float):
        super().__init__(f"Only {share:.0%} of the photo looks like skin.")
        self.share = share


class SkinAnalyzer(Protocol):
    name: str

    def analyze(self, image: Image.Image) -> Measures: ...


def _linear(channel: int) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


_LINEAR = [_linear(c) for c in range(256)]
_EPSILON = (6 / 29) ** 3


def _f(t: float) -> float:
    return t ** (1 / 3) if t > _EPSILON else t / (3 * (6 / 29) ** 2) + 4 / 29


@lru_cache(maxsize=65536)
def srgb_to_lab(r: int, g: int, b: int) -> tuple[float, float, float]:
    """CIELAB (D65 white) of an sRGB colour."""
    lr, lg, lb = _LINEAR[r], _LINEAR[g], _LINEAR[b]
    x = (0.4124564 * lr + 0.3575761 * lg + 0.1804375 * lb) / 0.95047
    y = 0.2126729 * lr + 0.7151522 * lg + 0.0721750 * lb
    z = (0.0193339 * lr + 0.1191920 * lg + 0.9503041 * lb) / 1.08883
    fx, fy, fz = _f(x), _f(y), _f(z)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def is_skin(y: int, cb: int, cr: int) -> bool:
    return y >= 40 and 77 <= cb <= 127 and 133 <= cr <= 173


class BuiltinSkinAnalyzer:
    """The measures above, from the pixels alone."""

    name = "builtin-ycbcr-lab-v1"

    def analyze(self, image: Image.Image) -> Measures:
        rgb = image.convert("RGB")
        rgb.thumbnail((ANALYSIS_MAX_SIDE, ANALYSIS_MAX_SIDE))
        ycbcr = rgb.convert("YCbCr")
        raw_rgb, raw_ycc = rgb.tobytes(), ycbcr.tobytes()
        colours = [tuple(raw_rgb[i : i + 3]) for i in range(0, len(raw_rgb), 3)]
        total = len(colours)
        skin_flags = bytes(
            255 if is_skin(raw_ycc[i], raw_ycc[i + 1], raw_ycc[i + 2]) else 0
            for i in range(0, len(raw_ycc), 3)
        )
        skin_count = skin_flags.count(255)
        share = skin_count / total if total else 0.0
        if skin_count < MIN_SKIN_PIXELS or share < MIN_SKIN_SHARE:
            raise NotEnoughSkin(share)

        mask = Image.frombytes("L", rgb.size, skin_flags)
        near_skin = mask.filter(ImageFilter.MaxFilter(2 * HIGHLIGHT_REACH + 1)).tobytes()

        sum_l = sum_a = sum_b = sum_ll = sum_aa = sum_bb = 0.0
        highlights = 0
        for index, colour in enumerate(colours):
            lab = srgb_to_lab(*colour)
            if skin_flags[index]:
                lightness, a, b = lab
                sum_l += lightness
                sum_a += a
                sum_b += b
                sum_ll += lightness * lightness
                sum_aa += a * a
                sum_bb += b * b
            elif near_skin[index]:
                lightness, a, b = lab
                if lightness >= HIGHLIGHT_MIN_L and sqrt(a * a + b * b) <= HIGHLIGHT_MAX_CHROMA:
                    highlights += 1
        n = skin_count
        mean_l, mean_a, mean_b = sum_l / n, sum_a / n, sum_b / n
        variance = (
            max(sum_ll / n - mean_l**2, 0.0)
            + max(sum_aa / n - mean_a**2, 0.0)
            + max(sum_bb / n - mean_b**2, 0.0)
        )
        evenness = max(0.0, 1.0 - sqrt(variance) / EVENNESS_SCALE)
        return Measures(
            skin_pixel_share=round(share, 4),
            skin_pixels=n,
            redness=round(mean_a, 2),
            shine=round(highlights / (n + highlights), 4),
            evenness=round(evenness, 4),
            mean_lightness=round(mean_l, 2),
        )


def analyzer_get() -> SkinAnalyzer:
    """The analyzer the SKIN_ANALYZER setting names (a dotted path to a class)."""
    return import_string(settings.SKIN_ANALYZER)()


@dataclass(frozen=True)
class Threshold:
    measure: str
    concern: str
    above: bool  # the concern is suggested at or above the value (else at or below)
    value: float
    why: str


# Where a measure starts to suggest a concern. Set on generated patches and a few
# typical skin tones: untroubled skin in daylight has a mean a* of roughly 10-18, a
# flushed or inflamed area 22 and more; a shine share over 3 % means visible oily
# highlights; an RMS colour spread over 6 delta E (evenness 0.7) is visible blotchiness.
THRESHOLDS = (
    Threshold("redness", "redness", True, 22.0, "mean a* (red-green axis) of the skin"),
    Threshold("shine", "pores", True, 0.03, "share of specular highlights (oiliness)"),
    Threshold("evenness", "pigmentation", False, 0.7, "uneven tone across the skin"),
)


def photo_concerns(measures: dict) -> list[dict]:
    """The concerns the measures suggest, each with the measure, its value and the
    threshold it crossed."""
    found = []
    for threshold in THRESHOLDS:
        value = measures.get(threshold.measure)
        if value is None:
            continue
        crossed = value >= threshold.value if threshold.above else value <= threshold.value
        if crossed:
            found.append(
                {
                    "concern": threshold.concern,
                    "measure": threshold.measure,
                    "value": value,
                    "threshold": threshold.value,
                    "why": threshold.why,
                }
            )
    return found
