import pytest

from accounts.tests.factories import UserFactory


@pytest.fixture
def other_seller(db):
    return UserFactory(is_seller=True)


@pytest.fixture
def other_seller_client(other_seller, client_for):
    return client_for(other_seller)
