import pytest

from accounts.tests.factories import UserFactory
from demo.accounts_seed import CUSTOMER_EMAIL
from demo.skin_seed import skin_demo_ensure
from skin.models import AnalysisStatus, SkinAnalysis, SkinProfile

pytestmark = pytest.mark.django_db


def test_the_demo_customer_gets_a_profile_and_one_done_analysis_once():
    customer = UserFactory(email=CUSTOMER_EMAIL)

    assert skin_demo_ensure() == 1
    assert skin_demo_ensure() == 0

    [analysis] = SkinAnalysis.objects.filter(user=customer)
    assert analysis.status == AnalysisStatus.DONE
    assert {c["concern"] for c in analysis.photo_concerns} == {"redness", "pores", "pigmentation"}
    assert SkinProfile.objects.get(user=customer).allergies == ["retinol"]
