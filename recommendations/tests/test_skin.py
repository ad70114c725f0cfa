"""users/me/recommendations/ and the skin profile: products meeting its concerns, with
the concern in the reason; its allergies keep products out whatever the source."""

import pytest

from catalog.tests.factories import ProductFactory
from orders.models import OrderStatus
from recommendations.models import RecommendationKind
from recommendations.tests.factories import ProductRecommendationFactory
from recommendations.tests.test_api import ME, order_with
from skin.services import skin_profile_save

pytestmark = pytest.mark.django_db


def test_skin_profile_concerns_bring_matching_products_with_the_concern_as_reason(
    user, user_client
):
    skin_profile_save(user=user, skin_type="oily", concerns=["acne", "pores"])
    both = ProductFactory(name="Both", concerns=["acne", "pores"], skin_types=["oily"])
    acne = ProductFactory(name="Acne", concerns=["acne"])
    dry = ProductFactory(name="Dry only", concerns=["acne"], skin_types=["dry"])

    results = user_client.get(ME).json()["results"]

    reasons = {r["product"]["id"]: r["reason"] for r in results}
    assert reasons[str(both.pk)] == "For your acne and pores (skin profile)"
    assert reasons[str(acne.pk)] == "For your acne (skin profile)"
    assert [r["product"]["name"] for r in results][:2] == ["Both", "Acne"]
    # Not for an oily skin: only the top-rated fallback may still list it.
    assert "skin profile" not in reasons.get(str(dry.pk), "")


def test_allergens_are_never_recommended_whatever_the_source(user, user_client):
    skin_profile_save(user=user, concerns=["acne"], allergies=["Fragrance"])
    bought = ProductFactory()
    order_with(bought, status=OrderStatus.DELIVERED, user=user)
    scented_pair = ProductFactory(name="Scented pair", ingredients=["fragrance"])
    ProductRecommendationFactory(
        product=bought, recommended=scented_pair, kind=RecommendationKind.BOUGHT_TOGETHER, score=5
    )
    ProductFactory(name="Scented acne", concerns=["acne"], ingredients=["fragrance"])
    ProductFactory(name="Scented top", ingredients=["fragrance", "water"])

    names = [r["product"]["name"] for r in user_client.get(ME).json()["results"]]

    assert not [name for name in names if name.startswith("Scented")], names
