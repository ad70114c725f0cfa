"""The built-in analyzer on generated photos, and the concerns its measures suggest."""

import pytest
from PIL import Image

from skin.analyzers import BuiltinSkinAnalyzer, NotEnoughSkin, photo_concerns, srgb_to_lab
from skin.tests import images

analyzer = BuiltinSkinAnalyzer()


def test_lab_conversion_matches_reference_values():
    # White is L*=100, a*=b*=0; pure sRGB red is L*=53.24, a*=80.09, b*=67.20.
    lightness, a, b = srgb_to_lab(255, 255, 255)
    assert lightness == pytest.approx(100, abs=0.01)
    assert a == pytest.approx(0, abs=0.01) and b == pytest.approx(0, abs=0.01)
    assert srgb_to_lab(255, 0, 0) == pytest.approx((53.24, 80.09, 67.20), abs=0.05)


def test_a_red_patch_scores_more_redness_than_a_neutral_one():
    neutral = analyzer.analyze(images.patch(images.NEUTRAL_SKIN))
    red = analyzer.analyze(images.patch(images.RED_SKIN))

    assert red.redness > neutral.redness + 10
    assert neutral.skin_pixel_share == red.skin_pixel_share == 1.0


def test_highlights_score_more_shine():
    plain = analyzer.analyze(images.patch())
    shiny = analyzer.analyze(images.shiny())

    assert plain.shine == 0.0
    assert 0.03 < shiny.shine < 0.2


def test_a_blotchy_patch_is_less_even():
    even = analyzer.analyze(images.patch())
    blotchy = analyzer.analyze(images.blotchy())

    assert even.evenness == 1.0
    assert blotchy.evenness < 0.7


def test_a_photo_without_skin_reports_too_few_skin_pixels():
    with pytest.raises(NotEnoughSkin) as raised:
        analyzer.analyze(images.patch((0, 0, 255)))

    assert raised.value.share == 0.0


def test_a_large_photo_is_downscaled_before_measuring():
    measures = analyzer.analyze(Image.new("RGB", (3000, 2000), images.NEUTRAL_SKIN))

    assert measures.skin_pixels <= 256 * 256


def test_measures_map_to_concerns_at_the_thresholds():
    assert photo_concerns({"redness": 14.8, "shine": 0.0, "evenness": 1.0}) == []
    found = photo_concerns({"redness": 29.2, "shine": 0.06, "evenness": 0.45})
    assert [item["concern"] for item in found] == ["redness", "pores", "pigmentation"]
    assert found[0] == {
        "concern": "redness",
        "measure": "redness",
        "value": 29.2,
        "threshold": 22.0,
        "why": "mean a* (red-green axis) of the skin",
    }
    # On the threshold counts.
    assert [i["concern"] for i in photo_concerns({"redness": 22.0})] == ["redness"]
    assert [i["concern"] for i in photo_concerns({"evenness": 0.7})] == ["pigmentation"]
