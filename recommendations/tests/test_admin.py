import pytest
from django.urls import reverse

from catalog.tests.factories import CategoryFactory, ProductFactory
from recommendations.models import ProductRecommendation, RecommendationKind
from recommendations.tests.factories import ProductRecommendationFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:recommendations_productrecommendation_changelist"


@pytest.fixture
def admin_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser(email="root@example.com", password="x")
    client.force_login(admin)
    return client


def test_admin_lists_recommendations_filtered_by_kind_and_searched_by_product(admin_client):
    wanted = ProductRecommendationFactory(
        product=ProductFactory(name="Rose Serum"), kind=RecommendationKind.SIMILAR
    )
    ProductRecommendationFactory(
        product=ProductFactory(name="Rose Oil"), kind=RecommendationKind.BOUGHT_TOGETHER
    )
    ProductRecommendationFactory(product=ProductFactory(name="Balm"))

    response = admin_client.get(reverse(CHANGELIST), {"kind": "similar", "q": "rose"})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [wanted]


def test_admin_recommendations_are_read_only(admin_client):
    row = ProductRecommendationFactory()

    add = admin_client.get(reverse("admin:recommendations_productrecommendation_add"))
    admin_client.post(
        reverse("admin:recommendations_productrecommendation_change", args=[row.pk]),
        {"score": 5, "reason": "typed in"},
    )

    assert add.status_code == 403
    row.refresh_from_db()
    assert row.reason != "typed in"


def test_admin_action_recomputes_the_selected_products(admin_client):
    category = CategoryFactory()
    a = ProductFactory(name="Rose Serum", category=category)
    b = ProductFactory(name="Rose Serum Two", category=category)
    stale = ProductRecommendationFactory(product=a, kind=RecommendationKind.SIMILAR, score=99)

    response = admin_client.post(
        reverse(CHANGELIST), {"action": "recompute", "_selected_action": [stale.pk]}
    )

    assert response.status_code == 302
    assert list(
        ProductRecommendation.objects.filter(product=a).values_list("recommended", flat=True)
    ) == [b.pk]
